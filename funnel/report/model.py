"""The report as data, independent of the output format: sections of KPI tiles, sentences, charts and tables.

``ReportData`` is what ``build_report`` returns and what the HTML / XLSX / PDF writers and the presentation
page render. Values stay typed (int, float ratio 0..1, days, dates, text); every writer formats them itself
(HTML escapes text, XLSX writes numbers as numbers and text with ``write_string``, PDF draws them).
Undefined ratios are None and show as "—".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from funnel.formats import DASH, fmt_date, fmt_days, fmt_num, fmt_pct
from funnel.formats import fmt_delta as _fmt_change
from funnel.formats import is_undefined as _is_undefined
from funnel.plain import plain, plain_rows

KINDS = ("text", "int", "num", "pct", "days", "date", "pp")


@dataclass
class Column:
    """One table column: ``key`` in each row dict, ``header`` shown, ``kind`` one of KINDS."""

    key: str
    header: str
    kind: str = "text"


@dataclass
class Table:
    """A table: one dict per row keyed by the columns' keys. ``total_rows`` > len(rows) when cut for print
    (``full_rows`` then holds every row, for the XLSX)."""

    key: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    note: str | None = None
    full_rows: list[dict[str, Any]] | None = None
    total: int | None = None  # how many rows there were, once ``cut_for_screen`` dropped the rest

    @property
    def all_rows(self) -> list[dict[str, Any]]:
        return self.full_rows if self.full_rows is not None else self.rows

    @property
    def row_count(self) -> int:
        return self.total if self.total is not None else len(self.all_rows)

    def cut_for_screen(self, n: int) -> None:
        """Keep only the first ``n`` rows (what a screen shows) and remember how many there were: a report
        kept in memory for the presentation page then holds no 76k-row lists (at 1M leads)."""
        self.total = self.row_count
        self.rows = self.all_rows[:n]
        self.full_rows = None


@dataclass
class Kpi:
    """A headline figure beside the previous period's: ``kind`` int / pct / days."""

    key: str
    label: str
    value: Any
    previous: Any = None
    kind: str = "int"
    compare: bool = True

    @property
    def delta(self) -> float | None:
        if not self.compare or _is_undefined(self.value) or _is_undefined(self.previous):
            return None
        return float(self.value) - float(self.previous)


@dataclass
class ChartItem:
    """An Altair chart plus its caption; ``png()`` / ``svg()`` render once and keep the result."""

    key: str
    title: str
    chart: Any
    caption: str | None = None
    _png: bytes | None = field(default=None, repr=False)
    _svg: str | None = field(default=None, repr=False)

    def png(self, scale: float = 2) -> bytes:
        from funnel.charts import chart_to_png

        if self._png is None:
            self._png = chart_to_png(self.chart, scale=scale)
        return self._png

    def svg(self) -> str:
        from funnel.charts import chart_to_svg

        if self._svg is None:
            self._svg = chart_to_svg(self.chart)
        return self._svg


@dataclass
class Action:
    """A suggested action and the figure behind it."""

    key: str
    text: str
    basis: str


@dataclass
class Section:
    key: str
    number: int
    title: str
    kpis: list[Kpi] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    charts: list[ChartItem] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)


@dataclass
class ReportData:
    """Everything a report shows. ``figures`` / ``previous_figures`` are ``funnel.metrics.figures`` of the
    period's and the previous period's contexts (SPEC §5 shape) with the lead lists left empty (their
    ``*_count`` fields whole: the follow-up section holds the lists); ``activity`` what happened in the period."""

    lang: str
    title: str
    subtitle: str
    meta: list[str]
    period: Any  # funnel.periods.Period
    previous_period: Any
    as_of: dt.date
    followup_as_of: dt.date
    filter: Any
    figures: dict
    previous_figures: dict
    activity: dict
    sections: list[Section]
    # docs/metrics.md "Review periods": the period cohort's age against the median cycle (``cohort_age``)
    # and how much of the previous period the data covers ("full" / "partial" / "none")
    maturity: dict = field(default_factory=dict)
    previous_coverage: str = "full"

    @property
    def young(self) -> bool:
        """True when the period's cohort is too young to judge: no improvement advice is drawn from it."""
        return bool(self.maturity.get("young"))

    @property
    def actions(self) -> list[Action]:
        return [a for s in self.sections for a in s.actions]

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


def is_undefined(value: Any) -> bool:
    """None, NaN, inf, pd.NA, NaT."""
    return _is_undefined(value)


_FORMAT = {"pct": fmt_pct, "int": fmt_num, "amount": fmt_num, "days": fmt_days, "num": fmt_days, "date": fmt_date}


def fmt_value(value: Any, kind: str, lang: str = "zh") -> str:
    """A cell as text for HTML / PDF / screen: '12.5%', '1,200', '6.5', '2024-03-01', '—' when undefined."""
    if _is_undefined(value):
        return DASH
    if kind == "pp":
        return _fmt_change(value, "pct", lang)
    return _FORMAT[kind](value) if kind in _FORMAT else str(value)


def fmt_delta(kpi: Kpi, lang: str = "zh") -> str:
    """The change against the previous period: '+12', '+2.5 个百分点' / '+2.5 pp', '-3 天'; '—' undefined."""
    return DASH if kpi.delta is None else _fmt_change(kpi.delta, kpi.kind, lang)


def cell_value(value: Any) -> Any:
    """A value as stored in a row dict: numpy scalars to Python, NaN / NA to None, dates kept as dates."""
    return plain(value, dates="python")


def frame_rows(df: pd.DataFrame | None) -> list[dict[str, Any]]:
    """A frame as row dicts of cell values (see ``cell_value``)."""
    return plain_rows(df, dates="python")
