"""The period of the review (SPEC §7.1, §7.3): a period of ``ctx.grain`` with its end clipped to the as-of date.

``review_period(ctx, day=None)`` -> ``ReviewPeriod`` for the period holding ``day`` (default: the as-of
date). ``previous_review_period(ctx, p)`` is the whole period before it. Pure (no I/O, no clock).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from funnel.metrics.context import MetricContext
from funnel.metrics.trends import next_period, period_label, period_start, previous_period


@dataclass(frozen=True)
class ReviewPeriod:
    """Period [start, end] (whole days); ``end`` = min(last day of the period, as-of); ``after_as_of`` when the
    period starts after the as-of date (nothing to show)."""

    grain: str
    label: str
    start: dt.date
    end: dt.date
    last_day: dt.date
    after_as_of: bool

    @property
    def clipped(self) -> bool:
        return self.end < self.last_day


def review_period(ctx: MetricContext, day: dt.date | str | None = None) -> ReviewPeriod:
    """The ``ctx.grain`` period holding ``day`` (a date or ISO date text; default the as-of date)."""
    if day is None:
        day = ctx.as_of
    elif isinstance(day, str):
        day = dt.date.fromisoformat(day)
    elif isinstance(day, dt.datetime):
        day = day.date()
    start = period_start(day, ctx.grain)
    last = next_period(start, ctx.grain) - dt.timedelta(days=1)
    end = min(last, ctx.as_of)
    return ReviewPeriod(ctx.grain, period_label(start, ctx.grain), start, max(end, start - dt.timedelta(days=1)),
                        last, start > ctx.as_of)


def previous_review_period(ctx: MetricContext, period: ReviewPeriod) -> ReviewPeriod:
    """The whole period before ``period`` (same grain)."""
    return review_period(ctx, previous_period(period.start, period.grain))
