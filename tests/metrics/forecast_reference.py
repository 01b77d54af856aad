"""The stage model computed straight from lifecycle.state_changes_sql / states_at_sql (the first version of
funnel/metrics/forecast.py, kept as the reference the fast path over state_steps must equal; slow at 1M).

The stage model: a Markov chain on the acquisition clock whose states are the configured stages up to the
one before the won stage, then ``won`` and ``lost``, estimated by Aalen–Johansen. DuckDB hands numpy the
per-age counts (leads at risk per state and day of age, transitions per day of age); numpy builds the
one-day matrices P(u) = I + ΔA(u) and the products P(a+1) … P(a+H), one per distinct age of the open
leads (``funnel.metrics.aalen_johansen``). The states of a lead come from ``funnel.metrics.lifecycle``
(the close-date and state-at-a-date rules of §7, shared with the Review).

Functions: ``stage_model`` (fit), ``forecast`` (JSON key ``forecast``), ``forecast_leads`` (the open leads
with their probability), ``backtest`` (6 periods) and ``backtest_mae``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from funnel.metrics._common import attribute_where, fetch_rows
from funnel.metrics.aalen_johansen import interval80, transition_matrices, win_probabilities
from funnel.metrics.context import MetricContext
from funnel.metrics.lifecycle import state_changes_sql, states_at_sql
from funnel.metrics.trends import next_period, period_label, period_start, previous_period

HORIZONS_DAYS = (30, 60, 90)
BACKTEST_PERIODS = 6


@dataclass(frozen=True)
class StageModel:
    """A fitted stage model: ``states`` (stage keys, then "won", "lost"), ``matrices`` (U, m, m) with
    P(u) at index u (index 0 unused), ``wins_seen`` (transitions into won the fit saw) and ``leads``."""

    states: tuple[str, ...]
    matrices: np.ndarray
    wins_seen: int
    leads: int

    @property
    def won_index(self) -> int:
        return len(self.states) - 2


def model_states(ctx: MetricContext) -> tuple[str, ...]:
    """The states of the stage model: each configured stage before the won stage, then won, lost."""
    keys = ctx.stages.keys
    won_rank = keys.index(ctx.stages.won_stage.key) + 1
    return tuple(keys[: won_rank - 1]) + ("won", "lost")


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


def _group_probabilities(model: StageModel, groups: pd.DataFrame, horizons) -> np.ndarray:
    """p per (group row, horizon): the won probability of a lead in the row's state and age."""
    if groups.empty:
        return np.zeros((0, len(horizons)))
    ages = groups["age"].to_numpy(np.int64)
    distinct, where = np.unique(ages, return_inverse=True)
    probs = win_probabilities(model.matrices, distinct, horizons, model.won_index)
    return probs[where, :, groups["st"].to_numpy(np.int64)]


def undated_open(con: duckdb.DuckDBPyConnection, ctx: MetricContext) -> int:
    """Open leads passing the attribute filters whose acquisition date is unknown (never forecast)."""
    where, params = attribute_where(ctx)
    return int(con.execute(
        f"select count(*) from lead_facts f where {where} and f.acquired_at is null "
        "and f.status in ('untouched', 'active')", params).fetchone()[0])


def forecast(con: duckdb.DuckDBPyConnection, ctx: MetricContext, horizons=HORIZONS_DAYS,
             model: StageModel | None = None) -> list[dict]:
    """The JSON key ``forecast``: for each horizon H, the wins today's open pipeline brings within H days.

    [{"horizon_days", "expected_wins" (Σp), "low", "high" (80%: Σp ± 1.2816·sqrt(Σp(1−p)), clipped to
    [0, open leads]), "expected_amount" (Σ p·amount, missing amount 0), "open_leads", "undated" (open
    leads without an acquisition date, not forecast), "wins_seen" (transitions into won the model saw),
    "by_stage": [{"stage", "open_leads", "expected_wins", "expected_amount"}] (one per state stage, in
    order, zeros included)}]. p = [P(a+1) … P(a+H)]_{s, won} for a lead in state s at age a at the as-of.
    """
    model = model or stage_model(con, ctx)
    groups = _open_groups(con, ctx, ctx.as_of)
    probs = _group_probabilities(model, groups, horizons)
    undated = undated_open(con, ctx)
    n = groups["n"].to_numpy(np.float64) if len(groups) else np.zeros(0)
    amount = groups["amount"].to_numpy(np.float64) if len(groups) else np.zeros(0)
    st = groups["st"].to_numpy(np.int64) if len(groups) else np.zeros(0, dtype=np.int64)
    open_leads = int(n.sum())
    stage_keys = model.states[:-2]
    out = []
    for j, horizon in enumerate(horizons):
        p = probs[:, j] if len(groups) else np.zeros(0)
        # Σ over leads of p·amount: a group's amount is the sum over its leads, all with the same p
        expected = float((n * p).sum())
        low, high = interval80(expected, float((n * p * (1 - p)).sum()), open_leads)
        by_stage = [{"stage": key, "open_leads": int(n[st == i].sum()), "expected_wins": float((n * p)[st == i].sum()),
                     "expected_amount": float((amount * p)[st == i].sum())} for i, key in enumerate(stage_keys)]
        out.append({"horizon_days": int(horizon), "expected_wins": expected, "low": low, "high": high,
                    "expected_amount": float((amount * p).sum()), "open_leads": open_leads, "undated": undated,
                    "wins_seen": model.wins_seen, "by_stage": by_stage})
    return out


