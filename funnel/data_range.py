"""Where the data really starts and ends: the rule that keeps one stray cell from moving the default as-of date.

A date is *far outside the rest of the data* when it lies more than ``FAR_DAYS`` after the bulk end (or
before the bulk start). The bulk end is the latest event date of the lead ranked ``m + 1`` by latest
event date, m = max(1, floor(leads / 100)): a date only the last 1 % of the leads (at least one lead)
reach, half a year beyond every other lead's events, is a typo or a misplaced year, not the data's end.
The bulk start mirrors it with each lead's earliest event date. With fewer than ``MIN_LEADS`` dated leads
there is no bulk to compare with and nothing is called far.

Used by the store's default as-of date (``funnel.metrics.context.data_end``, in SQL) and by the import's
warnings (``funnel.ingest.far_dates``, in numpy); docs/metrics.md states the rule.
"""

from __future__ import annotations

import numpy as np

FAR_DAYS = 180
MIN_LEADS = 3


def outvoted(leads: int) -> int:
    """m: how many leads' latest (earliest) dates the bulk end (start) may leave out."""
    return max(1, leads // 100)


def bulk_range(first: np.ndarray, last: np.ndarray) -> tuple[np.datetime64, np.datetime64] | None:
    """(bulk start, bulk end) from each lead's earliest and latest event dates (datetime64, one per dated
    lead, no NaT); None when there are too few leads to judge."""
    first = np.sort(np.asarray(first, dtype="datetime64[D]"))
    last = np.sort(np.asarray(last, dtype="datetime64[D]"))
    n = len(last)
    if n < MIN_LEADS:
        return None
    m = outvoted(n)
    return first[m], last[n - 1 - m]


def bulk_bounds(first: np.ndarray, last: np.ndarray) -> tuple[np.datetime64, np.datetime64] | None:
    """(earliest, latest) acceptable date: ``bulk_range`` widened by FAR_DAYS on each side."""
    bulk = bulk_range(first, last)
    if bulk is None:
        return None
    margin = np.timedelta64(FAR_DAYS, "D")
    return bulk[0] - margin, bulk[1] + margin
