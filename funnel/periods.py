"""The one period calendar: week (ISO, from Monday), month, quarter. Used by the metrics (trends, period over
period), the charts, the dashboard, the report, the presentation and the command line.

``period_containing(day, grain) -> Period`` (``start``, ``end``, ``label`` 2024-03 / 2024-Q1 / 2024-W10,
``title(lang)`` 2024年3月 / March 2024, ``previous()``); ``period_start``, ``next_period``,
``previous_period`` and ``period_label`` say the same for a day.

``parse_period(text, grain=None) -> Period`` accepts the three spellings (and a plain date, taken as the
period of ``grain`` that holds it); the grain is inferred from the spelling when not given, and a spelling
that contradicts the given grain is an error. ``Period.previous()`` is the period just before. Pure.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from funnel.i18n import t

_MONTH = re.compile(r"^\s*(\d{4})[-/.年](\d{1,2})月?\s*$")
_QUARTER = re.compile(r"^\s*(\d{4})\s*[-/ ]?\s*[Qq]([1-4])\s*$")
_WEEK = re.compile(r"^\s*(\d{4})\s*[-/ ]?\s*[Ww](\d{1,2})\s*$")
_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")


@dataclass(frozen=True)
class Period:
    """A closed range of whole days [start, end] and its grain."""

    grain: str
    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        if self.grain == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.grain == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start.year}-{self.start.month:02d}"

    def title(self, lang: str) -> str:
        """Human name: '2024年3月' / 'March 2024', '2024年第1季度' / 'Q1 2024', '2024年第10周' / 'Week 10, 2024'."""
        if self.grain == "quarter":
            return t("period_title_quarter", lang, year=self.start.year, q=(self.start.month - 1) // 3 + 1)
        if self.grain == "week":
            year, week, _ = self.start.isocalendar()
            return t("period_title_week", lang, year=year, week=week)
        month = self.start.month if lang == "zh" else self.start.strftime("%B")
        return t("period_title_month", lang, year=self.start.year, month=month)

    def previous(self) -> "Period":
        return period_containing(self.start - dt.timedelta(days=1), self.grain)

    def __str__(self) -> str:
        return self.label


def period_containing(day: dt.date, grain: str) -> Period:
    """The month / quarter / ISO week holding ``day``."""
    if grain == "week":
        start = day - dt.timedelta(days=day.weekday())
        return Period("week", start, start + dt.timedelta(days=6))
    if grain == "quarter":
        first_month = (day.month - 1) // 3 * 3 + 1
        start = dt.date(day.year, first_month, 1)
        nxt = dt.date(day.year + (first_month == 10), 1 if first_month == 10 else first_month + 3, 1)
        return Period("quarter", start, nxt - dt.timedelta(days=1))
    if grain == "month":
        start = day.replace(day=1)
        nxt = dt.date(day.year + (day.month == 12), 1 if day.month == 12 else day.month + 1, 1)
        return Period("month", start, nxt - dt.timedelta(days=1))
    raise ValueError(f"grain must be week, month or quarter, got {grain!r}")


def review_period(as_of: dt.date, grain: str, day: dt.date | None = None) -> Period:
    """The period a review opens on: the one holding ``day`` (default: the as-of date), stepped back while it
    has not ended by the as-of date, so a running period (June, on 2024-06-14) is never the default: May is.
    A period ending on the as-of date counts as whole."""
    found = period_containing(min(day or as_of, as_of), grain)
    while found.end > as_of:
        found = found.previous()
    return found


def parse_period(text: str, grain: str | None = None) -> Period:
    """'2024-03' / '2024年3月' -> month, '2024-Q1' -> quarter, '2024-W10' -> ISO week 10, '2024-03-15' ->
    the ``grain`` period holding that day (month when no grain). Raises ValueError with the accepted forms."""
    raw = str(text)
    found: Period | None = None
    if m := _QUARTER.match(raw):
        found = period_containing(dt.date(int(m[1]), (int(m[2]) - 1) * 3 + 1, 1), "quarter")
    elif m := _WEEK.match(raw):
        try:
            found = period_containing(dt.date.fromisocalendar(int(m[1]), int(m[2]), 1), "week")
        except ValueError as err:
            raise ValueError(f"{raw!r}: {m[1]} has no ISO week {int(m[2])}") from err
    elif m := _MONTH.match(raw):
        if not 1 <= int(m[2]) <= 12:
            raise ValueError(f"{raw!r}: month must be 1–12")
        found = period_containing(dt.date(int(m[1]), int(m[2]), 1), "month")
    elif m := _DATE.match(raw):
        return period_containing(dt.date(int(m[1]), int(m[2]), int(m[3])), grain or "month")
    if found is None:
        raise ValueError(f"period {raw!r} not understood: write 2024-03 (month), 2024-Q1 (quarter) "
                         "or 2024-W10 (ISO week)")
    if grain is not None and grain != found.grain:
        if grain not in ("week", "month", "quarter"):
            raise ValueError(f"grain must be week, month or quarter, got {grain!r}")
        raise ValueError(f"period {raw!r} is a {found.grain}, but grain {grain!r} was asked for: "
                         f"drop --grain or write the period as a {grain}")
    return found


def period_start(day: dt.date, grain: str) -> dt.date:
    """The first day of the period (week from Monday, month, quarter) holding ``day``."""
    return period_containing(day, grain).start


def next_period(start: dt.date, grain: str) -> dt.date:
    """The first day of the period after the one holding ``start``."""
    return period_containing(start, grain).end + dt.timedelta(days=1)


def previous_period(start: dt.date, grain: str) -> dt.date:
    """The first day of the period before the one holding ``start``."""
    return period_containing(start, grain).previous().start


def period_label(day: dt.date, grain: str) -> str:
    """2024-W09 (ISO week), 2024-03, 2024-Q1: the label of the period holding ``day``."""
    return period_containing(day, grain).label
