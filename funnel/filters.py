"""What the user filters by: the filter-dimension registry and ``FunnelFilter`` (pure, no database).

Below both the store and the metrics: the store's look-ups and the metric functions read the same filter.
``DIMENSIONS`` is the one list of attribute filters (source, rep, manager, team); the filter's SQL and its
sentence, the sidebar, the URL state, the command line, the access rules, the leaderboards and the JSON
filter echo all read it, so a new dimension (industry, region) is one entry here plus its
``FunnelFilter`` field (a test checks the two agree).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from funnel.i18n import t


@dataclass(frozen=True)
class Dimension:
    """One attribute a lead is filtered and ranked by."""

    column: str  # the lead_facts column; also the leaderboard's name column (``leaderboard(by=column)``)
    field: str  # the FunnelFilter attribute; also the key of filter_options, the JSON filter echo and board
    param: str  # the URL query parameter (repeatable)
    flag: str  # the command-line option (repeatable)
    label_key: str  # the funnel.i18n key of its name on the sidebar
    phrase_key: str  # the funnel.i18n key of the word before the values in the filter's sentence
    cli_help: str
    board_rank: int  # where its leaderboard stands (Team tabs, the figures' JSON)
    tab_key: str  # the funnel.i18n key of its leaderboard's tab
    column_key: str  # the funnel.i18n key of its name column in a table


DIMENSIONS: tuple[Dimension, ...] = (  # in the order of the sidebar, the URL and the filter's sentence
    Dimension("source", "sources", "source", "--source", "sources", "filter_by_source", "source channel (repeatable)",
              board_rank=4, tab_key="team_tab_source", column_key="col_source"),
    Dimension("rep", "reps", "rep", "--rep", "reps", "filter_by_rep", "sales rep (repeatable)",
              board_rank=1, tab_key="team_tab_rep", column_key="col_rep"),
    Dimension("manager", "managers", "manager", "--manager", "managers", "filter_by_manager",
              "sales manager (repeatable)", board_rank=2, tab_key="team_tab_manager", column_key="col_manager"),
    Dimension("team", "teams", "team", "--team", "teams", "filter_by_team", "team (repeatable)",
              board_rank=3, tab_key="team_tab_team", column_key="col_team"),
)
BY_COLUMN: dict[str, Dimension] = {d.column: d for d in DIMENSIONS}
BOARD_DIMENSIONS: tuple[Dimension, ...] = tuple(sorted(DIMENSIONS, key=lambda d: d.board_rank))
# The dimension sign-in narrows (funnel.access): a manager sees the leads of their roster's reps.
ACCESS_DIMENSION = BY_COLUMN["rep"]


@dataclass(frozen=True)
class FunnelFilter:
    """Acquisition date range (inclusive, whole days) and one tuple of values per dimension of
    ``DIMENSIONS``; an empty tuple means 'all'."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    sources: tuple[str, ...] = ()
    reps: tuple[str, ...] = ()
    managers: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()

    @classmethod
    def of(cls, date_from: dt.date | None = None, date_to: dt.date | None = None,
           values: dict[str, object] | None = None) -> "FunnelFilter":
        """A filter from ``values`` keyed by dimension field (``{"sources": [...], ...}``; missing = all)."""
        values = values or {}
        return cls(date_from=date_from, date_to=date_to,
                   **{d.field: tuple(values.get(d.field) or ()) for d in DIMENSIONS})

    def values(self, dim: Dimension) -> tuple[str, ...]:
        return getattr(self, dim.field)

    @property
    def has_attributes(self) -> bool:
        """True when any dimension is narrowed (the date range aside)."""
        return any(self.values(d) for d in DIMENSIONS)

    def where(self, alias: str = "f", dated_only: bool = True) -> tuple[str, list]:
        """SQL condition over lead_facts (aliased ``alias``) and its bound parameters.

        With ``dated_only`` the cohort rule applies (acquired_at known and in range); without it only the
        attribute filters apply (used to count the undated leads apart).
        """
        clauses: list[str] = []
        params: list = []
        if dated_only:
            clauses.append(f"{alias}.acquired_at is not null")
            if self.date_from is not None:
                clauses.append(f"{alias}.acquired_at >= ?")
                params.append(dt.datetime.combine(self.date_from, dt.time()))
            if self.date_to is not None:
                clauses.append(f"{alias}.acquired_at < ?")
                params.append(dt.datetime.combine(self.date_to + dt.timedelta(days=1), dt.time()))
        for dim in DIMENSIONS:
            values = self.values(dim)
            if values:
                clauses.append(f"{alias}.{dim.column} in ({', '.join('?' for _ in values)})")
                params.extend(values)
        return (" and ".join(clauses) or "true"), params

    def describe(self, lang: str = "en") -> str:
        """The filter as a human sentence, e.g. 'leads acquired 2024-03-01 – 2024-03-31 from 行业展会';
        with nothing narrowed, 'all leads' / 全部线索."""
        if not (self.date_from or self.date_to or self.has_attributes):
            return t("filter_all_leads", lang)
        parts = [t("filter_leads", lang)]
        if self.date_from or self.date_to:
            start = self.date_from.isoformat() if self.date_from else "…"
            end = self.date_to.isoformat() if self.date_to else "…"
            parts.append(t("filter_acquired", lang, start=start, end=end))
        for dim in DIMENSIONS:
            values = self.values(dim)
            if values:
                parts.append(f"{t(dim.phrase_key, lang)} {t('list_sep', lang).join(values)}")
        return ("，" if lang == "zh" else " ").join(parts)  # full-width comma in Chinese

    def as_json(self) -> dict:
        """The filter echo of the figures' JSON: ISO dates, one list per dimension, both sentences."""
        return {"date_from": self.date_from.isoformat() if self.date_from else None,
                "date_to": self.date_to.isoformat() if self.date_to else None,
                **{d.field: list(self.values(d)) for d in DIMENSIONS},
                "description_en": self.describe("en"), "description_zh": self.describe("zh")}
