"""Review periods (funnel/metrics/review.py): the last whole period, the young-cohort rule and whether a
comparison window lies inside the data. Hand-made data, the arithmetic beside each expected value."""

from __future__ import annotations

import datetime as dt

import pytest

from funnel.metrics import FunnelFilter
from funnel.metrics.review import cohort_age, last_whole_period, window_context, window_coverage

D = dt.date


@pytest.mark.parametrize("as_of, grain, expected", [
    (D(2024, 6, 14), "month", (D(2024, 5, 1), D(2024, 5, 31))),     # June still running -> May
    (D(2024, 6, 30), "month", (D(2024, 6, 1), D(2024, 6, 30))),     # June's last day: June is whole
    (D(2024, 6, 12), "week", (D(2024, 6, 3), D(2024, 6, 9))),       # Wed of W24 -> W23 (Mon..Sun)
    (D(2024, 6, 9), "week", (D(2024, 6, 3), D(2024, 6, 9))),        # a Sunday ends its week
    (D(2024, 6, 14), "quarter", (D(2024, 1, 1), D(2024, 3, 31))),   # Q2 running -> Q1
    (D(2024, 1, 5), "month", (D(2023, 12, 1), D(2023, 12, 31))),    # across the year
])
def test_last_whole_period(as_of, grain, expected):
    assert last_whole_period(as_of, grain) == expected


def _data(build):
    # two won leads set the yardstick: cycles 30 (01-01 -> 01-31) and 40 (01-10 -> 02-19): median 35 days
    build.lead("W1", "2024-01-01", status="won", events=[("acquired", "2024-01-01"), ("won", "2024-01-31")])
    build.lead("W2", "2024-01-10", status="won", events=[("acquired", "2024-01-10"), ("won", "2024-02-19")])
    # June leads, open
    for i, day in enumerate(("2024-06-01", "2024-06-10", "2024-06-20")):
        build.lead(f"J{i}", day, status="active", events=[("acquired", day)])
    return build.derive()


def test_a_cohort_younger_than_the_median_cycle_is_young(build):
    con = _data(build)
    ctx = build.ctx("2024-06-30")
    june = cohort_age(con, window_context(ctx, D(2024, 6, 1), D(2024, 6, 30)))
    # ages at 06-30: 29, 20, 10 days -> median 20 < 35 -> young
    assert june == {"leads": 3, "median_age_days": 20.0, "median_cycle_days": 35.0, "young": True}
    january = cohort_age(con, window_context(ctx, D(2024, 1, 1), D(2024, 1, 31)))
    # ages 181 (01-01 -> 06-30) and 172 (01-10 -> 06-30): median 176.5 >= 35 -> not young
    assert january["median_age_days"] == 176.5 and january["young"] is False


def test_no_won_lead_means_youth_cannot_be_judged(build):
    build.lead("A", "2024-06-01", status="active", events=[("acquired", "2024-06-01")])
    con = build.derive()
    age = cohort_age(con, build.ctx("2024-06-30"))
    assert age["median_age_days"] == 29.0 and age["median_cycle_days"] is None and age["young"] is None


def test_the_yardstick_follows_the_attribute_filters(build):
    # rep 张三's only won lead took 100 days (01-01 -> 04-10); June (ages 29, 20, 10) is young against it
    # although against everyone's median (30, 40, 100 -> 40) it would still be young; a 1-lead June cohort of
    # 张三 acquired 03-01 (age 121) is not young against 100
    _data(build)
    build.lead("Z1", "2024-01-01", status="won", rep="张三", events=[("acquired", "2024-01-01"), ("won", "2024-04-10")])
    build.lead("Z2", "2024-03-01", status="active", rep="张三", events=[("acquired", "2024-03-01")])
    con = build.derive()
    ctx = build.ctx("2024-06-30", filter=FunnelFilter(reps=("张三",), date_from=D(2024, 3, 1), date_to=D(2024, 3, 31)))
    age = cohort_age(con, ctx)
    assert (age["leads"], age["median_age_days"], age["median_cycle_days"], age["young"]) == (1, 121.0, 100.0, False)


def test_window_coverage(build):
    con = _data(build)  # the data's first acquisition: 2024-01-01
    assert window_coverage(con, D(2023, 11, 1), D(2023, 12, 31)) == "none"     # wholly before
    assert window_coverage(con, D(2023, 12, 15), D(2024, 1, 14)) == "partial"  # starts before
    assert window_coverage(con, D(2024, 1, 1), D(2024, 1, 31)) == "full"


def test_window_comparison_flags_a_window_before_the_data(build):
    from funnel.metrics.review import window_comparison

    con = _data(build)
    # Feb-Apr 2024 (three whole months) against Nov 2023 - Jan 2024, which starts before the data (01-01)
    ctx = build.ctx("2024-06-30", filter=FunnelFilter(date_from=D(2024, 2, 1), date_to=D(2024, 4, 30)))
    out = window_comparison(con, ctx)
    assert (out["previous"]["start"], out["previous"]["end"]) == ("2023-11-01", "2024-01-31")
    assert out["coverage"] == "partial" and out["comparable"] is False and out["data_start"] == "2024-01-01"
    # June against May: May lies inside the data; June's cohort is young (median age 20 < 35)
    ctx = build.ctx("2024-06-30", filter=FunnelFilter(date_from=D(2024, 6, 1), date_to=D(2024, 6, 30)))
    out = window_comparison(con, ctx)
    assert out["current"]["period"] == "2024-06" and out["previous"]["period"] == "2024-05"
    assert out["comparable"] is True and out["maturity"]["young"] is True
    assert out["current"]["leads"] == 3 and out["change"]["leads"] == 3 - 0
    assert window_comparison(con, build.ctx("2024-06-30")) is None  # no window chosen
