"""The year of a date written without one (funnel/ingest/yearless.py): hand-worked cases and properties."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funnel.ingest.yearless import AFTER_END, IMPOSSIBLE, NO_BASE, NO_DAY, PLACED, place_yearless

EPOCH = dt.date(1970, 1, 1)


def _day(text: str | None) -> int:
    return NO_DAY if text is None else (dt.date.fromisoformat(text) - EPOCH).days


def _place(md: str, acquired=None, anchors=(), limit=None):
    month, day = map(int, md.split("-"))
    out, problem = place_yearless(np.array([month]), np.array([day]), np.array([_day(acquired)]),
                                  [np.array([_day(a)]) for a in anchors], _day(limit))
    placed = None if out[0] == NO_DAY else (EPOCH + dt.timedelta(days=int(out[0]))).isoformat()
    return placed, int(problem[0])


@pytest.mark.parametrize("md, acquired, anchors, limit, expected", [
    # acquisition known: on/after it, that year or the next
    ("12-01", "2024-11-20", (), None, ("2024-12-01", PLACED)),
    ("01-05", "2024-11-20", (), None, ("2025-01-05", PLACED)),
    # ... but not after the limit: 2025-05-12 would be 11 months after the file's end
    ("05-12", "2024-06-20", (), "2024-08-27", (None, AFTER_END)),
    # no acquisition date: the year nearest the stage date (the lead): 2024-05-12 is 12 days before
    # 2024-05-24, 2025-05-12 is 353 days after
    ("05-12", None, ("2024-05-24",), "2024-08-27", ("2024-05-12", PLACED)),
    ("05-18", None, ("2024-05-24",), None, ("2024-05-18", PLACED)),
    # 12-30 near 2024-01-05: 2023-12-30 is 6 days before, 2024-12-30 360 days after
    ("12-30", None, ("2024-01-05",), None, ("2023-12-30", PLACED)),
    # a tie (183 days either way from 2024-07-02) keeps the earlier year
    ("01-01", None, ("2024-07-02",), None, ("2024-01-01", PLACED)),
    # the nearest of two dates of the lead: 03-01 is 1 day after the loss date 2024-02-29
    ("03-01", None, ("2023-09-01", "2024-02-29"), None, ("2024-03-01", PLACED)),
    # 02-29 only in a leap year: near 2023-03-01 -> 2024-02-29 (365 days) beats nothing in 2022/2023
    ("02-29", None, ("2023-03-01",), None, ("2024-02-29", PLACED)),
    ("02-30", "2024-01-01", (), None, (None, IMPOSSIBLE)),
    ("05-12", None, (), None, (None, NO_BASE)),
])
def test_placement(md, acquired, anchors, limit, expected):
    assert _place(md, acquired, anchors, limit) == expected


_DAYS = st.one_of(st.just(None), st.dates(dt.date(1990, 1, 1), dt.date(2060, 12, 31)).map(dt.date.isoformat))


@given(st.integers(1, 12), st.integers(1, 31), _DAYS, _DAYS, _DAYS, _DAYS)
@settings(max_examples=300, deadline=None)
def test_placed_dates_keep_the_rules(month, day, acquired, stage, lost, limit):
    placed, problem = _place(f"{month}-{day}", acquired, (stage, lost), limit)
    if placed is None:
        assert problem != PLACED
        return
    assert problem == PLACED and (int(placed[5:7]), int(placed[8:10])) == (month, day)
    if limit:
        assert placed <= limit                          # never after the limit
    if acquired:
        assert acquired <= placed < f"{int(acquired[:4]) + 2:04d}"  # on/after acquisition, within a year
    else:
        anchors = [dt.date.fromisoformat(a) for a in (stage, lost) if a]
        gap = min(abs((dt.date.fromisoformat(placed) - a).days) for a in anchors)
        assert gap <= 366 * 2                           # near one of the lead's own dates
