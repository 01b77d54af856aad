"""cohort_summary and stage_funnel: reached, step conversion, dropped, open, in progress; skip rules."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from funnel.metrics import FunnelFilter, cohort_summary, figures, stage_funnel


def five_leads(b):
    """5 leads: 2 stop at acquired (1 lost), 1 lost at screening, 1 open at discovery, 1 won (proposal skipped)."""
    b.lead("L1", status="lost", reason="价格", events=[("acquired", "2024-03-01")])
    b.lead("L2", status="untouched", events=[("acquired", "2024-03-02")])
    b.lead("L3", status="lost", reason="竞品", events=[("acquired", "2024-03-01"), ("screening", "2024-03-03")])
    b.lead("L4", status="active", stage="discovery",
           events=[("acquired", "2024-03-01"), ("screening", "2024-03-04"), ("discovery", "2024-03-10")])
    b.lead("L5", status="won", events=[("acquired", "2024-03-01"), ("screening", "2024-03-02"),
                                       ("discovery", "2024-03-05"), ("won", "2024-03-25")])
    b.lead("U1", acquired=None, status="active")  # undated: counted apart
    return b.derive()


def test_cohort_summary(build):
    con = five_leads(build)
    s = cohort_summary(con, build.ctx())
    assert (s["leads"], s["won"], s["lost"], s["open"], s["undated"]) == (5, 1, 2, 2, 1)
    assert s["overall_conversion"] == pytest.approx(1 / 5)  # 1 of 5 reached won -> 0.2
    assert s["win_rate"] == pytest.approx(1 / 3)  # won / (won + lost) = 1 / 3


def test_stage_funnel_passed_rule(build):
    con = five_leads(build)
    f = stage_funnel(con, build.ctx()).set_index("stage")
    # reached: all 5 acquired; 3 reached screening (L3, L4, L5); 2 discovery (L4, L5);
    # proposal skipped by L5 counts as passed -> 1; won 1; after_sales 0
    assert list(f["reached"]) == [5, 3, 2, 1, 1, 0]
    assert f.loc["screening", "step_conversion"] == pytest.approx(3 / 5)  # 3 of 5 -> 0.6
    assert f.loc["discovery", "step_conversion"] == pytest.approx(2 / 3)  # 2 of 3 screened reached discovery
    assert f.loc["proposal", "step_conversion"] == pytest.approx(1 / 2)
    assert f.loc["won", "step_conversion"] == pytest.approx(1.0)  # the skipped proposal counts as passed
    assert f.loc["after_sales", "step_conversion"] == 0.0  # 0 of 1: a real zero, not undefined
    # dropped = furthest here and lost; open = furthest here and untouched/active
    assert list(f["dropped"]) == [1, 1, 0, 0, 0, 0]
    assert list(f["open"]) == [1, 0, 1, 0, 0, 0]
    assert list(f["in_progress"]) == [1, 0, 1, 0, 0, 0]  # L2 at acquired, L4 at discovery
    # reached(s) = reached(next) + dropped(s) + open(s) before the won stage: 5 = 3 + 1 + 1, 3 = 2 + 1 + 0
    for a, b in zip(f.index[:4], f.index[1:5]):
        assert f.loc[a, "reached"] == f.loc[b, "reached"] + f.loc[a, "dropped"] + f.loc[a, "open"]


def test_stage_funnel_strict_rule(build):
    con = five_leads(build)
    f = stage_funnel(con, build.ctx(skip_rule="strict")).set_index("stage")
    # strict: proposal counts only leads with an event there (none) -> 0; won: L5 (won) -> 1
    assert list(f["reached"]) == [5, 3, 2, 0, 1, 0]
    assert f.loc["proposal", "step_conversion"] == 0.0  # 0 of 2
    assert f.loc["won", "step_conversion"] is None or f.loc["won", "step_conversion"] != f.loc["won", "step_conversion"]


@pytest.mark.parametrize("case", ["empty_cohort", "one_stage", "zero_denominators"])
def test_edge_cases_give_none_not_zero(build, case):
    if case == "one_stage":
        build.stages([("won", 1, "won")])
        build.lead("A", status="won", events=[("won", "2024-03-05")])
    elif case == "zero_denominators":
        build.lead("A", status="untouched", events=[("acquired", "2024-03-01")])
    con = build.derive()
    ctx = build.ctx(as_of="2024-06-30")
    s = cohort_summary(con, ctx)
    f = stage_funnel(con, ctx)
    figs = figures(con, ctx)
    json.dumps(figs, allow_nan=False)  # JSON-safe: no NaN, no numpy types
    assert figs["stages"][0]["step_conversion"] is None
    if case == "empty_cohort":
        assert s["leads"] == 0 and s["overall_conversion"] is None and s["win_rate"] is None
        assert figs["overall_conversion"] is None and figs["cycle_days"]["median"] is None
        assert all(st["step_conversion"] is None for st in figs["stages"])  # 0 / 0 everywhere
    elif case == "one_stage":
        assert list(f["reached"]) == [1] and s["overall_conversion"] == 1.0 and s["win_rate"] == 1.0
    else:
        assert s["win_rate"] is None  # no won, no lost: 0 / 0 is undefined
        assert figs["stages"][1]["step_conversion"] == 0.0  # 0 of 1 reached screening


def test_filter_by_date_and_source(build):
    build.lead("A", acquired="2024-02-28", source="官网", status="won", events=[("acquired", "2024-02-28"), ("won", "2024-03-09")])
    build.lead("B", acquired="2024-03-01", source="官网", status="lost", reason="x")
    build.lead("C", acquired="2024-03-31 23:00", source="展会", status="active")
    con = build.derive()
    ctx = build.ctx(filter=FunnelFilter(date_from=dt.date(2024, 3, 1), date_to=dt.date(2024, 3, 31)))
    assert cohort_summary(con, ctx)["leads"] == 2  # B and C: the range is inclusive of whole days
    ctx = build.ctx(filter=FunnelFilter(sources=("官网",)))
    s = cohort_summary(con, ctx)
    assert (s["leads"], s["won"], s["lost"]) == (2, 1, 1)


def test_won_without_event_reaches_won(build):
    build.lead("A", status="won", events=[("acquired", "2024-03-01")])
    con = build.derive()
    f = stage_funnel(con, build.ctx()).set_index("stage")
    assert f.loc["won", "reached"] == 1  # a won lead has reached the won stage even if no event says so
