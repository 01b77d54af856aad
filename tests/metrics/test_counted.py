"""Medians and quartiles from counts per value (funnel/metrics/counted.py) equal quantile_cont over the values
themselves: by hand on small cases, on random values against DuckDB, and through the figures that use them
(cycle, time to loss, trends and leaderboard medians)."""

from __future__ import annotations

import datetime as dt
import random

import duckdb
import pytest

from funnel.metrics import cycle_summary, leaderboards, time_to_loss, trends
from funnel.metrics.counted import lost_days, quantiles_from_counts, won_cycles


def test_quantiles_from_counts_by_hand():
    # values 1, 1, 3, 10 (n = 4; None is left out): q1 at h = 3 * 0.25 = 0.75 -> between v0 = 1 and v1 = 1: 1;
    # median at h = 1.5 -> 1 + 0.5 * (3 - 1) = 2; q3 at h = 2.25 -> 3 + 0.25 * (10 - 3) = 4.75
    assert quantiles_from_counts({10.0: 1, 1.0: 2, 3.0: 1, None: 5}) == [1.0, 2.0, 4.75]
    # one value: every quartile is that value; nothing counted: None
    assert quantiles_from_counts({7.5: 3}) == [7.5, 7.5, 7.5]
    assert quantiles_from_counts({}) == [None, None, None]
    assert quantiles_from_counts({None: 2}, (0.5,)) == [None]


@pytest.mark.parametrize("seed", range(5))
def test_quantiles_from_counts_equal_quantile_cont(seed):
    rng = random.Random(seed)
    values = [rng.choice([rng.randint(0, 40), rng.random() * 90]) for _ in range(rng.randint(1, 300))]
    counts: dict = {}
    for v in values:
        counts[float(v)] = counts.get(float(v), 0) + 1
    con = duckdb.connect()
    con.execute("create table t (v double)")
    con.executemany("insert into t values (?)", [[float(v)] for v in values])
    expected = con.execute("select quantile_cont(v, [0.25, 0.5, 0.75]) from t").fetchone()[0]
    assert quantiles_from_counts(counts) == pytest.approx(expected, rel=1e-12, abs=1e-12)


def _team(build):
    # won: A (李明) cycles 10 and 30, B (王芳) 20, R (王芳) reported 40; lost: L1 14 days, L2 4 days, L3 with no
    # lost_at (unknown); one open lead. Acquired 2024-03-01 except W3 (2024-04-02, cycle 6).
    for i, (rep, days) in enumerate((("李明", 10), ("李明", 30), ("王芳", 20))):
        build.lead(f"W{i}", status="won", rep=rep, events=[("acquired", "2024-03-01"), ("won", f"2024-03-{1 + days:02d}")])
    build.lead("W3", "2024-04-02", status="won", rep="李明", events=[("acquired", "2024-04-02"), ("won", "2024-04-08")])
    build.lead("R", status="won", rep="王芳", cycle=40)
    build.lead("L1", status="lost", reason="x", lost_at="2024-03-15")
    build.lead("L2", status="lost", reason="x", lost_at="2024-03-05")
    build.lead("L3", status="lost", reason="x")
    build.lead("O", status="active")
    return build.derive()


def test_won_cycles_and_lost_days_counted(build):
    con = _team(build)
    ctx = build.ctx()
    won = won_cycles(con, ctx, ("rep",), periods=True)
    # five won leads, all with a cycle: 6, 10, 20, 30, 40 (40 reported); mean 106 / 5 = 21.2
    assert (won.total, won.n, won.n_reported) == (5, 5, 1)
    assert won.mean == pytest.approx(21.2)
    assert won.by["rep"]["李明"] == {6.0: 1, 10.0: 1, 30.0: 1} and won.by["rep"]["王芳"] == {20.0: 1, 40.0: 1}
    assert won.by["period"] == {dt.date(2024, 3, 1): {10.0: 1, 20.0: 1, 30.0: 1, 40.0: 1}, dt.date(2024, 4, 1): {6.0: 1}}
    lost = lost_days(con, ctx)
    # three lost leads, two with a known time to loss: 4 and 14 days (mean 9)
    assert (lost.total, lost.n, lost.mean) == (3, 2, 9.0)


def test_figures_from_counts(build):
    con = _team(build)
    ctx = build.ctx()
    c = cycle_summary(con, ctx)
    # 6, 10, 20, 30, 40: q1 at h = 1 -> 10, median at h = 2 -> 20, q3 at h = 3 -> 30; min 6, max 40
    assert (c["n"], c["n_reported"], c["q1"], c["median"], c["q3"], c["min"], c["max"]) == (5, 1, 10, 20, 30, 6, 40)
    assert c["mean"] == pytest.approx(21.2)
    ttl = time_to_loss(con, ctx)
    # 4 and 14: q1 at h = 0.25 -> 6.5, median 9, q3 at h = 0.75 -> 11.5
    assert (ttl["n"], ttl["q1"], ttl["median"], ttl["q3"], ttl["mean"], ttl["n_unknown"]) == (2, 6.5, 9, 11.5, 9, 1)
    boards = leaderboards(con, ctx, ("rep",))["rep"].set_index("rep")
    # 李明 6, 10, 30 -> 10; 王芳 20, 40 -> 30
    assert boards.loc["李明", "median_cycle_days"] == 10 and boards.loc["王芳", "median_cycle_days"] == 30
    tr = trends(con, ctx).set_index("period")
    # March: 10, 20, 30, 40 -> 25; April: 6
    assert list(tr["median_cycle_days"]) == [25, 6]
