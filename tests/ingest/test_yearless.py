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


_LEAD_DAYS = st.one_of(st.just(NO_DAY), st.integers(-25567, 84000))  # 1900-01-01 .. about 2199


@given(st.lists(st.tuples(_LEAD_DAYS, _LEAD_DAYS, _LEAD_DAYS), min_size=1, max_size=6),
       st.lists(st.tuples(st.integers(0, 99), st.integers(0, 99), st.integers(0, 5)), max_size=40),
       st.one_of(st.just(NO_DAY), st.integers(-25567, 84100)), st.booleans())
@settings(max_examples=400, deadline=None)
def test_placement_by_lead_equals_placement_per_date(leads, dates, limit, calendar_days):
    """The vector path's per-lead placement gives what place_yearless gives each date, problems included."""
    from funnel.ingest.yearless import place_yearless_by_lead

    acquired, stage, lost = (np.array(column, dtype=np.int64) for column in zip(*leads))
    if calendar_days:  # mostly real month-days, as people write them
        dates = [(m % 12 + 1, d % 28 + 1, i) for m, d, i in dates]
    month = np.array([m for m, _, _ in dates], dtype=np.int64)
    day = np.array([d for _, d, _ in dates], dtype=np.int64)
    lead = np.array([i % len(leads) for _, _, i in dates], dtype=np.int64)
    got = place_yearless_by_lead(month * 100 + day, lead, acquired, [stage, lost], limit)
    expected = place_yearless(month, day, acquired[lead], [stage[lead], lost[lead]], limit)
    assert got[0].tolist() == expected[0].tolist() and got[1].tolist() == expected[1].tolist()


@pytest.mark.parametrize("acquired", ["2023-01-01", "2023-02-28", "2023-03-01", "2024-02-28", "2024-02-29",
                                      "2024-03-01", "2024-12-31", "2100-02-28", "2100-03-01", "1900-03-01"])
def test_placement_by_lead_around_february(acquired):
    from funnel.ingest.yearless import place_yearless_by_lead

    month_day = np.array([m * 100 + d for m in range(1, 13) for d in range(1, 32)], dtype=np.int64)
    lead = np.zeros(len(month_day), dtype=np.int64)
    base = np.array([_day(acquired)], dtype=np.int64)
    got = place_yearless_by_lead(month_day, lead, base, [], NO_DAY)
    expected = place_yearless(month_day // 100, month_day % 100, base[lead], [], NO_DAY)
    assert got[0].tolist() == expected[0].tolist() and got[1].tolist() == expected[1].tolist()
