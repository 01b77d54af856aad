"""Moved: the period calendar is ``funnel.periods`` (kept importable here for code written against the old
place)."""

from funnel.periods import Period, parse_period, period_containing, review_period  # noqa: F401
