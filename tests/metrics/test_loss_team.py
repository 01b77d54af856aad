"""loss_reasons (Pareto), loss_categories, loss_by_stage, leaderboard, follow-up lists, data quality."""

from __future__ import annotations

import pandas as pd
import pytest

from funnel.metrics import (FunnelFilter, data_quality, data_quality_counts, leaderboard, loss_by_stage, loss_categories,
                            loss_reasons, loss_top3, overdue_leads, past_expected_close, stalled_leads, wilson_interval)


def lost(b, lead_id, reason, stage="acquired"):
    b.lead(lead_id, status="lost", reason=reason, stage=stage)


def test_loss_reasons_pareto(build):
    for i, r in enumerate(["价格太高", " 价格太高", "ＰＲＩＣＥ", "price", "竞品", None, "-"]):
        lost(build, f"L{i}", r)
    build.lead("W", status="won")
    con = build.derive()
    t = loss_reasons(con, build.ctx())
    # 7 lost: 价格太高 2, price 2 (width and case folded), unspecified 2 (None and '-'), 竞品 1
    assert list(t["count"]) == [2, 2, 2, 1]
    # ties by count are ordered by reason text: 'PRICE' < '价格太高' < '未填写 / unspecified'
    assert list(t["reason"]) == ["PRICE", "价格太高", "未填写 / unspecified", "竞品"]
    assert list(t["share"]) == pytest.approx([2 / 7, 2 / 7, 2 / 7, 1 / 7])
    assert list(t["cumulative_share"]) == pytest.approx([2 / 7, 4 / 7, 6 / 7, 1.0])
    assert t["cumulative_share"].iloc[-1] == 1.0
    assert [r["reason"] for r in loss_top3(t)] == ["PRICE", "价格太高", "未填写 / unspecified"]


def test_loss_categories_longest_keyword_first(build):
    for i, r in enumerate(["价格超出预算", "预算冻结", "决策链不清晰", "天气原因", None]):
        lost(build, f"L{i}", r)
    con = build.derive()
    cats = {"价格": "价格 / price", "预算冻结": "时机 / timing", "预算": "价格 / price", "决策": "决策链 / decision chain"}
    t = loss_categories(con, build.ctx(), cats).set_index("reason")
    # 价格超出预算 -> 价格 (first match among 预算冻结(4 chars) > 价格 = 预算 (2 chars, keyword order));
    # 预算冻结 -> 预算冻结 (longest first) -> timing; 天气原因 -> other; None -> unspecified
    assert t.loc["价格 / price", "count"] == 1
    assert t.loc["时机 / timing", "count"] == 1
    assert t.loc["其他 / other", "count"] == 1
    assert t.loc["未填写 / unspecified", "count"] == 1
    assert t["share"].sum() == pytest.approx(1.0)


def test_loss_by_stage(build):
    lost(build, "A", "价格", stage="acquired")
    lost(build, "B", "价格", stage="screening")
    lost(build, "C", "竞品", stage="screening")
    build.lead("D", status="active", stage="screening")
    con = build.derive()
    t = loss_by_stage(con, build.ctx()).set_index("stage")
    assert t.loc["screening", "lost"] == 2
    assert t.loc["screening", "loss_rate"] == pytest.approx(2 / 3)  # 2 of 3 that reached screening
    assert t.loc["acquired", "share"] == pytest.approx(1 / 3)
    assert t.loc["screening", "top_reason"] == "价格"  # tie 1-1: the smaller text


def test_wilson_interval_known_values():
    lo, hi = wilson_interval(1, 1)
    assert (round(lo, 4), hi) == (0.2065, 1.0)  # 1 of 1: wide interval
    lo, hi = wilson_interval(32, 200)
    # p = 0.16, z = 1.96: centre (0.16 + 1.96²/400) / (1 + 1.96²/200) = 0.1664, half-width 0.0507
    assert (round(lo, 4), round(hi, 4)) == (0.1157, 0.2171)
    assert wilson_interval(0, 0) is None


def test_leaderboard_sorted_by_ci_lower_bound(build):
    build.lead("A1", rep="新人", status="won")  # 1 of 1
    for i in range(10):
        build.lead(f"B{i}", rep="老手", status="won" if i < 6 else "lost", reason="x")  # 6 of 10
    build.lead("C1", rep=None, status="lost", reason="x")
    con = build.derive()
    t = leaderboard(con, build.ctx(), "rep")
    assert list(t["rep"][:2]) == ["老手", "新人"]  # 6/10 (CI low 0.31) beats 1/1 (CI low 0.21)
    row = t.iloc[0]
    assert (row["leads"], row["won"], row["lost"], row["conversion"], row["win_rate"]) == (10, 6, 4, 0.6, 0.6)
    assert row["conversion_ci"][0] == pytest.approx(wilson_interval(6, 10)[0])
    assert pd.isna(t.iloc[-1]["rep"])  # no rep: last
    with pytest.raises(ValueError):
        leaderboard(con, build.ctx(), "customer")


