"""The speed-ups of the figure set change no figure: the list cap, the leaderboard roll-up, the one-scan
time in stage, the Arrow lead lists and the vectorised JSON conversion."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from funnel.metrics import FunnelFilter, figures, leaderboard, resolve_context
from funnel.metrics._common import records
from funnel.store.derived import refresh_derived

from tests.metrics.synthetic import make_synthetic


@pytest.fixture
def synthetic_store(store):
    make_synthetic(store, 3_000, seed=11, n_reps=9)
    store.execute("begin")
    refresh_derived(store)
    store.execute("commit")
    return store


FILTERS = [FunnelFilter(),
           FunnelFilter(date_from=dt.date(2023, 4, 1), date_to=dt.date(2023, 6, 30), sources=("转介绍",)),
           FunnelFilter(reps=("销售03", "销售05"))]


@pytest.mark.parametrize("flt", FILTERS, ids=["all", "quarter+source", "reps"])
def test_figures_lists_are_cut_but_counts_stay_whole(synthetic_store, flt):
    ctx = resolve_context(synthetic_store, flt)
    whole, cut = figures(synthetic_store, ctx), figures(synthetic_store, ctx, list_limit=5)
    assert whole["cohort"]["leads"] > 0
    for key in ("stalled", "overdue", "past_expected_close"):
        assert cut[key] == whole[key][:5] and cut[f"{key}_count"] == whole[f"{key}_count"] == len(whole[key])
    assert cut["data_quality"]["count"] == whole["data_quality"]["count"]
    rest = {k: v for k, v in whole.items() if k not in ("stalled", "overdue", "past_expected_close", "data_quality")}
    assert _same(rest, {k: cut[k] for k in rest})


def _same(a, b) -> bool:
    """Equal JSON values, floats to 1e-12 relative: DuckDB's parallel sums and means of doubles may differ in the
    last bits from one call to the next (won_amount, time_to_loss_days.mean), with or without the list cap."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (a != a and b != b) or math.isclose(a, b, rel_tol=1e-12)
    return a == b


def test_leaderboard_rollup_matches_a_direct_group_by(synthetic_store):
    # the board rolls counts up from one fine-grained scan; recompute them per dimension directly
    ctx = resolve_context(synthetic_store, FunnelFilter())
    stalled_before = ctx.as_of_at - dt.timedelta(days=ctx.stalled_days)
    for by in ("rep", "manager", "team", "source"):
        board = {row[by]: row for row in leaderboard(synthetic_store, ctx, by).to_dict("records")}
        direct = synthetic_store.execute(
            f"""select {by}, count(*), count(*) filter (where status = 'won'), count(*) filter (where status = 'lost'),
                       count(*) filter (where status in ('untouched', 'active') and last_activity_at < ?),
                       median(cycle_days) filter (where status = 'won'), sum(n_activities)
                from lead_facts where acquired_at is not null group by 1""", [stalled_before]).fetchall()
        assert len(direct) == len(board)
        for name, leads, won, lost, stalled, median_cycle, activities in direct:
            row = board[name]
            assert (row["leads"], row["won"], row["lost"], row["stalled"]) == (leads, won, lost, stalled)
            assert row["median_cycle_days"] == pytest.approx(median_cycle, nan_ok=True)
            assert row["activities_per_lead"] == pytest.approx(activities / leads)


def test_records_converts_each_dtype_like_the_json_contract():
    frame = pd.DataFrame({
        "at": pd.to_datetime(["2024-01-02", "2024-01-02 10:11:12", None], format="mixed"),
        "text": pd.Series(["a", None, "中文"], dtype="str"),
        "mixed": ["x", None, 3],
        "days": [1.5, np.nan, np.inf],
        "n": [1, 2, 3],
        "maybe_n": pd.array([1, None, 3], dtype="Int64"),
        "flag": [True, False, True],
    })
    assert records(frame) == [
        {"at": "2024-01-02", "text": "a", "mixed": "x", "days": 1.5, "n": 1, "maybe_n": 1, "flag": True},
        {"at": "2024-01-02T10:11:12", "text": None, "mixed": None, "days": None, "n": 2, "maybe_n": None,
         "flag": False},
        {"at": None, "text": "中文", "mixed": 3, "days": None, "n": 3, "maybe_n": 3, "flag": True},
    ]
    assert all(type(r["n"]) is int and type(r["flag"]) is bool for r in records(frame))
