"""The stage model computed straight from lifecycle.state_changes_sql / states_at_sql (the first version of
funnel/metrics/forecast.py, kept as the reference the fast path over state_steps must equal; slow at 1M).

The stage model: a Markov chain on the acquisition clock whose states are the configured stages up to the
one before the won stage, then ``won`` and ``lost``, estimated by Aalen–Johansen. DuckDB hands numpy the
per-age counts (leads at risk per state and day of age, transitions per day of age); numpy builds the
one-day matrices P(u) = I + ΔA(u) and the products P(a+1) … P(a+H), one per distinct age of the open
leads (``funnel.metrics.aalen_johansen``). The states of a lead come from ``funnel.metrics.lifecycle``
(the close-date and state-at-a-date rules of §7, shared with the Review).

Only what differs from funnel/metrics/forecast.py is here: ``stage_model`` (the fit), ``_open_groups`` (the open
leads at a cut-off) and ``backtest``; the model type, the states, the probabilities and the periods are
imported from it.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd

from funnel.metrics.aalen_johansen import interval80, transition_matrices
from funnel.metrics.context import MetricContext
from funnel.metrics.forecast import (BACKTEST_PERIODS, StageModel, _group_probabilities, backtest_periods,
                                     model_states)
from funnel.metrics.lifecycle import state_changes_sql, states_at_sql
from funnel.periods import period_label, previous_period


def _state_index(ctx: MetricContext, state: str = "state", rank: str = "stage_rank") -> str:
    """SQL: the model state index of a row with a lifecycle ``state`` and ``stage_rank`` (an open lead at
    the won stage or later is in the state of the stage before the won stage)."""
    open_states = len(model_states(ctx)) - 2
    return (f"case when {state} = 'won' then {open_states} when {state} = 'lost' then {open_states + 1} "
            f"else least(greatest(coalesce({rank}, 1), 1), {open_states}) - 1 end")


def _query(con, inner: tuple[str, list | dict], outer: str, params: list) -> pd.DataFrame:
    """Run ``outer`` over ``inner`` (named ``src`` in a CTE, so its parameters come first)."""
    sql, inner_params = inner
    if isinstance(inner_params, dict):
        named = dict(inner_params)
        named.update({f"o{i}": v for i, v in enumerate(params)})
        text = outer
        for i in range(len(params)):
            text = text.replace("?", f"$o{i}", 1)
        return con.execute(f"with src as ({sql}) {text}", named).df()
    return con.execute(f"with src as ({sql}) {outer}", [*inner_params, *params]).df()


def stage_model(con: duckdb.DuckDBPyConnection, ctx: MetricContext, known_by: dt.date | None = None) -> StageModel:
    """Fit the stage model on the leads passing ctx's attribute filters (the acquisition range does not
    apply), with what was known at the end of ``known_by`` (None: everything, observed to the as-of date).

    n_s(u) = leads in state s at the end of day u−1 still observed at u; d_{s→r}(u) = those in state r at
    the end of day u. A lead's rows of ``state_changes_sql`` give the state from each change day on; a row
    at age a whose next change is at age b (none: the lead's observed_to_age) puts the lead at risk in its
    state for u = a+1 … min(b, observed_to_age).
    """
    states = model_states(ctx)
    size = len(states)
    open_states = size - 2
    counts = _query(con, state_changes_sql(ctx, known_by=known_by), f"""
        , m as (select lead_key, age_days as age, {_state_index(ctx)} as st, observed_to_age as obs from src),
        w as materialized (
            select lead_key, age, st, obs, lag(st) over (partition by lead_key order by age) as prev,
                   lead(age) over (partition by lead_key order by age) as next_age
            from m)
        select 0 as kind, age as lo, age as hi, prev as s, st as r, count(*) as n
        from w where prev is not null and prev <> st and age <= obs group by all
        union all
        select 1, age + 1, least(coalesce(next_age, obs), obs), st, st, count(*)
        from w where st < {open_states} and age + 1 <= least(coalesce(next_age, obs), obs) group by all
        union all
        select 2, 0, 0, 0, 0, count(distinct lead_key) from w""", [])
    counts = counts.astype({"kind": "int64"})
    leads = int(counts.loc[counts["kind"] == 2, "n"].sum())
    body = counts[counts["kind"] != 2]
    longest = int(body["hi"].max()) + 2 if len(body) else 2
    at_risk = np.zeros((longest + 1, size))
    moves = np.zeros((longest + 1, size, size))
    mv = body[body["kind"] == 0]
    if len(mv):
        np.add.at(moves, (mv["lo"].to_numpy(np.int64), mv["s"].to_numpy(np.int64), mv["r"].to_numpy(np.int64)),
                  mv["n"].to_numpy(np.float64))
    rk = body[body["kind"] == 1]
    if len(rk):
        s = rk["s"].to_numpy(np.int64)
        n = rk["n"].to_numpy(np.float64)
        np.add.at(at_risk, (rk["lo"].to_numpy(np.int64), s), n)
        np.add.at(at_risk, (rk["hi"].to_numpy(np.int64) + 1, s), -n)
    at_risk = np.cumsum(at_risk, axis=0)
    matrices = transition_matrices(at_risk, moves)
    wins_seen = int(moves[:, :open_states, open_states].sum())
    return StageModel(states=states, matrices=matrices, wins_seen=wins_seen, leads=leads)


def _open_groups(con, ctx: MetricContext, day: dt.date) -> pd.DataFrame:
    """The leads open at the end of ``day`` grouped by (model state, age in days): st, age, n, amount."""
    return _query(con, states_at_sql(ctx, day), f"""
        select {_state_index(ctx)} as st, date_diff('day', acquired_on, cast(? as date)) as age,
               count(*) as n, sum(coalesce(amount, 0)) as amount
        from src where state = 'open' group by all order by all""", [day])


def _actual(con, ctx: MetricContext, start: dt.date, end: dt.date) -> int:
    """Leads open at the end of start−1 whose status is won with close date in start … end."""
    frame = _query(con, states_at_sql(ctx, start - dt.timedelta(days=1)), """
        select count(*) as n from src
        where state = 'open' and status = 'won' and close_date >= cast(? as date) and close_date <= cast(? as date)""",
                   [start, end])
    return int(frame["n"].iloc[0])


def backtest(con: duckdb.DuckDBPyConnection, ctx: MetricContext, n: int = BACKTEST_PERIODS) -> pd.DataFrame:
    """The backtest (SPEC §7.5): one row per whole period ending on or before the as-of date, oldest first.

    For a period [s, e]: the model is fitted on what was known at the end of s−1 and forecasts, with
    H = e − s + 1 days, the wins among the leads open at the end of s−1. Columns: period, start, end,
    horizon_days, open_leads, forecast, low, high (80%), actual (those leads won with close date in the
    period), naive (the actual of the period before, computed the same way), wins_seen, too_little_history
    (the fit saw no win: forecast, low and high are None, and the period is left out of both errors).
    """
    periods = backtest_periods(ctx, n)
    rows = []
    prev_start = previous_period(periods[0][0], ctx.grain) if periods else None
    naive = _actual(con, ctx, prev_start, periods[0][0] - dt.timedelta(days=1)) if periods else None
    for start, end in periods:
        known_by = start - dt.timedelta(days=1)
        horizon = (end - start).days + 1
        model = stage_model(con, ctx, known_by=known_by)
        groups = _open_groups(con, ctx, known_by)
        probs = _group_probabilities(model, groups, [horizon])
        n_leads = groups["n"].to_numpy(np.float64) if len(groups) else np.zeros(0)
        p = probs[:, 0] if len(groups) else np.zeros(0)
        actual = _actual(con, ctx, start, end)
        row = {"period": period_label(start, ctx.grain), "start": start, "end": end, "horizon_days": horizon,
               "open_leads": int(n_leads.sum()), "forecast": None, "low": None, "high": None, "actual": actual,
               "naive": naive, "wins_seen": model.wins_seen, "too_little_history": model.wins_seen == 0}
        if model.wins_seen:
            expected = float((n_leads * p).sum())
            low, high = interval80(expected, float((n_leads * p * (1 - p)).sum()), int(n_leads.sum()))
            row.update(forecast=expected, low=low, high=high)
        rows.append(row)
        naive = actual
    return pd.DataFrame(rows, columns=["period", "start", "end", "horizon_days", "open_leads", "forecast", "low",
                                       "high", "actual", "naive", "wins_seen", "too_little_history"])


