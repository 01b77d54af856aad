"""SPEC §7.1: the period bridge and the stage movement matrix, by hand and as properties on random data."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funnel.metrics import FunnelFilter, resolve_context
from funnel.metrics.review_bridge import BUCKETS, MOVES, bridge, bridge_leads


def may_data(build):
    """Period May 2024 (as-of 05-31). Hand-made leads, each with what it is in the bridge."""
    # O1 open at 04-30 in screening, advanced to proposal on 05-10, still open: open_start, open_end
    build.lead("O1", "2024-04-01", status="active", stage="proposal", amount=100,
               events=[("acquired", "2024-04-01"), ("screening", "2024-04-10"), ("proposal", "2024-05-10")])
    # O2 open at 04-30 in discovery, won 05-20: open_start, won
    build.lead("O2", "2024-04-02", status="won", stage="won", amount=300,
               events=[("acquired", "2024-04-02"), ("discovery", "2024-04-20"), ("won", "2024-05-20")])
    # O3 open at 04-30 in screening, lost 05-15: open_start, lost
    build.lead("O3", "2024-04-03", status="lost", stage="screening", lost_at="2024-05-15", reason="价格",
               events=[("acquired", "2024-04-03"), ("screening", "2024-04-05")])
    # O4 lost 04-25 (before May): not in the bridge
    build.lead("O4", "2024-04-04", status="lost", stage="acquired", lost_at="2024-04-25", reason="价格")
    # N1 acquired 05-03, still in the first stage: new, open_end, stayed
    build.lead("N1", "2024-05-03", status="untouched", stage="acquired")
    # N2 acquired 05-04, lost without a date: close = last activity 05-08 (estimated): new, lost
    build.lead("N2", "2024-05-04", status="lost", stage="screening", reason="预算",
               events=[("screening", "2024-05-08")])
    # N3 acquired 06-02 (after the period): not in the bridge
    build.lead("N3", "2024-06-02", status="active", stage="acquired")
    # O5 open at 04-30 in proposal, back to discovery 05-12: open_start, open_end, slipped; amount missing
    build.lead("O5", "2024-04-05", status="active", stage="discovery",
               events=[("proposal", "2024-04-20"), ("discovery", "2024-05-12")])
    # U1 without acquisition date: counted apart
    build.lead("U1", None, status="active")
    return build.derive()


def test_bridge_hand_worked(build):
    may_data(build)
    ctx = build.ctx("2024-06-05")
    out = bridge(build.con, ctx, "2024-05-01")
    # open at 04-30: O1 O2 O3 O5 = 4; new in May: N1 N2 = 2; won O2; lost O3 N2; open at 05-31: O1 O5 N1
    assert (out["open_start"], out["new"], out["won"], out["lost"], out["open_end"]) == (4, 2, 1, 2, 3)
    assert out["open_start"] + out["new"] == out["won"] + out["lost"] + out["open_end"]  # 4 + 2 = 1 + 2 + 3
    # amounts: open_start 100 + 300 + 0 + 0 = 400; won 300; open_end 100
    assert out["amount"]["open_start"] == 400 and out["amount"]["won"] == 300 and out["amount"]["open_end"] == 100
    assert out["n_without_amount"] == 4  # O3 O5 N1 N2
    assert out["close_estimated"] == 1  # N2 (lost, no loss date)
    assert out["undated"] == 1
    cells = {(c["from"], c["to"]): c["leads"] for c in out["matrix"]}
    assert cells == {("screening", "proposal"): 1, ("discovery", "won"): 1, ("screening", "lost"): 1,
                     ("proposal", "discovery"): 1, ("new", "acquired"): 1, ("new", "lost"): 1}
    rows = {r["from"]: r for r in out["rows"]}
    assert [r["from"] for r in out["rows"]] == ["screening", "discovery", "proposal", "new"]
    assert rows["screening"] == {"from": "screening", "from_kind": "stage", "leads": 2, "advanced": 1, "stayed": 0,
                                 "slipped": 0, "closed_lost": 1}
    assert rows["proposal"]["slipped"] == 1 and rows["new"]["stayed"] == 1 and rows["new"]["closed_lost"] == 1
    lost = bridge_leads(build.con, ctx, "2024-05-01", bucket="lost")
    assert list(lost["lead_id"]) == ["N2", "O3"]
    assert list(lost["close_estimated"]) == [True, False]
    assert str(lost["close_date"].iloc[0])[:10] == "2024-05-08"


def test_every_number_equals_its_list(build):
    may_data(build)
    ctx = build.ctx("2024-06-05")
    out = bridge(build.con, ctx, "2024-05-01")
    for bucket in BUCKETS:
        assert len(bridge_leads(build.con, ctx, "2024-05-01", bucket=bucket)) == out[bucket]
    for cell in out["matrix"]:
        assert len(bridge_leads(build.con, ctx, "2024-05-01", from_=cell["from"], to=cell["to"])) == cell["leads"]
    for row in out["rows"]:
        for move in MOVES:
            assert len(bridge_leads(build.con, ctx, "2024-05-01", from_=row["from"], move=move)) == row[move]
    assert len(bridge_leads(build.con, ctx, "2024-05-01", without_amount=True)) == out["n_without_amount"]
    assert len(bridge_leads(build.con, ctx, "2024-05-01", estimated=True)) == out["close_estimated"]


def test_period_after_as_of_and_period_without_data(build):
    may_data(build)
    ctx = build.ctx("2024-06-05")
    late = bridge(build.con, ctx, "2024-08-01")
    assert late["after_as_of"] and late["open_start"] == 0 and late["matrix"] == []
    early = bridge(build.con, ctx, "2023-01-01")
    assert not early["after_as_of"] and sum(early[k] for k in BUCKETS) == 0


def test_end_clipped_to_as_of(build):
    may_data(build)
    out = bridge(build.con, build.ctx("2024-05-16"), "2024-05-01")
    # as-of 05-16: O2 (won 05-20) still open at the end; N2 lost 05-08 and O3 lost 05-15 are lost
    assert out["end"] == "2024-05-16" and out["won"] == 0 and out["lost"] == 2 and out["open_end"] == 4


def test_same_day_entries_take_the_higher_stage_and_post_won_counts_as_won(build):
    build.lead("S1", "2024-04-01", status="active", stage="discovery",
               events=[("discovery", "2024-04-10 09:00"), ("screening", "2024-04-10 17:00")])
    build.lead("S2", "2024-04-01", status="active", stage="after_sales", events=[("after_sales", "2024-04-12")])
    build.derive()
    out = bridge(build.con, build.ctx("2024-05-31"), "2024-05-01")
    assert {(c["from"], c["to"]) for c in out["matrix"]} == {("discovery", "discovery"), ("won", "won")}
    won_cell = [c for c in out["matrix"] if c["from"] == "won"][0]
    assert won_cell["to_kind"] == "stage" and out["won"] == 0


def random_store(seed: int):
    from tests.metrics.conftest import Builder
    from funnel.store.db import connect

    con = connect(None)
    b = Builder(con)
    rnd = random.Random(seed)
    keys = ["acquired", "screening", "discovery", "proposal", "won", "after_sales"]
    for i in range(rnd.randint(0, 40)):
        acq = dt.datetime(2024, 3, 1) + dt.timedelta(days=rnd.randint(0, 100))
        status = rnd.choice(["won", "lost", "active", "untouched", None])
        events = []
        t = acq
        for _ in range(rnd.randint(0, 4)):
            t = t + dt.timedelta(days=rnd.randint(-3, 20))
            events.append((rnd.choice(keys), t.isoformat(sep=" ") if rnd.random() > 0.1 else None))
        lost_at = (acq + dt.timedelta(days=rnd.randint(-5, 60))).isoformat(sep=" ") if rnd.random() < 0.5 else None
        b.lead(f"L{i}", acq.isoformat(sep=" ") if rnd.random() > 0.05 else None, status=status,
               stage=rnd.choice(keys + [None]), lost_at=lost_at, cycle=rnd.choice([None, 5, 40]),
               amount=rnd.choice([None, 10.0, 250.5]), source=rnd.choice(["a", "b"]), events=events)
        if rnd.random() < 0.3:
            b.activity(f"L{i}", (acq + dt.timedelta(days=rnd.randint(0, 50))).isoformat(sep=" "))
    b.derive()
    return con


@given(seed=st.integers(0, 100_000), day=st.integers(0, 120), grain=st.sampled_from(["week", "month", "quarter"]))
@settings(max_examples=25, deadline=None)
def test_identities_on_random_data(seed, day, grain):
    con = random_store(seed)
    try:
        ctx = resolve_context(con, FunnelFilter(sources=("a",)) if seed % 3 == 0 else FunnelFilter(),
                              as_of=dt.date(2024, 6, 20), grain=grain)
        period = dt.date(2024, 3, 1) + dt.timedelta(days=day)
        out = bridge(con, ctx, period)
        assert out["open_start"] + out["new"] == out["won"] + out["lost"] + out["open_end"]
        amounts = out["amount"]
        assert amounts["open_start"] + amounts["new"] == pytest.approx(
            amounts["won"] + amounts["lost"] + amounts["open_end"])
        # matrix: row sums = the row's start count, column sums = the column's end count
        starts: dict = {}
        ends: dict = {}
        for c in out["matrix"]:
            starts[c["from_kind"] == "new"] = starts.get(c["from_kind"] == "new", 0) + c["leads"]
            ends[c["to_kind"]] = ends.get(c["to_kind"], 0) + c["leads"]
        assert starts.get(False, 0) == out["open_start"] and starts.get(True, 0) == out["new"]
        assert ends.get("stage", 0) == out["open_end"] and ends.get("won", 0) == out["won"]
        assert ends.get("lost", 0) == out["lost"]
        for row in out["rows"]:
            assert row["leads"] == sum(row[m] for m in MOVES)
            assert row["leads"] == sum(c["leads"] for c in out["matrix"] if c["from"] == row["from"]
                                       and c["from_kind"] == row["from_kind"])
            if row["from_kind"] == "new":
                assert row["slipped"] == 0
        # won / lost straight from the definition: status won / lost with close date in P
        if not out["after_as_of"]:
            close = "f.close_date"
            where, params = ctx.filter.where("f", dated_only=False)
            won, lost = con.execute(
                f"""select count(*) filter (where status = 'won' and {close} between ? and ?),
                           count(*) filter (where status = 'lost' and {close} between ? and ?)
                    from lead_facts f where acquired_at is not null and {where}""",
                [out["start"], out["end"], out["start"], out["end"], *params]).fetchone()
            assert (won, lost) == (out["won"], out["lost"])
    finally:
        con.close()


@given(seed=st.integers(0, 100_000), day=st.integers(0, 120))
@settings(max_examples=20, deadline=None)
def test_two_day_states_equal_the_shared_state_rule(seed, day):
    """The bridge's one-pass states equal lifecycle.states_at_sql at s−1 and at e, lead for lead."""
    from funnel.metrics.lifecycle import states_at_sql
    from funnel.metrics.review_bridge import _states_two_days_sql
    from funnel.metrics.review_period import review_period

    con = random_store(seed)
    try:
        ctx = resolve_context(con, FunnelFilter(), as_of=dt.date(2024, 6, 20))
        p = review_period(ctx, dt.date(2024, 3, 1) + dt.timedelta(days=day))
        (sql, params), _ = _states_two_days_sql(ctx, p)
        mine = con.execute(f"with {sql} select lead_key, state_start, rank_start, state_end, rank_end from st",
                           params).fetchall()
        s0_sql, s0_params = states_at_sql(ctx, p.start - dt.timedelta(days=1))
        s1_sql, s1_params = states_at_sql(ctx, p.end)
        shared = con.execute(
            f"""with s0 as ({s0_sql}), s1 as ({s1_sql})
                select s0.lead_key, s0.state, s0.stage_rank, s1.state, s1.stage_rank
                from s0 join s1 on s0.lead_key = s1.lead_key
                where s0.state = 'open' or s1.acquired_on between ? and ?""",
            [*s0_params, *s1_params, p.start, p.end]).fetchall()
        assert sorted(mine) == sorted(shared)
    finally:
        con.close()
