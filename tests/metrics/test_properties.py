"""Invariants over generated small datasets (hypothesis) and a cross-check against the pandas baseline of bench/pandas_figures.py (the one pandas oracle)."""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funnel.metrics import (FunnelFilter, cohort_summary, cycle_summary, figures, leaderboard, loss_reasons, resolve_context,
                            stage_funnel, time_in_stage)
from funnel.store.db import connect
from funnel.store.derived import refresh_derived

from bench import pandas_figures as pf

KEYS = ["acquired", "screening", "discovery", "proposal", "won", "after_sales"]
REASONS = [None, "", "价格", " 价格", "ＰＲＩＣＥ", "price", "竞品", "决策链"]
BASE = dt.datetime(2024, 1, 1)


def random_dataset(con, seed: int, n_leads: int) -> None:
    """Fill an empty store with n_leads random leads: progressions with skips, undated middle stages,
    reversals, same-day entries, out-of-order and before-acquisition events, reported or derived status."""
    rnd = random.Random(seed)
    leads, events, acts = [], [], []
    for i in range(n_leads):
        lead_id = f"R{i:03d}"
        acquired = None if rnd.random() < 0.05 else BASE + dt.timedelta(days=rnd.randint(0, 90), hours=rnd.choice([0, 9, 15]))
        furthest = rnd.randint(0, 5)
        t = acquired or BASE
        template = rnd.random() < 0.2
        for rank in range(furthest + 1):
            if rank > 0 and rnd.random() < 0.15:
                continue  # skipped stage
            if template and 0 < rank < furthest:
                events.append((lead_id, KEYS[rank], None))
                continue
            t = t + dt.timedelta(days=rnd.choice([0, 0.5, 1, 3, 7, 12]))
            at = t - dt.timedelta(days=200) if rnd.random() < 0.05 else t
            events.append((lead_id, KEYS[rank], at))
        if rnd.random() < 0.1 and furthest >= 2:  # reversal
            events.append((lead_id, KEYS[furthest - 1], t + dt.timedelta(days=2)))
        status = rnd.choice([None, None, "untouched", "active", "won", "lost"])
        reason = rnd.choice(REASONS) if status in (None, "lost") else None
        current = rnd.choice([None, KEYS[min(furthest, 5)]])
        cycle = rnd.choice([None, None, float(rnd.randint(0, 60))])
        if rnd.random() < 0.2:
            acts.append((lead_id, (acquired or BASE) + dt.timedelta(days=rnd.randint(0, 100))))
        leads.append((lead_id, rnd.choice(["展会", "官网", None]), acquired, current, status, cycle, reason,
                       rnd.choice(["李明", "王芳", "赵强", None]), rnd.choice([None, 1000.0, 250.5])))
    if not leads:
        refresh_derived(con)
        return
    con.executemany("""insert into leads (lead_id, source, acquired_at, current_stage, status_reported,
                       cycle_days_reported, lost_reason, rep, amount) values (?, ?, ?, ?, ?, ?, ?, ?, ?)""", leads)
    if events:
        con.executemany("insert into stage_events (lead_id, stage, entered_at) values (?, ?, ?)", events)
    if acts:
        con.executemany('insert into activities (lead_id, "at") values (?, ?)', acts)
    refresh_derived(con)


@pytest.fixture(scope="module")
def shared():
    con = connect(None)
    yield con
    con.close()


def reset(con):
    for table in ("leads", "stage_events", "activities", "roster"):
        con.execute(f"delete from {table}")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), n=st.integers(0, 12), rule=st.sampled_from(["passed", "strict"]))
def test_invariants(shared, seed, n, rule):
    con = shared
    reset(con)
    random_dataset(con, seed, n)
    ctx = resolve_context(con, as_of=dt.date(2024, 6, 30), skip_rule=rule)
    f = stage_funnel(con, ctx)
    reached = list(f["reached"])
    if rule == "passed":
        assert all(a >= b for a, b in zip(reached, reached[1:])), "reached never increases"
        won_idx = KEYS.index("won")
        for i in range(won_idx):  # reached(s) = reached(next) + dropped(s) + open(s) before the won stage
            assert reached[i] == reached[i + 1] + f["dropped"][i] + f["open"][i]
        for x in f["step_conversion"].dropna():
            assert 0 <= x <= 1
    s = cohort_summary(con, ctx)
    for x in (s["overall_conversion"], s["win_rate"]):
        assert x is None or 0 <= x <= 1
    t = loss_reasons(con, ctx)
    if len(t):
        assert t["share"].sum() == pytest.approx(1.0)
        assert t["cumulative_share"].iloc[-1] == pytest.approx(1.0)
        assert list(t["count"]) == sorted(t["count"], reverse=True)
    tis = time_in_stage(con, ctx)
    for col in ("q1", "median", "q3", "mean", "min"):
        assert (tis[col].dropna() >= 0).all()
    assert con.execute("select count(*) from stage_intervals where days < 0").fetchone()[0] == 0
    c = cycle_summary(con, ctx)
    assert c["min"] is None or c["min"] >= 0
    board = leaderboard(con, ctx, "rep")
    for lo, conv, hi in zip(board["conversion_ci_low"], board["conversion"], board["conversion_ci_high"]):
        assert 0 <= lo <= conv <= hi <= 1
    json.dumps(figures(con, ctx), allow_nan=False)


@pytest.mark.parametrize("seed, date_from, date_to", [
    (1, None, None), (2, None, None), (3, None, None), (4, dt.date(2024, 1, 15), dt.date(2024, 2, 29))])
def test_cross_check_with_pandas_reference(shared, seed, date_from, date_to):
    con = shared
    reset(con)
    random_dataset(con, seed, 60)
    ctx = resolve_context(con, FunnelFilter(date_from=date_from, date_to=date_to), as_of=dt.date(2024, 6, 30))
    flt = pf.Filter(date_from=date_from, date_to=date_to)
    d = pf.derive(pf.load_frames_duckdb(con))
    c_ref = pf.cohort(d, flt)
    s = cohort_summary(con, ctx)
    assert {k: s[k] for k in ("leads", "won", "lost", "open")} == {
        k: v for k, v in pf.cohort_summary(d, c_ref, flt).items() if k in ("leads", "won", "lost", "open")}
    f = stage_funnel(con, ctx)
    f_ref = pf.stage_funnel(d, c_ref)
    assert dict(zip(f["stage"], f["reached"])) == dict(zip(f_ref["stage"], f_ref["reached"].tolist()))
    tis = time_in_stage(con, ctx).set_index("stage")
    for _, expected in pf.time_in_stage(d, c_ref, flt).iterrows():
        row = tis.loc[expected["stage"]]
        assert row["n"] == expected["n"]
        if expected["n"]:
            for q in ("q1", "median", "q3", "mean"):
                assert row[q] == pytest.approx(expected[q]), (expected["stage"], q)
    c = cycle_summary(con, ctx)
    c_expected = pf.cycle_summary(c_ref)
    assert (c["n"], c["n_reported"]) == (c_expected["n"], c_expected["n_reported"])
    assert c["median"] == pytest.approx(c_expected["median"])
    assert c["mean"] == pytest.approx(c_expected["mean"])