def test_stalled_strict_and_sorted(build):
    # as-of 03-31: A idle 10 days, B exactly 7 (not more than 7), C 20 days but lost, D idle 10 days
    build.lead("A", acquired="2024-03-21", status="active")
    build.lead("B", acquired="2024-03-24", status="active")
    build.lead("C", acquired="2024-03-11", status="lost", reason="x")
    build.lead("D", acquired="2024-03-01", status="active", events=[("acquired", "2024-03-01")]).activity("D", "2024-03-21")
    con = build.derive()
    t = stalled_leads(con, build.ctx(as_of="2024-03-31"))
    assert list(t["lead_id"]) == ["A", "D"]  # both 10 days: by lead ID
    assert list(t["idle_days"]) == [10.0, 10.0]


def test_overdue_and_past_expected_close(build):
    # screening expects 7 days: A entered 03-10 -> 21 days at as-of 03-31 (overdue by 14); B entered 03-28 -> 3
    build.lead("A", status="active", stage="screening", expected_close="2024-03-15",
               events=[("acquired", "2024-03-01"), ("screening", "2024-03-10")])
    build.lead("B", status="active", stage="screening", expected_close="2024-04-15",
               events=[("acquired", "2024-03-01"), ("screening", "2024-03-28")])
    con = build.derive()
    ctx = build.ctx(as_of="2024-03-31")
    o = overdue_leads(con, ctx)
    assert list(o["lead_id"]) == ["A"] and o["overdue_days"].iloc[0] == pytest.approx(14.0)
    p = past_expected_close(con, ctx)
    assert list(p["lead_id"]) == ["A"] and p["days_past"].iloc[0] == pytest.approx(16.0)


def test_data_quality_lists_problems_with_rep(build):
    build.lead("A", rep="李明", status="won", events=[("acquired", "2024-03-01"), ("won", "2024-02-01")])
    con = build.derive()
    t = data_quality(con, build.ctx())
    assert list(zip(t["lead_id"], t["rep"], t["problem"])) == [("A", "李明", "before_acquisition")]


def test_data_quality_under_an_attribute_filter(build):
    # A (展会, 李明): an event before its acquisition; B (官网, 王芳): no acquisition date; C (官网, 王芳): an event
    # before acquisition and a reported cycle below zero. Filtered to 官网: B's and C's problems only, 3 rows.
    build.lead("A", rep="李明", source="展会", status="won", events=[("acquired", "2024-03-01"), ("won", "2024-02-01")])
    build.lead("B", None, rep="王芳", source="官网")
    build.lead("C", rep="王芳", source="官网", cycle=-3, events=[("screening", "2024-02-20")])
    con = build.derive()
    ctx = build.ctx(filter=FunnelFilter(sources=("官网",)))
    t = data_quality(con, ctx)
    assert list(zip(t["lead_id"], t["rep"], t["problem"])) == [
        ("C", "王芳", "before_acquisition"), ("C", "王芳", "negative_cycle_reported"), ("B", "王芳", "no_acquired_at")]
    assert data_quality_counts(con, ctx) == {"before_acquisition": 1, "negative_cycle_reported": 1, "no_acquired_at": 1}
    assert data_quality_counts(con, build.ctx()) == {"before_acquisition": 2, "negative_cycle_reported": 1,
                                                     "no_acquired_at": 1}
    assert len(data_quality(con, ctx, limit=2)) == 2


def test_loss_figures_from_one_scan_equal_each_alone(build):
    # the figure set scans the lost leads once (lost_groups) and the cohort cube once (cohort_groups): the
    # reasons, categories and loss by stage from those are the ones each function gives alone
    from funnel.metrics.cohort import cohort_groups
    from funnel.metrics.loss import lost_groups

    for i, (r, st) in enumerate([("价格太高", "acquired"), ("ＰＲＩＣＥ", "screening"), ("price", "screening"),
                                 (None, "screening"), ("竞品", "acquired")]):
        lost(build, f"L{i}", r, stage=st)
    build.lead("D", status="active", stage="screening")
    con = build.derive()
    ctx = build.ctx()
    shared, groups = lost_groups(con, ctx), cohort_groups(con, ctx)
    cats = {"价格": "价格 / price", "price": "价格 / price"}
    pd.testing.assert_frame_equal(loss_reasons(con, ctx, lost=shared), loss_reasons(con, ctx))
    pd.testing.assert_frame_equal(loss_categories(con, ctx, cats, shared), loss_categories(con, ctx, cats))
    by_stage = loss_by_stage(con, ctx, groups, shared)
    pd.testing.assert_frame_equal(by_stage, loss_by_stage(con, ctx))
    # screening: ＰＲＩＣＥ (stored width-folded: PRICE), price, None -> 3 lost; top reason: PRICE and price 1
    # each -> the smaller text, PRICE ('P' < 'p')
    assert by_stage.set_index("stage").loc["screening", ["lost", "top_reason"]].tolist() == [3, "PRICE"]
