"""refresh_derived: lead_facts, stage_intervals, event_problems on hand-made leads."""

from __future__ import annotations

import pytest


def facts(con, lead_id):
    cur = con.execute("select * from lead_facts where lead_id = ?", [lead_id])
    cols = [d[0] for d in cur.description]
    return dict(zip(cols, cur.fetchone()))


def intervals(con, lead_id):
    return con.execute("select stage, days, kind from stage_intervals where lead_id = ? order by started_at, stage_order",
                       [lead_id]).fetchall()


@pytest.mark.parametrize("case, expected_status", [
    ("won_event", "won"), ("reason_only", "lost"), ("lost_at_only", "lost"), ("progressed", "active"),
    ("activity_only", "active"), ("nothing", "untouched"), ("reported_wins", "lost"),
])
def test_status_derived_when_not_reported(build, case, expected_status):
    b = build
    if case == "won_event":
        b.lead("A", events=[("acquired", "2024-03-01"), ("won", "2024-03-20")])
    elif case == "reason_only":
        b.lead("A", reason="价格太高", events=[("acquired", "2024-03-01")])
    elif case == "lost_at_only":
        b.lead("A", lost_at="2024-03-09", events=[("acquired", "2024-03-01")])
    elif case == "progressed":
        b.lead("A", events=[("acquired", "2024-03-01"), ("screening", "2024-03-04")])
    elif case == "activity_only":
        b.lead("A", events=[("acquired", "2024-03-01")]).activity("A", "2024-03-02")
    elif case == "nothing":
        b.lead("A", events=[("acquired", "2024-03-01")])
    elif case == "reported_wins":  # the file's status is the truth even if the events say more
        b.lead("A", status="lost", events=[("acquired", "2024-03-01"), ("won", "2024-03-20")])
    con = b.derive()
    assert facts(con, "A")["status"] == expected_status


def test_manager_and_team_from_roster(build):
    build.roster("李明", "王芳", "华东").lead("A").lead("B", manager="赵强")
    con = build.derive()
    assert (facts(con, "A")["manager"], facts(con, "A")["team"]) == ("王芳", "华东")
    assert (facts(con, "B")["manager"], facts(con, "B")["team"]) == ("赵强", "华东")  # the lead's manager wins


def test_cycle_computed_reported_and_mismatch(build):
    build.lead("W1", status="won", events=[("acquired", "2024-03-01"), ("won", "2024-03-31 12:00")])
    build.lead("W2", status="won", cycle=40, events=[("acquired", "2024-03-01")])
    build.lead("W3", status="won", cycle=10, events=[("acquired", "2024-03-01"), ("won", "2024-03-31")])
    con = build.derive()
    # 2024-03-01 00:00 -> 2024-03-31 12:00 = 30.5 days, computed from the timestamps
    assert facts(con, "W1")["cycle_days"] == pytest.approx(30.5)
    assert facts(con, "W1")["cycle_from_reported"] is False
    # no won-stage date: the reported 40 days, flagged as reported
    assert (facts(con, "W2")["cycle_days"], facts(con, "W2")["cycle_from_reported"]) == (40, True)
    # computed 30 vs reported 10: more than one day apart -> cycle_mismatch, the computed one is used
    assert facts(con, "W3")["cycle_days"] == 30
    problems = con.execute("select lead_id, problem from event_problems where problem = 'cycle_mismatch'").fetchall()
    assert problems == [("W3", "cycle_mismatch")]


def test_event_before_acquisition_left_out_of_time_figures(build):
    # the won event (02-20) is before the acquisition (03-01): a problem, not a -10 day cycle
    build.lead("A", status="won", events=[("acquired", "2024-03-01"), ("screening", "2024-03-05"), ("won", "2024-02-20")])
    con = build.derive()
    f = facts(con, "A")
    assert f["won_at"] is None and f["cycle_days"] is None
    assert f["furthest_stage"] == "won"  # it still reached the won stage
    assert con.execute("select stage, problem from event_problems where lead_id = 'A'").fetchall() == [
        ("won", "before_acquisition")]
    assert intervals(con, "A") == [("acquired", 4.0, "completed")]  # 03-01 -> 03-05; nothing from the bad event


