"""Win curve, cohort triangle, forecast and backtest through the store (SPEC §7.4–7.5): hand-worked
cases, a simulated Markov chain computed independently from the store, and the backtest's no-leak rule."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from funnel.metrics import (FunnelFilter, backtest, backtest_mae, cohort_summary, cohort_triangle, forecast,
                            forecast_leads, stage_model, win_curve_summary, win_curves)
from funnel.metrics.aalen_johansen import competing_risks_curve, transition_matrices, value_at, win_probabilities
from funnel.metrics.forecast import backtest_periods
from funnel.store.db import connect
from funnel.store.derived import refresh_derived
from tests.metrics.conftest import Builder
from tests.metrics.markov_chain import (counts_reference, default_chain, load_simulation, outcomes, simulate,
                                        true_win_probability)

ORIGIN = dt.date(2024, 1, 1)


def test_fifty_fifty_through_the_store(build):
    # A lost on day 10, B won on day 20: F_W(30) = 0.5 (a KM curve censoring losses would say 1.0);
    # conversion as leads stand is also 0.5 here, but the curve is 0 until day 20.
    build.lead("A", "2024-03-01", status="lost", lost_at="2024-03-11", events=[("acquired", "2024-03-01")])
    build.lead("B", "2024-03-01", status="won", events=[("acquired", "2024-03-01"), ("won", "2024-03-21")])
    build.derive()
    ctx = build.ctx("2024-06-30")
    s = win_curve_summary(build.con, ctx)
    assert s["cohort"]["30"] == 0.5 and s["cohort"]["180"] == 0.5
    assert s["cohort"]["leads"] == 2
    curve = {p["t"]: p for p in s["curve"]}
    assert curve[10]["f_l"] == 0.5 and curve[19]["f_w"] == 0.0 and curve[20]["f_w"] == 0.5
    assert curve[20]["n"] == 1 and len(s["curve"]) == 21  # t = 0 … 20, the longest T


def test_open_leads_are_censored_at_the_as_of_and_later_closes_are_open(build):
    # C is won on 04-20 but the as-of is 04-10: open then, censored at 40 days.
    build.lead("C", "2024-03-01", status="won", events=[("won", "2024-04-20")])
    build.lead("D", "2024-03-01", status="lost", lost_at="2024-03-06")
    build.lead("E", "2024-05-01", status="active")  # acquired after the as-of: not in the curve
    build.derive()
    ctx = build.ctx("2024-04-10")
    s = win_curve_summary(build.con, ctx)
    assert s["cohort"]["leads"] == 2
    assert len(s["curve"]) == 41  # C censored at 2024-04-10 − 2024-03-01 = 40 days
    assert s["curve"][5]["f_l"] == 0.5 and s["curve"][40]["f_w"] == 0.0


def test_by_source_and_rep(build):
    build.lead("A", "2024-03-01", status="won", source="展会", rep="李明", events=[("won", "2024-03-11")])
    build.lead("B", "2024-03-01", status="lost", source="展会", rep="王芳", lost_at="2024-03-05")
    build.lead("C", "2024-03-01", status="active", source="官网", rep="王芳")
    build.derive()
    s = win_curve_summary(build.con, build.ctx("2024-06-30"))
    by_source = {r["source"]: r for r in s["by_source"]}
    assert by_source["展会"]["30"] == 0.5 and by_source["展会"]["leads"] == 2
    assert by_source["官网"]["30"] == 0.0
    by_rep = {r["rep"]: r for r in s["by_rep"]}
    assert by_rep["李明"]["30"] == 1.0 and by_rep["王芳"]["90"] == 0.0
    # the cohort: day 4 one of 3 lost; day 10 one of 2 at risk won -> F_W = 2/3 * 1/2 = 1/3
    assert s["cohort"]["30"] == pytest.approx(1 / 3)


def test_triangle_cells_observed_estimated_and_empty(build):
    # 2024-01: both leads 180+ days old at 2024-12-31 -> observed. A won on day 40: within 30 = 0, 60 = 1/2.
    build.lead("A", "2024-01-05", status="won", events=[("won", "2024-02-14")])
    build.lead("B", "2024-01-20", status="lost", lost_at="2024-01-25")
    # 2024-11: open leads 40 and 50 days old; G won on day 10 -> cell 30 observed 1/3;
    # cells 60+ estimated from F_W = 1/3, none past the longest T (50 days): 60 -> None
    build.lead("F", "2024-11-11", status="active")
    build.lead("G", "2024-11-01", status="won", events=[("won", "2024-11-11")])
    build.lead("H", "2024-11-21", status="active")
    build.derive()
    tri = cohort_triangle(build.con, build.ctx("2024-12-31"))
    jan, nov = tri.iloc[0], tri.iloc[1]
    assert (jan["period"], jan["leads"]) == ("2024-01", 2)
    assert jan["share_30"] == 0 and jan["share_60"] == 0.5 and not jan["estimated_60"]
    assert (nov["period"], nov["leads"], nov["youngest_age_days"], nov["longest_t_days"]) == ("2024-11", 3, 40, 50)
    assert nov["share_30"] == pytest.approx(1 / 3) and not nov["estimated_30"]
    assert pd.isna(nov["share_60"]) and nov["estimated_60"] is None


def test_triangle_estimated_cell_is_the_rows_win_curve(build):
    build.lead("A", "2024-11-01", status="won", events=[("won", "2024-11-21")])  # won day 20
    build.lead("B", "2024-11-01", status="lost", lost_at="2024-11-11")  # lost day 10
    build.lead("C", "2024-11-25", status="active")  # 36 days old at 12-31: censored at 36
    build.derive()
    tri = cohort_triangle(build.con, build.ctx("2024-12-31"))
    row = tri.iloc[0]
    # youngest 36 >= 30: cell 30 observed = 1 won within 30 / 3 leads
    assert row["share_30"] == pytest.approx(1 / 3) and not row["estimated_30"]
    # the longest T is C's 36 days (A 20, B 10): cell 60 lies past it -> empty
    assert row["longest_t_days"] == 36 and pd.isna(row["share_60"]) and row["estimated_60"] is None


def _sim_store(seed: int, n: int = 1500, as_of_day: int = 365, q=None):
    q = default_chain(n_open=4) if q is None else q
    sim = simulate(q, n, as_of_day, seed=seed)
    con = connect(None)
    load_simulation(con, sim, ORIGIN)
    con.execute("begin")
    refresh_derived(con)
    con.execute("commit")
    b = Builder(con)
    return con, sim, q, b.ctx((ORIGIN + dt.timedelta(days=as_of_day)).isoformat())


def test_curve_matches_the_simulation_computed_apart():
    con, sim, _, ctx = _sim_store(seed=1)
    t, o = outcomes(sim)
    ref = competing_risks_curve(t, o)
    got = win_curves(con, ctx)["cohort"]
    assert len(got) == len(ref["t"])
    for key in ("n", "f_w", "f_l", "s"):
        np.testing.assert_allclose(got[key].to_numpy(), ref[key], atol=1e-12)


def test_stage_model_counts_match_the_simulation_computed_apart():
    con, sim, q, ctx = _sim_store(seed=2, n=800, as_of_day=200)
    model = stage_model(con, ctx)
    at_risk, moves = counts_reference(sim)
    ref = transition_matrices(at_risk, moves)
    size = min(len(ref), len(model.matrices))
    np.testing.assert_allclose(model.matrices[1:size], ref[1:size], atol=1e-12)
    assert model.states == ("acquired", "screening", "discovery", "proposal", "won", "lost")


def test_forecast_equals_the_simulation_computed_apart_and_recovers_the_truth():
    con, sim, q, ctx = _sim_store(seed=3, n=3000)
    out = forecast(con, ctx)
    age = sim["as_of_day"] - sim["acq"]
    state = sim["paths"][np.arange(len(age)), age]
    open_ = state < 4
    mats = transition_matrices(*counts_reference(sim))
    probs = win_probabilities(mats, age[open_], [30, 60, 90], 4)
    p = probs[np.arange(open_.sum()), :, state[open_]]
    for j, entry in enumerate(out):
        assert entry["open_leads"] == int(open_.sum())
        assert entry["expected_wins"] == pytest.approx(p[:, j].sum(), rel=1e-9)
        truth = sum(true_win_probability(q, s, entry["horizon_days"]) for s in state[open_])
        assert entry["low"] <= truth <= entry["high"]
        assert sum(r["expected_wins"] for r in entry["by_stage"]) == pytest.approx(entry["expected_wins"])
        assert sum(r["open_leads"] for r in entry["by_stage"]) == entry["open_leads"]
        assert [r["stage"] for r in entry["by_stage"]] == ["acquired", "screening", "discovery", "proposal"]
    amounts = (np.arange(len(age)) % 5 + 1) * 1000.0
    assert out[2]["expected_amount"] == pytest.approx((p[:, 2] * amounts[open_]).sum(), rel=1e-9)
    leads = forecast_leads(con, ctx)
    assert len(leads) == open_.sum()
    assert leads["p_90"].sum() == pytest.approx(out[2]["expected_wins"])
    assert leads["p_90"].is_monotonic_decreasing


def test_two_state_model_from_age_zero_equals_the_win_curve(build):
    # stages: acquired, won only -> states open / won / lost; the model from the day-0 mix equals F_W
    build.stages([("acquired", 1, "open"), ("won", 2, "won")])
    rng = np.random.default_rng(4)
    for i in range(120):
        acq = ORIGIN + dt.timedelta(days=int(rng.integers(0, 200)))
        close = acq + dt.timedelta(days=int(rng.integers(1, 90)))
        kind = rng.choice(["won", "lost", "open"])
        if kind == "won" and close <= ORIGIN + dt.timedelta(days=240):
            build.lead(f"L{i}", acq.isoformat(), status="won", events=[("won", close.isoformat())])
        elif kind == "lost":
            build.lead(f"L{i}", acq.isoformat(), status="lost", lost_at=close.isoformat())
        else:
            build.lead(f"L{i}", acq.isoformat(), status="active")
    build.derive()
    ctx = build.ctx((ORIGIN + dt.timedelta(days=240)).isoformat())
    model = stage_model(build.con, ctx)
    curve = win_curves(build.con, ctx)["cohort"]
    for h in (10, 30, 60, 90):
        p = win_probabilities(model.matrices, [0], [h], model.won_index)[0, 0, 0]
        assert p == pytest.approx(value_at({"f_w": curve["f_w"].to_numpy()}, "f_w", h), abs=1e-12)


def test_forecast_with_no_open_leads_and_no_history(build):
    build.lead("A", "2024-03-01", status="lost", lost_at="2024-03-05")
    build.derive()
    out = forecast(build.con, build.ctx("2024-06-30"))
    assert [r["horizon_days"] for r in out] == [30, 60, 90]
    assert out[0]["open_leads"] == 0 and out[0]["expected_wins"] == 0 and out[0]["low"] == 0 == out[0]["high"]
    bt = backtest(build.con, build.ctx("2024-06-30"))
    assert bt["too_little_history"].all() and backtest_mae(bt) == {"model": None, "naive": None, "periods": 0}


def test_backtest_periods_are_whole_and_end_by_the_as_of(build):
    build.lead("A", "2024-03-01").derive()
    ctx = build.ctx("2024-06-29")
    assert backtest_periods(ctx)[-1] == (dt.date(2024, 5, 1), dt.date(2024, 5, 31))
    assert len(backtest_periods(ctx)) == 6 and backtest_periods(ctx)[0][0] == dt.date(2023, 12, 1)
    ctx = build.ctx("2024-06-30")
    assert backtest_periods(ctx)[-1] == (dt.date(2024, 6, 1), dt.date(2024, 6, 30))


def test_backtest_actual_naive_and_errors():
    con, sim, q, ctx = _sim_store(seed=5, n=2000)
    bt = backtest(con, ctx)
    assert len(bt) == 6 and not bt["too_little_history"].any()
    # actual: open at s−1 and won inside the period, straight from the simulation
    for row in bt.itertuples():
        s = (row.start - ORIGIN).days
        e = (row.end - ORIGIN).days
        n_open, won_in = 0, 0
        for acq, path in zip(sim["acq"], sim["paths"]):
            if acq > s - 1:
                continue
            if path[s - 1 - acq] < 4:
                n_open += 1
                later = path[s - acq: e - acq + 1]
                first_won = np.nonzero(later == 4)[0]
                won_in += len(first_won) > 0 and (path[s - 1 - acq + first_won[0]] != 4)
        assert (row.open_leads, row.actual) == (n_open, won_in)
    assert list(bt["naive"].iloc[1:]) == list(bt["actual"].iloc[:-1])
    mae = backtest_mae(bt)
    assert mae["model"] == pytest.approx(np.abs(bt["forecast"] - bt["actual"]).mean())
    assert mae["periods"] == 6


def _leak_store():
    con = connect(None)
    b = Builder(con)
    rng = np.random.default_rng(9)
    for i in range(60):
        acq = ORIGIN + dt.timedelta(days=int(rng.integers(0, 150)))
        d1 = acq + dt.timedelta(days=int(rng.integers(0, 20)))
        d2 = d1 + dt.timedelta(days=int(rng.integers(1, 40)))
        kind = i % 3
        if kind == 0:
            b.lead(f"L{i}", acq.isoformat(), status="won",
                   events=[("screening", d1.isoformat()), ("won", d2.isoformat())])
        elif kind == 1:
            b.lead(f"L{i}", acq.isoformat(), status="lost", lost_at=d2.isoformat(),
                   events=[("screening", d1.isoformat())])
        else:
            b.lead(f"L{i}", acq.isoformat(), status="active", events=[("screening", d1.isoformat())])
    return con, b


AS_OF = ORIGIN + dt.timedelta(days=180)
CUT = dt.date(2024, 5, 1)  # the start of the backtest period checked


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["new_lead", "event", "move_close", "activity"]),
                          st.integers(0, 59), st.integers(0, (AS_OF - CUT).days)), min_size=1, max_size=8))
def test_backtest_leaks_nothing_after_a_periods_start(changes):
    """Changing facts dated on or after a period's start leaves that period's forecast unchanged."""
    con, b = _leak_store()
    b.derive()
    ctx = b.ctx(AS_OF.isoformat())
    before = backtest(con, ctx).set_index("start")
    for i, (kind, lead, offset) in enumerate(changes):
        day = (CUT + dt.timedelta(days=offset)).isoformat()
        lead_id = f"L{lead}"
        if kind == "new_lead":
            b.lead(f"N{i}", day, status=["won", "lost", "active"][lead % 3], lost_at=day if lead % 3 == 1 else None,
                   events=[("won", day)] if lead % 3 == 0 else [("discovery", day)])
        elif kind == "event":
            b.event(lead_id, ["discovery", "proposal", "screening"][lead % 3], day)
        elif kind == "move_close":  # a dated close on or after the cut moves, staying on or after it
            con.execute("update leads set lost_at = ? where lead_id = ? and lost_at >= ?", [day, lead_id, CUT])
            con.execute("update stage_events set entered_at = ? where lead_id = ? and stage = 'won' "
                        "and entered_at >= ?", [day, lead_id, CUT])
        else:  # activities only move estimated close dates, and these leads have dated ones
            b.activity(lead_id, day)
    b.derive()
    after = backtest(con, ctx).set_index("start")
    cols = ["open_leads", "forecast", "low", "high", "wins_seen"]
    for start in before.index:
        if start <= CUT:
            was = before.loc[start, cols].astype(float).to_numpy()
            now = after.loc[start, cols].astype(float).to_numpy()
            np.testing.assert_array_equal(was, now)  # NaN (too little history) equals NaN here


def test_filters_apply(build):
    build.lead("A", "2024-03-01", status="won", source="展会", events=[("won", "2024-03-11")])
    build.lead("B", "2024-03-01", status="active", source="官网")
    build.derive()
    ctx = build.ctx("2024-06-30", filter=FunnelFilter(sources=("展会",)))
    assert win_curve_summary(build.con, ctx)["cohort"]["leads"] == 1
    assert forecast(build.con, ctx)[0]["open_leads"] == 0
    ctx = build.ctx("2024-06-30", filter=FunnelFilter(date_from=dt.date(2024, 4, 1)))
    assert win_curve_summary(build.con, ctx)["cohort"]["leads"] == 0
    assert forecast(build.con, ctx)[0]["open_leads"] == 1  # the forecast ignores the acquisition range


STAGES = ["acquired", "screening", "discovery", "proposal", "won", "after_sales"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 90), st.sampled_from(["won", "lost", "active", "untouched"]),
                          st.lists(st.tuples(st.integers(0, 5), st.integers(0, 80), st.integers(0, 23)), max_size=5),
                          st.integers(0, 60), st.booleans(), st.sampled_from(["展会", "官网"])),
                min_size=1, max_size=25),
       st.integers(20, 150))
def test_state_steps_equal_the_lifecycle_rules(leads, cut_offset):
    """The fast path (state_steps) equals the stage model built from lifecycle.state_changes_sql and
    states_at_sql at any cut-off: reversals, several entries on one day (with times), entries after the
    close, post-won stages, estimated close dates, leads acquired after the cut-off, a source filter."""
    from tests.metrics import forecast_reference as ref
    from funnel.metrics.forecast import _day, _fit, _open_at, step_counts

    con = connect(None)
    b = Builder(con)
    for i, (acq, status, events, close, dated_close, source) in enumerate(leads):
        a = ORIGIN + dt.timedelta(days=acq)
        c = (a + dt.timedelta(days=close)).isoformat()
        midnight = dt.datetime.combine(a, dt.time())
        evs = [(STAGES[s], (midnight + dt.timedelta(days=d, hours=h)).isoformat(sep=" ")) for s, d, h in events]
        if status == "won" and dated_close:
            evs.append(("won", c))
        b.lead(f"L{i}", a.isoformat(), status=status, source=source, events=evs,
               lost_at=c if status == "lost" and dated_close else None)
        if not dated_close:
            b.activity(f"L{i}", c)
    b.derive()
    cut = ORIGIN + dt.timedelta(days=cut_offset)
    for flt in (FunnelFilter(), FunnelFilter(sources=("官网",))):
        ctx = b.ctx((ORIGIN + dt.timedelta(days=200)).isoformat(), filter=flt)
        counts = step_counts(con, ctx)
        for known_by in (cut, ctx.as_of):
            want = ref.stage_model(con, ctx, known_by=known_by)
            got = _fit(counts, _day(known_by))
            size = min(len(want.matrices), len(got.matrices))
            np.testing.assert_allclose(got.matrices[:size], want.matrices[:size], atol=1e-12)
            assert np.allclose(got.matrices[size:], np.eye(len(got.states))) and \
                np.allclose(want.matrices[size:], np.eye(len(want.states)))
            assert (got.wins_seen, got.leads) == (want.wins_seen, want.leads)
            want_open = ref._open_groups(con, ctx, known_by)
            got_open = _open_at(counts, _day(known_by)).sort_values(["st", "age"]).reset_index(drop=True)
            assert got_open["n"].astype(int).tolist() == want_open["n"].astype(int).tolist()
            assert got_open[["st", "age"]].astype(int).values.tolist() == \
                want_open[["st", "age"]].astype(int).values.tolist()
        fast, slow = backtest(con, ctx), ref.backtest(con, ctx)
        for col in ("open_leads", "actual", "naive", "wins_seen", "forecast"):
            np.testing.assert_allclose(fast[col].astype(float), slow[col].astype(float), atol=1e-9)
    con.close()
