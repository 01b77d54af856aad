"""The metric context: every default resolved once, so no metric guesses one of its own.

``FunnelFilter`` (``funnel.filters``, re-exported here) is what the user picks (sidebar, URL, command line). ``MetricContext`` adds the resolved
as-of date, the period grain, the stalled threshold, the skip rule and the stage configuration. Both are
frozen and hashable, so they can key caches.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb

from funnel.filters import FunnelFilter
from funnel.stages import StageConfig

GRAINS = ("week", "month", "quarter")
SKIP_RULES = ("passed", "strict")


@dataclass(frozen=True)
class MetricContext:
    """Everything a metric function needs besides the connection; build it with ``resolve_context``."""

    filter: FunnelFilter
    as_of: dt.date
    grain: str = "month"
    stalled_days: int = 7
    skip_rule: str = "passed"
    stages: StageConfig = field(default_factory=StageConfig)

    def __post_init__(self) -> None:
        if self.grain not in GRAINS:
            raise ValueError(f"grain must be one of {GRAINS}, got {self.grain!r}")
        if self.skip_rule not in SKIP_RULES:
            raise ValueError(f"skip_rule must be one of {SKIP_RULES}, got {self.skip_rule!r}")
        if self.stalled_days < 0:
            raise ValueError("stalled_days must be >= 0")

    @property
    def as_of_at(self) -> dt.datetime:
        """The as-of date as a timestamp (its midnight): in-progress and idle durations run to it."""
        return dt.datetime.combine(self.as_of, dt.time())


_FACTS = """
    select lead_id, acquired_at as d from leads where acquired_at is not null
    union all select lead_id, lost_at from leads where lost_at is not null
    union all select lead_id, entered_at from stage_events where entered_at is not null
    union all select lead_id, "at" from activities where "at" is not null"""


@dataclass(frozen=True)
class DataEnd:
    """Where the data ends (docs/metrics.md, "The default as-of date").

    ``as_of``: the latest event date that is not far beyond the bulk of the data (``funnel.data_range``);
    ``kind``: what happened that day (``acquired`` / ``stage`` / ``activity`` / ``lost``);
    ``first``: the earliest event date; ``latest``: the latest event date of all, strays included;
    ``ignored``: how many dated facts lie after ``as_of`` (far beyond the bulk) and were not used.
    """

    as_of: dt.date | None = None
    kind: str | None = None
    first: dt.date | None = None
    latest: dt.date | None = None
    ignored: int = 0


def _day(value) -> dt.date | None:
    if value is None:
        return None
    return value.date() if isinstance(value, dt.datetime) else value


_KINDS = (("stage", "stage_events", "entered_at"), ("activity", "activities", '"at"'),
          ("lost", "leads", "lost_at"), ("acquired", "leads", "acquired_at"))  # a tie names the first


def _maxima(con, before: dt.datetime | None = None) -> list:
    """Per kind (in _KINDS order) its latest date (before ``before`` when given); one cheap column scan each."""
    cond = "" if before is None else " and {c} < ?"
    parts = [f"(select max({c}) from {t} where {c} is not null{cond.format(c=c)})" for _, t, c in _KINDS]
    return list(con.execute("select " + ", ".join(parts), [before] * len(_KINDS) if before else []).fetchone())


def _bulk_end(con, leads: int, need: int | None = None) -> dt.date | None:
    """The latest event date of the lead ranked m + 1 by latest event date (``funnel.data_range``).

    Without aggregating the whole store per lead (seconds at 1M leads): a per-day count of the facts gives
    the day T from which on the latest facts number a few times m; every lead with a fact on or after T has
    its latest date there, and every other lead's latest date is earlier, so ranking the leads of those few
    facts is exact once they hold m + 1 leads (else T moves back)."""
    from funnel.data_range import MIN_LEADS, outvoted

    if leads < MIN_LEADS:
        return None
    m = outvoted(leads)
    days = con.execute(f"select cast(d as date) as day, count(*) from ({_FACTS}) group by 1 order by 1 desc").fetchall()
    need = need or 4 * (m + 1) + 1000  # facts looked at first (a test sets it small)
    while True:
        total, since = 0, days[-1][0] if days else None
        for day, count in days:
            total += count
            if total >= need:
                since = day
                break
        row = con.execute(f"""select max(d) as last from ({_FACTS}) where d >= ? group by lead_id
                              order by last desc limit 1 offset ?""",
                          [dt.datetime.combine(since, dt.time()), m]).fetchone() if since else None
        if row is not None:
            return _day(row[0])
        if not days or since == days[-1][0]:  # every fact looked at: fewer than m + 1 dated leads
            return None
        need *= 4


_ROW_KINDS = ("rows_leads", "rows_stage_events", "rows_activities")


def _fact_days(con) -> tuple[list | None, int]:
    """The rows (kind, day, n) of the derived table ``fact_days`` and the number of leads; the rows are None
    when the store has no such table (an earlier version's store opened read-only) or when a base table's
    size differs from the one fact_days was counted at (rows written without a refresh, as tests do)."""
    sizes = con.execute("select (select count(*) from leads), (select count(*) from stage_events), "
                        "(select count(*) from activities)").fetchone()
    if isinstance(con, duckdb.DuckDBPyConnection) and not con.execute(
            "select count(*) from information_schema.tables where table_name = 'fact_days' "
            "and table_schema = 'main' and table_catalog = current_database()").fetchone()[0]:
        return None, int(sizes[0])
    rows = con.execute("select kind, day, n from fact_days").fetchall()
    counted = {kind: n for kind, _, n in rows if kind in _ROW_KINDS}
    if [counted.get(kind) for kind in _ROW_KINDS] != [int(n) for n in sizes]:
        return None, int(sizes[0])
    return [r for r in rows if r[0] not in _ROW_KINDS], int(sizes[0])


def _end_from_days(rows: list, leads: int) -> DataEnd:
    """``data_end`` from fact_days: every step of it is by day, so the per-day counts give the same answer.

    The bulk end (lead ranked m + 1 by latest date) is the day where the leads counted by their latest day,
    latest first, first exceed m."""
    from funnel.data_range import FAR_DAYS, MIN_LEADS, outvoted

    days: dict[str, dict] = {kind: {} for kind, _, _ in _KINDS}
    last_days: dict = {}
    for kind, day, n in rows:
        (last_days if kind == "lead_last" else days[kind])[day] = int(n)
    maxima = [max(days[kind]) if days[kind] else None for kind, _, _ in _KINDS]
    dated = [d for d in maxima if d is not None]
    if not dated:
        return DataEnd()
    latest = max(dated)
    first = min(min(d) for d in days.values() if d)
    bulk_end, running = None, 0
    if leads >= MIN_LEADS:
        for day in sorted(last_days, reverse=True):
            running += last_days[day]
            if running > outvoted(leads):
                bulk_end = day
                break
    ignored = 0
    if bulk_end is not None:
        cutoff = bulk_end + dt.timedelta(days=FAR_DAYS + 1)
        if latest >= cutoff:
            maxima = [max((d for d in days[kind] if d < cutoff), default=None) for kind, _, _ in _KINDS]
            ignored = sum(n for per in days.values() for d, n in per.items() if d >= cutoff)
    end = max(d for d in maxima if d is not None)
    kind = next(k for (k, _, _), d in zip(_KINDS, maxima) if d == end)
    return DataEnd(as_of=end, kind=kind, first=first, latest=latest, ignored=ignored)


def data_end(con) -> DataEnd:
    """The data's real end: the latest event date (an acquisition, stage entry, activity or loss; planned
    dates such as expected_close never count) that is not far beyond the bulk of the data. Read from the
    derived table ``fact_days`` when the store has it, else from the base tables (works before the derived
    tables exist; the same answer, tests/metrics/test_data_end.py)."""
    from funnel.data_range import FAR_DAYS

    rows, leads = _fact_days(con)
    if rows is not None:
        return _end_from_days(rows, leads)
    maxima = _maxima(con)
    dated = [d for d in maxima if d is not None]
    if not dated:
        return DataEnd()
    latest = max(dated)
    first = con.execute(" select least(" + ", ".join(f"(select min({c}) from {t})" for _, t, c in _KINDS) + ")"
                        ).fetchone()[0]
    bulk_end = _bulk_end(con, leads)
    ignored = 0
    if bulk_end is not None:
        cutoff = dt.datetime.combine(bulk_end + dt.timedelta(days=FAR_DAYS + 1), dt.time())
        if latest >= cutoff:
            maxima = _maxima(con, cutoff)
            ignored = con.execute("select " + " + ".join(f"(select count(*) from {t} where {c} >= ?)"
                                                         for _, t, c in _KINDS), [cutoff] * len(_KINDS)).fetchone()[0]
    end = max(d for d in maxima if d is not None)
    kind = next(k for (k, _, _), d in zip(_KINDS, maxima) if d is not None and _day(d) == _day(end))
    return DataEnd(as_of=_day(end), kind=kind, first=_day(first), latest=_day(latest), ignored=int(ignored))


def latest_event_date(con) -> dt.date | None:
    """The default as-of date: ``data_end(con).as_of`` (None when the store holds no dated fact)."""
    return data_end(con).as_of


def as_of_outside_data(as_of: dt.date, end: DataEnd) -> str | None:
    """'before' when ``as_of`` is before the first event date, 'after' when it is more than FAR_DAYS after
    the data's end, else None (a typed as-of date inside the data, or shortly after it, is normal)."""
    from funnel.data_range import FAR_DAYS

    if end.as_of is None or as_of is None:
        return None
    if end.first is not None and as_of < end.first:
        return "before"
    if as_of > end.as_of + dt.timedelta(days=FAR_DAYS):
        return "after"
    return None


def resolve_context(con, filter: FunnelFilter | None = None, as_of: dt.date | None = None, grain: str = "month",
                    stalled_days: int = 7, skip_rule: str = "passed") -> MetricContext:
    """Resolve every default once: the as-of date (default: ``latest_event_date``; when the store holds
    no dated fact, the filter's end date, else today), the stage configuration, the grain and thresholds.
    """
    from funnel.store.config import load_stage_config

    flt = filter if filter is not None else FunnelFilter()
    if as_of is None:
        as_of = latest_event_date(con) or flt.date_to or dt.date.today()
    elif isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    elif isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    return MetricContext(filter=flt, as_of=as_of, grain=grain, stalled_days=int(stalled_days), skip_rule=skip_rule,
                         stages=load_stage_config(con))
