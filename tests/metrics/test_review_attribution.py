"""SPEC §7.3: the Shapley split of the funnel and the mix / rate split, by hand and as properties."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funnel.metrics import FunnelFilter
from funnel.metrics.decompose import mix_rate, product, shapley_product
from funnel.metrics.review_attribution import attribution, attribution_leads


def test_spec_example_two_factors():
    # N 100 -> 120, p 0.20 -> 0.15; W 20 -> 18 (change -2)
    # C_N = (120-100) * (1/2 * 0.20 + 1/2 * 0.15) = 20 * 0.175 = +3.5
    # C_p = (0.15-0.20) * (1/2 * 100 + 1/2 * 120) = -0.05 * 110 = -5.5
    c_n, c_p = shapley_product([100, 0.20], [120, 0.15])
    assert c_n == pytest.approx(3.5) and c_p == pytest.approx(-5.5)


def test_three_factors_by_the_subset_formula():
    # N 10 -> 20, p1 0.5 -> 0.5, p2 0.4 -> 0.2: W 2 -> 2, change 0.
    # C_N: subsets of {p1, p2} at after-values, weights 1/3 (|S|=0), 1/6 (|S|=1), 1/3 (|S|=2):
    #   10 * (1/3*0.5*0.4 + 1/6*0.5*0.4 + 1/6*0.5*0.2 + 1/3*0.5*0.2) = 10 * (0.0667+0.0333+0.0167+0.0333) = 1.5
    # C_p1 = 0 (p1 unchanged); C_p2 = -1.5
    c = shapley_product([10, 0.5, 0.4], [20, 0.5, 0.2])
    assert c == pytest.approx([1.5, 0.0, -1.5])


@given(st.lists(st.tuples(st.floats(0, 1000), st.floats(0, 1000)), min_size=1, max_size=7))
@settings(max_examples=200, deadline=None)
def test_shapley_sums_to_the_change(pairs):
    before, after = [b for b, _ in pairs], [a for _, a in pairs]
    scale = product([max(abs(b), abs(a), 1.0) for b, a in pairs])  # the largest term the sum passes through
    assert sum(shapley_product(before, after)) == pytest.approx(product(after) - product(before), abs=1e-12 * scale)


def test_mix_rate_one_segment_by_hand():
    # w 0.5 -> 0.25, c 0.2 -> 0.4: mix = (0.25-0.5)*(0.2+0.4)/2 = -0.075; rate = (0.4-0.2)*(0.5+0.25)/2 = 0.075
    assert mix_rate(0.5, 0.2, 0.25, 0.4) == pytest.approx((-0.075, 0.075))


def period_data(build):
    """April: 4 leads of 展会 (2 won), May: 6 leads (3 展会 1 won, 3 官网 0 won), one 官网 without stage."""
    for i in range(4):
        won = i < 2
        build.lead(f"A{i}", f"2024-04-0{i + 1}", source="展会", status="won" if won else "active",
                   stage="won" if won else "screening",
                   events=[("acquired", f"2024-04-0{i + 1}"), ("screening", f"2024-04-1{i}")]
                   + ([("discovery", "2024-04-20"), ("proposal", "2024-04-22"), ("won", "2024-04-25")] if won else []))
    for i in range(3):
        won = i == 0
        build.lead(f"M{i}", f"2024-05-0{i + 1}", source="展会", status="won" if won else "lost",
                   stage="won" if won else "acquired", reason=None if won else "价格",
                   events=[("acquired", f"2024-05-0{i + 1}")]
                   + ([("screening", "2024-05-10"), ("discovery", "2024-05-12"), ("proposal", "2024-05-14"),
                       ("won", "2024-05-20")] if won else []))
    for i in range(3):
        build.lead(f"W{i}", f"2024-05-1{i}", source="官网", status="active", stage="screening",
                   events=[("acquired", f"2024-05-1{i}"), ("screening", f"2024-05-2{i}")])
    return build.derive()


def test_attribution_hand_worked(build):
    period_data(build)
    ctx = build.ctx("2024-05-31")
    out = attribution(build.con, ctx, dt.date(2024, 5, 1))
    assert (out["period"], out["previous"]) == ("2024-05", "2024-04")
    # April: N 4, reached screening 4, discovery 2, proposal 2, won 2: p = 1, .5, 1, 1 -> W = 2
    # May:   N 6, reached screening 4 (M0 + 3 官网), discovery 1, proposal 1, won 1: p = 4/6, 1/4, 1, 1 -> W = 1
    assert out["won_previous"] == pytest.approx(2) and out["won"] == pytest.approx(1)
    factors = {f["factor"]: f["contribution"] for f in out["factors"]}
    assert list(factors) == ["leads", "screening", "discovery", "proposal", "won"]
    assert sum(factors.values()) == pytest.approx(-1)
    assert factors["proposal"] == pytest.approx(0) and factors["won"] == pytest.approx(0)
    # conversion 2/4 = 0.5 -> 1/6; per source: 展会 w 1 -> 0.5, c 0.5 -> 1/3; 官网 w 0 -> 0.5, c 0 (both: 0/3)
    # mix 展会 = (0.5-1)(0.5+1/3)/2 = -0.2083; rate 展会 = (1/3-0.5)(1+0.5)/2 = -0.125
    # 官网: absent in April, takes May's c = 0: mix = 0.5*0 = 0, rate = 0; total -1/3 = 1/6 - 1/2
    mix = {(m["segment_by"], m["segment"]): m for m in out["mix"]}
    assert mix[("source", "展会")]["mix"] == pytest.approx(-0.5 * (0.5 + 1 / 3) / 2)
    assert mix[("source", "展会")]["rate"] == pytest.approx((1 / 3 - 0.5) * 1.5 / 2)
    assert mix[("source", "官网")]["mix"] == pytest.approx(0) and mix[("source", "官网")]["rate"] == pytest.approx(0)
    assert out["conversion_change"] == pytest.approx(1 / 6 - 0.5)
    assert {m["segment_by"] for m in out["mix"]} == {"source", "rep"}  # no manager, no team in the data
    # median age at 05-31: May leads acquired 05-01..05-12 -> ages 30,29,28,21,20,19 -> median 24.5
    assert out["median_age_days"] == pytest.approx(24.5)
    # the young-cohort yardstick is cohort_age's (every won lead passing the filters), so "young" agrees
    from funnel.metrics import cohort_age
    from funnel.metrics.trends import period_context

    age = cohort_age(build.con, period_context(ctx, dt.date(2024, 5, 1)))
    assert out["median_cycle_days"] == age["median_cycle_days"] and out["young"] == age["young"]
    assert out["median_age_days"] == age["median_age_days"]
    assert len(attribution_leads(build.con, ctx, dt.date(2024, 5, 1))) == out["leads"]
    assert len(attribution_leads(build.con, ctx, dt.date(2024, 5, 1), reached="won")) == out["reached_won"]
    assert len(attribution_leads(build.con, ctx, dt.date(2024, 5, 1), which="previous", segment_by="source",
                                 segment="展会")) == mix[("source", "展会")]["leads_previous"]


def test_filter_that_empties_one_period(build):
    period_data(build)
    out = attribution(build.con, build.ctx("2024-05-31", filter=FunnelFilter(sources=("官网",))), "2024-05-15")
    assert out["leads_previous"] == 0 and out["won_previous"] == 0
    assert sum(f["contribution"] for f in out["factors"]) == pytest.approx(out["won"] - out["won_previous"])
    assert out["mix"] == []  # the previous conversion is undefined: no mix / rate split


def test_undefined_step_conversion_counts_zero(build):
    build.lead("A", "2024-04-02", status="active", stage="acquired")
    build.lead("B", "2024-05-02", status="won", stage="won", events=[("won", "2024-05-09")])
    build.derive()
    out = attribution(build.con, build.ctx("2024-05-31"), "2024-05-01")
    # April: N 1, reached screening 0 -> p(discovery) = 0/0 undefined -> 0: W = 0
    before = {f["factor"]: f["before"] for f in out["factors"]}
    assert before["discovery"] == 0 and out["won_previous"] == 0 and out["won"] == 1
    assert sum(f["contribution"] for f in out["factors"]) == pytest.approx(1)


def test_period_after_the_as_of_date(build):
    period_data(build)
    out = attribution(build.con, build.ctx("2024-05-31"), "2024-07-01")
    assert out["after_as_of"] and out["leads"] == 0 and out["won"] == 0


@given(seed=st.integers(0, 10_000))
@settings(max_examples=15, deadline=None)
def test_identities_on_random_data(seed):
    from funnel.metrics import resolve_context
    from funnel.store.db import connect
    from tests.metrics.conftest import Builder

    con = connect(None)
    try:
        b = Builder(con)
        rnd = random.Random(seed)
        for i in range(rnd.randint(0, 40)):
            acq = dt.date(2024, 3, 1) + dt.timedelta(days=rnd.randint(0, 90))
            status = rnd.choice(["won", "lost", "active", "untouched"])
            stage = rnd.choice(["acquired", "screening", "discovery", "proposal"]) if status != "won" else "won"
            b.lead(f"L{i}", acq.isoformat(), status=status, stage=stage, source=rnd.choice(["a", "b", None]),
                   rep=rnd.choice(["x", "y", "z"]))
        b.derive()
        for skip in ("passed", "strict"):
            ctx = resolve_context(con, FunnelFilter(), as_of=dt.date(2024, 6, 10), skip_rule=skip)
            out = attribution(con, ctx, "2024-05-01")
            assert sum(f["contribution"] for f in out["factors"]) == pytest.approx(out["won"] - out["won_previous"],
                                                                                  abs=1e-9)
            if skip == "passed":
                assert out["won"] == pytest.approx(out["reached_won"])
            for dim in {m["segment_by"] for m in out["mix"]}:
                total = sum(m["mix"] + m["rate"] for m in out["mix"] if m["segment_by"] == dim)
                assert total == pytest.approx(out["conversion_change"], abs=1e-12)
    finally:
        con.close()