def test_span_over_undated_stage(build):
    # template row: acquired 03-01, current stage proposal entered 03-21, screening and discovery undated
    build.lead("T", stage="proposal", stage_at="2024-03-21",
               events=[("acquired", "2024-03-01"), ("screening", None), ("discovery", None), ("proposal", "2024-03-21")])
    con = build.derive()
    # the 20 days from acquisition to proposal pass over two stages reached on unknown dates: a span
    assert intervals(con, "T") == [("acquired", 20.0, "span")]
    assert facts(con, "T")["status"] == "active"


def test_reversal_adds_intervals(build):
    build.lead("R", stage="screening", events=[
        ("acquired", "2024-03-01"), ("screening", "2024-03-03"), ("discovery", "2024-03-10"), ("screening", "2024-03-12")])
    con = build.derive()
    assert intervals(con, "R") == [("acquired", 2.0, "completed"), ("screening", 7.0, "completed"),
                                   ("discovery", 2.0, "completed")]
    f = facts(con, "R")
    assert (f["furthest_stage"], f["current_stage"]) == ("discovery", "screening")
    assert str(f["current_entered_at"]) == "2024-03-12 00:00:00"  # latest entry into the current stage


def test_same_day_entries_ordered_by_stage(build):
    build.lead("S", events=[("screening", "2024-03-01"), ("acquired", "2024-03-01"), ("discovery", "2024-03-04")])
    con = build.derive()
    # same timestamp: stage order breaks the tie -> acquired (0 days), then screening (3 days)
    assert intervals(con, "S") == [("acquired", 0.0, "completed"), ("screening", 3.0, "completed")]


def test_undated_lead_flagged(build):
    build.lead("U", acquired=None, events=[("screening", "2024-03-03")])
    con = build.derive()
    assert con.execute("select problem from event_problems where lead_id = 'U'").fetchall() == [("no_acquired_at",)]


def test_loss_reason_folded(build):
    build.lead("A", status="lost", reason="  价格  太高 ").lead("B", status="lost", reason="ＰＲＩＣＥ")
    build.lead("C", status="lost", reason="-")
    con = build.derive()
    assert (facts(con, "A")["lost_reason"], facts(con, "A")["lost_reason_key"]) == ("价格 太高", "价格 太高")
    assert (facts(con, "B")["lost_reason"], facts(con, "B")["lost_reason_key"]) == ("PRICE", "price")
    assert facts(con, "C")["lost_reason"] is None  # '-' means missing


def test_refresh_is_repeatable(build):
    build.lead("A", events=[("acquired", "2024-03-01"), ("screening", "2024-03-02")])
    con = build.derive()
    first = con.execute("select * from stage_intervals").fetchall()
    build.derive()
    assert con.execute("select * from stage_intervals").fetchall() == first
    assert con.execute("select count(*) from lead_stages").fetchone()[0] == 2


DERIVED_ROWS = ("lead_facts", "interval_facts", "entry_facts", "state_steps", "event_problems", "fact_days",
                "cohort_cube", "interval_cube")


def _sample(b):
    b.lead("W", status="won", events=[("acquired", "2024-03-01"), ("screening", "2024-03-01"), ("won", "2024-03-20")])
    b.lead("L", reason="价格太高", stage="discovery", events=[("acquired", "2024-03-02"), ("discovery", None),
                                                             ("proposal", "2024-03-09"), ("screening", "2024-02-01")])
    b.lead("O", acquired=None, events=[("screening", "2024-04-04")]).activity("O", "2024-04-05")
    b.event("GHOST", "screening", "2024-05-01").event("L", "no_such_stage", "2024-05-02")
    return b.derive()


def test_per_lead_grouping_setting_restored_and_same_rows_on_a_locked_connection(store):
    # The per-lead aggregates run under a raised perfect_ht_threshold where DuckDB lets the refresh set it; the
    # connection's own value comes back afterwards, and a locked connection (the dashboard's confined store),
    # where the threshold stays, derives the same rows.
    from funnel.store.db import confine_connection, connect
    from tests.metrics.conftest import Builder

    before = store.execute("select current_setting('perfect_ht_threshold')").fetchone()[0]
    con = _sample(Builder(store))
    assert con.execute("select current_setting('perfect_ht_threshold')").fetchone()[0] == before
    locked = connect(None)
    try:
        confine_connection(locked)
        _sample(Builder(locked))
        for table in DERIVED_ROWS:
            rows = sorted(con.execute(f"select * from {table}").fetchall(), key=repr)
            assert rows and rows == sorted(locked.execute(f"select * from {table}").fetchall(), key=repr), table
    finally:
        locked.close()
