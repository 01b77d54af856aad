"""Report periods (pure) and the in-period activity queries (SQL on the fixture store)."""

from __future__ import annotations

import datetime as dt

import pytest

from funnel.metrics.context import FunnelFilter
from funnel.report import activity
from funnel.periods import parse_period

D = dt.date


@pytest.mark.parametrize("text, grain, start, end, label, prev", [
    ("2024-03", None, D(2024, 3, 1), D(2024, 3, 31), "2024-03", "2024-02"),
    ("2024年3月", "month", D(2024, 3, 1), D(2024, 3, 31), "2024-03", "2024-02"),
    ("2024-01", None, D(2024, 1, 1), D(2024, 1, 31), "2024-01", "2023-12"),
    ("2024-02", None, D(2024, 2, 1), D(2024, 2, 29), "2024-02", "2024-01"),  # leap year
    ("2024-Q1", None, D(2024, 1, 1), D(2024, 3, 31), "2024-Q1", "2023-Q4"),
    ("2024q4", "quarter", D(2024, 10, 1), D(2024, 12, 31), "2024-Q4", "2024-Q3"),
    ("2024-W10", None, D(2024, 3, 4), D(2024, 3, 10), "2024-W10", "2024-W09"),  # ISO week from Monday
    ("2021-W01", None, D(2021, 1, 4), D(2021, 1, 10), "2021-W01", "2020-W53"),
    ("2024-03-15", "week", D(2024, 3, 11), D(2024, 3, 17), "2024-W11", "2024-W10"),
])
def test_parse_period(text, grain, start, end, label, prev):
    p = parse_period(text, grain)
    assert (p.start, p.end, p.label, p.previous().label) == (start, end, label, prev)


@pytest.mark.parametrize("text, grain", [("2024-13", None), ("March", None), ("2024-W54", None),
                                         ("2024-03", "quarter"), ("2024-Q1", "week")])
def test_bad_periods_say_what_to_write(text, grain):
    with pytest.raises(ValueError, match="2024|grain|month|week"):
        parse_period(text, grain)


def test_won_lost_in_period_whatever_the_acquisition_date(store):
    march = (D(2024, 3, 1), D(2024, 3, 31))
    # won in March: L01 (03-20) and P01 (03-08, acquired in February); L06 won 04-05 is April's
    assert activity.won_in_period(store, FunnelFilter(), *march) == {"count": 2, "amount": 50000.0,
                                                                      "from_earlier": 1}
    # lost in March: L02 (03-15), L04 (03-25), P02 (03-02, acquired in February)
    assert activity.lost_in_period(store, FunnelFilter(), *march) == {"count": 3, "from_earlier": 1,
                                                                       "undated_lost": 0}
    reasons = activity.lost_reasons_in_period(store, FunnelFilter(), *march)
    assert sorted(reasons["reason"]) == sorted(["价格超出预算", "竞品优势", '=HYPERLINK("http://x")'])


def test_attribute_filter_applies_but_not_the_date_range(store):
    march = (D(2024, 3, 1), D(2024, 3, 31))
    only_referrals = FunnelFilter(sources=("转介绍",), date_from=D(2024, 3, 1), date_to=D(2024, 3, 31))
    assert activity.won_in_period(store, only_referrals, *march)["count"] == 2  # L01 + P01 (Feb lead)
    assert activity.lost_in_period(store, only_referrals, *march)["count"] == 0


def test_stage_entries_in_period(store):
    df = activity.stage_entries_in_period(store, FunnelFilter(), D(2024, 3, 1), D(2024, 3, 31))
    assert list(df["stage"]) == ["acquired", "screening", "discovery", "proposal", "won", "after_sales"]
    # acquired: L01-L06; screening: L01 L02 L03 L04 L06; discovery: L01 L03 L04; proposal: L01 L06;
    # won: L01 (03-20) and P01 (03-08); after-sales: none
    assert list(df["entries"]) == [6, 5, 3, 2, 2, 0]


@pytest.mark.parametrize("as_of, grain, day, label", [
    (dt.date(2024, 6, 14), "month", None, "2024-05"),               # June still running -> May
    (dt.date(2024, 6, 30), "month", None, "2024-06"),               # June's last day: June is whole
    (dt.date(2024, 6, 14), "quarter", None, "2024-Q1"),
    (dt.date(2024, 6, 14), "week", None, "2024-W23"),               # Fri of W24 -> W23
    (dt.date(2024, 6, 14), "month", dt.date(2024, 3, 15), "2024-03"),  # a range ending in March: March
    (dt.date(2024, 6, 14), "month", dt.date(2024, 9, 30), "2024-05"),  # a range past the as-of: May
])
def test_review_period_is_the_last_whole_one(as_of, grain, day, label):
    from funnel.periods import review_period

    assert review_period(as_of, grain, day).label == label
