"""time_in_stage, cycle_summary, cycle_distribution, time_to_loss."""

from __future__ import annotations

import pytest

from funnel.metrics import cycle_distribution, cycle_summary, time_in_stage, time_to_loss


def test_time_in_stage_completed_and_in_progress(build):
    # screening intervals: A 2 days (03-03 -> 03-05), B 4 days (03-02 -> 03-06), C 9 days (03-01 -> 03-10)
    build.lead("A", status="won", events=[("acquired", "2024-03-01"), ("screening", "2024-03-03"), ("won", "2024-03-05")])
    build.lead("B", status="active", stage="discovery",
               events=[("acquired", "2024-03-01"), ("screening", "2024-03-02"), ("discovery", "2024-03-06")])
    build.lead("C", status="lost", reason="x", events=[("acquired", "2024-03-01"), ("screening", "2024-03-01"),
                                                       ("discovery", "2024-03-10")])
    build.lead("D", status="active", stage="screening", events=[("acquired", "2024-03-01"), ("screening", "2024-03-20")])
    con = build.derive()
    t = time_in_stage(con, build.ctx(as_of="2024-03-30")).set_index("stage")
    s = t.loc["screening"]
    assert s["n"] == 3
    assert s["median"] == pytest.approx(4.0)  # of 2, 4, 9
    assert s["q1"] == pytest.approx(3.0)  # linear interpolation: 2 + 0.5 * (4 - 2)
    assert s["q3"] == pytest.approx(6.5)  # 4 + 0.5 * (9 - 4)
    assert s["mean"] == pytest.approx(5.0)  # (2 + 4 + 9) / 3
    assert s["in_progress"] == 1  # D sits in screening since 03-20: censored, not in n
    assert s["in_progress_median_days"] == pytest.approx(10.0)  # 03-20 -> as-of 03-30
    acq = t.loc["acquired"]
    # acquired: A 2, B 1, C 0 (same day), D 19 -> median of 0, 1, 2, 19 = 1.5
    assert (acq["n"], acq["median"]) == (4, pytest.approx(1.5))
    assert t.loc["discovery", "in_progress"] == 1 and t.loc["discovery", "n"] == 0
    assert t.loc["won", "n"] == 0  # the won stage has no later event: no completed interval


def test_out_of_order_events_sorted_by_time(build):
    build.lead("A", events=[("discovery", "2024-03-09"), ("acquired", "2024-03-01"), ("screening", "2024-03-04")])
    con = build.derive()
    t = time_in_stage(con, build.ctx()).set_index("stage")
    assert (t.loc["acquired", "median"], t.loc["screening", "median"]) == (3.0, 5.0)  # 03-01->03-04, 03-04->03-09


def test_span_not_counted_anywhere(build):
    build.lead("T", stage="proposal", events=[("acquired", "2024-03-01"), ("screening", None), ("proposal", "2024-03-21")])
    con = build.derive()
    t = time_in_stage(con, build.ctx()).set_index("stage")
    assert t["n"].sum() == 0  # the 20 days pass over screening (unknown date): a span
    assert t.loc["acquired", "spans"] == 1


def test_cycle_summary_and_distribution(build):
    # cycles 10, 20, 30 computed and 40 reported
    for i, days in enumerate((10, 20, 30)):
        build.lead(f"W{i}", status="won", events=[("acquired", "2024-03-01"), ("won", f"2024-03-{1 + days:02d}")])
    build.lead("R", status="won", cycle=40)
    build.lead("L", status="lost", reason="x", lost_at="2024-03-15")
    con = build.derive()
    c = cycle_summary(con, build.ctx())
    assert (c["n"], c["n_reported"]) == (4, 1)
    assert c["median"] == pytest.approx(25.0)  # of 10, 20, 30, 40
    assert c["q1"] == pytest.approx(17.5) and c["q3"] == pytest.approx(32.5)
    assert c["mean"] == pytest.approx(25.0)
    hist = cycle_distribution(con, build.ctx(), bin_days=20)
    # bins [0,20): 10 -> 1; [20,40): 20, 30 -> 2; [40,60): 40 (reported) -> 1
    assert list(hist["bin_start"]) == [0, 20, 40] and list(hist["count"]) == [1, 2, 1]
    assert list(hist["n_reported"]) == [0, 0, 1]
    ttl = time_to_loss(con, build.ctx())
    assert (ttl["n"], ttl["median"]) == (1, pytest.approx(14.0))  # 03-01 -> 03-15


def test_cycle_empty_is_none(build):
    build.lead("A", status="active")
    con = build.derive()
    c = cycle_summary(con, build.ctx())
    assert c["n"] == 0 and c["median"] is None and c["mean"] is None
    assert len(cycle_distribution(con, build.ctx())) == 0