def forecast_leads(con: duckdb.DuckDBPyConnection, ctx: MetricContext, horizons=HORIZONS_DAYS,
                   limit: int | None = None, model: StageModel | None = None) -> pd.DataFrame:
    """Today's open leads with their probability of being won within each horizon, most likely first.

    One row per open lead: lead_id, source, rep, stage (the model state's stage key), age_days, amount,
    p_30, p_60, p_90 (one column per horizon), expected_amount_<last horizon> (p·amount). The per-lead
    probabilities are joined in DuckDB from the per-(state, age) table (no per-lead Python loop).
    """
    model = model or stage_model(con, ctx)
    groups = _open_groups(con, ctx, ctx.as_of)
    probs = _group_probabilities(model, groups, horizons)
    cols = [f"p_{h}" for h in horizons]
    last = horizons[-1]
    columns = ["lead_id", "source", "rep", "stage", "age_days", "amount", *cols, f"expected_amount_{last}"]
    if groups.empty:
        return pd.DataFrame(columns=columns)
    lists = [groups["st"].astype(int).tolist(), groups["age"].astype(int).tolist()]
    lists += [probs[:, j].tolist() for j in range(len(horizons))]
    unnest = ", ".join(f"unnest(?) as {c}" for c in ["st", "age", *cols])
    keys = list(model.states[:-2])
    sql, inner = states_at_sql(ctx, ctx.as_of)
    outer = f"""
        , p as (select {unnest}),
        o as (select lead_key, lead_id, {_state_index(ctx)} as st,
                     date_diff('day', acquired_on, cast(? as date)) as age, amount
              from src where state = 'open')
        select o.lead_id, f.source, f.rep, list_extract(?, o.st + 1) as stage, o.age as age_days, o.amount,
               {", ".join(f"p.{c}" for c in cols)}, p.p_{last} * coalesce(o.amount, 0) as expected_amount_{last}
        from o join p using (st, age) join lead_facts f on f.lead_key = o.lead_key
        order by p.p_{last} desc, o.lead_id {"limit " + str(int(limit)) if limit else ""}"""
    params = [*lists, ctx.as_of, keys]
    if isinstance(inner, dict):
        named = dict(inner)
        text = outer
        for i, value in enumerate(params):
            named[f"o{i}"] = value
            text = text.replace("?", f"$o{i}", 1)
        frame = con.execute(f"with src as ({sql}) {text}", named).df()
    else:
        frame = con.execute(f"with src as ({sql}) {outer}", [*inner, *params]).df()
    return frame[columns]


def backtest_periods(ctx: MetricContext, n: int = BACKTEST_PERIODS) -> list[tuple[dt.date, dt.date]]:
    """The ``n`` whole periods (ctx.grain) ending on or before the as-of date, oldest first: (start, end)."""
    start = period_start(ctx.as_of, ctx.grain)
    if next_period(start, ctx.grain) - dt.timedelta(days=1) > ctx.as_of:
        start = previous_period(start, ctx.grain)
    out = []
    for _ in range(n):
        out.append((start, next_period(start, ctx.grain) - dt.timedelta(days=1)))
        start = previous_period(start, ctx.grain)
    return out[::-1]


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


def backtest_mae(frame: pd.DataFrame) -> dict:
    """The JSON key ``backtest_mae``: {"model", "naive", "periods"}: mean |forecast − actual| and mean
    |naive − actual| over the periods with enough history (None when there are none)."""
    usable = frame[~frame["too_little_history"].astype(bool)] if len(frame) else frame
    if usable.empty:
        return {"model": None, "naive": None, "periods": 0}
    actual = usable["actual"].to_numpy(np.float64)
    return {"model": float(np.abs(usable["forecast"].to_numpy(np.float64) - actual).mean()),
            "naive": float(np.abs(usable["naive"].to_numpy(np.float64) - actual).mean()),
            "periods": int(len(usable))}
