"""What the open pipeline will bring (预测) and how good that guess was (回测), SPEC §7.5.

The stage model: a Markov chain on the acquisition clock whose states are the configured stages up to the
one before the won stage, then ``won`` and ``lost``, estimated by Aalen–Johansen. DuckDB hands numpy the
per-age counts (leads at risk per state and day of age, transitions per day of age); numpy builds the
one-day matrices P(u) = I + ΔA(u) and the products P(a+1) … P(a+H), one per distinct age of the open
leads (``funnel.metrics.aalen_johansen``). The states of a lead are §7's close-date and state-at-a-date
rules (``funnel.metrics.lifecycle``), read from the derived table ``state_steps`` (the days each lead's state
changes, from all the data): what was known at the end of any day c is its rows dated by c, so the fit at
the as-of date and the six backtest fits come from one GROUP BY.

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
from funnel.metrics.lifecycle import states_at_sql
from funnel.periods import next_period, period_label, period_start, previous_period

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


_EPOCH = dt.date(1970, 1, 1)


def _day(day: dt.date) -> int:
    """A date as days since 1970-01-01 (``state_steps.acq_day``'s unit)."""
    return (day - _EPOCH).days


def _state_lookup(ctx: MetricContext) -> np.ndarray:
    """Model state index per ``state_steps`` code: 0 (none) -> −1, stage rank r -> min(r, K) − 1 (an open
    lead at the won stage or later is in the state of the stage before it), won -> K, lost -> K + 1."""
    from funnel.store.derived import STATE_LOST, STATE_WON

    open_states = len(model_states(ctx)) - 2
    lookup = np.full(max(STATE_WON, STATE_LOST) + 1, -1, dtype=np.int64)
    for rank in range(1, STATE_WON):
        lookup[rank] = min(rank, open_states) - 1
    lookup[STATE_WON], lookup[STATE_LOST] = open_states, open_states + 1
    return lookup


@dataclass(frozen=True)
class StepCounts:
    """``state_steps`` of the leads passing the attribute filters, grouped by (acq_day, age, prev, st):
    numpy arrays with the codes mapped to model states (prev −1: the lead's first row)."""

    acq: np.ndarray
    age: np.ndarray
    prev: np.ndarray
    st: np.ndarray
    n: np.ndarray
    amount: np.ndarray
    states: tuple[str, ...]


def step_counts(con: duckdb.DuckDBPyConnection, ctx: MetricContext) -> StepCounts:
    """One GROUP BY over ``state_steps`` (the leads passing ctx's attribute filters; the acquisition range
    does not apply): a few hundred thousand rows at 1M leads, whatever the cut-off asked later."""
    flt = ctx.filter
    if flt.sources or flt.reps or flt.managers or flt.teams:
        where, params = attribute_where(ctx)
        sql = f"""select acq_day, age, prev, st, count(*) as n, sum(coalesce(amount, 0)) as amount
                  from state_steps s
                  where s.lead_key in (select f.lead_key from lead_facts f where {where})
                  group by all"""
    else:
        sql, params = ("select acq_day, age, prev, st, count(*) as n, sum(coalesce(amount, 0)) as amount "
                       "from state_steps group by all"), []
    col = con.execute(sql, params).fetchnumpy()
    lookup = _state_lookup(ctx)
    return StepCounts(acq=col["acq_day"].astype(np.int64), age=col["age"].astype(np.int64),
                      prev=lookup[col["prev"].astype(np.int64)], st=lookup[col["st"].astype(np.int64)],
                      n=col["n"].astype(np.float64), amount=col["amount"].astype(np.float64),
                      states=model_states(ctx))


def _fit(counts: StepCounts, cutoff: int) -> StageModel:
    """The stage model with what was known at the end of day ``cutoff`` (days since 1970-01-01).

    A row (acq, age, prev, st, n) known by then (acq + age <= cutoff) moves n leads from ``prev`` into
    ``st`` at that age. Leads in state s at the end of day u−1 and still observed at u (a lead is observed
    to its close, an open one to the cut-off): each row adds n to st and removes n from prev for every
    u = age+1 … cutoff − acq, a difference array summed along u.
    """
    size = len(counts.states)
    open_states = size - 2
    known = counts.acq + counts.age <= cutoff
    acq, age, prev, st, n = counts.acq[known], counts.age[known], counts.prev[known], counts.st[known], counts.n[known]
    leads = int(n[prev < 0].sum())
    longest = int((cutoff - acq).max()) + 2 if len(acq) else 2
    rows = longest + 1
    # np.bincount on flat indices: the scatter-adds of np.add.at, several times faster at 300k rows
    span = age + 1 <= cutoff - acq
    lo, hi, w = age[span] + 1, cutoff - acq[span] + 1, n[span]
    flat, weight = [], []
    for state, sign in ((st[span], 1.0), (prev[span], -1.0)):
        ok = (state >= 0) & (state < open_states)
        flat += [lo[ok] * size + state[ok], hi[ok] * size + state[ok]]
        weight += [sign * w[ok], -sign * w[ok]]
    diff = np.bincount(np.concatenate(flat), np.concatenate(weight), minlength=rows * size)
    at_risk = np.cumsum(diff.reshape(rows, size), axis=0)
    moved = (prev >= 0) & (prev != st)
    moves = np.bincount((age[moved] * size + prev[moved]) * size + st[moved], n[moved],
                        minlength=rows * size * size).reshape(rows, size, size)
    matrices = transition_matrices(at_risk, moves)
    wins_seen = int(moves[:, :open_states, open_states].sum())
    return StageModel(states=counts.states, matrices=matrices, wins_seen=wins_seen, leads=leads)


def _open_at(counts: StepCounts, cutoff: int) -> pd.DataFrame:
    """The leads open at the end of day ``cutoff``, grouped by (model state, age): st, age, n, amount.

    A lead's state then is its last row known by then: summing +1 on each row's state and −1 on its prev
    per acquisition day leaves each lead counted once, in that state."""
    known = counts.acq + counts.age <= cutoff
    size = len(counts.states)
    open_states = size - 2
    acq, prev, st = counts.acq[known], counts.prev[known], counts.st[known]
    n, amount = counts.n[known], counts.amount[known]
    if not len(acq):
        return pd.DataFrame({"st": [], "age": [], "n": [], "amount": []})
    first = int(acq.min())
    days = cutoff - first + 1
    ok_st, ok_prev = st >= 0, prev >= 0
    flat = np.concatenate(((acq[ok_st] - first) * size + st[ok_st], (acq[ok_prev] - first) * size + prev[ok_prev]))
    occ = np.bincount(flat, np.concatenate((n[ok_st], -n[ok_prev])), minlength=days * size).reshape(days, size)
    cash = np.bincount(flat, np.concatenate((amount[ok_st], -amount[ok_prev])),
                       minlength=days * size).reshape(days, size)
    day_idx, state_idx = np.nonzero(np.round(occ[:, :open_states]) > 0)
    return pd.DataFrame({"st": state_idx, "age": cutoff - (day_idx + first),
                         "n": np.round(occ[day_idx, state_idx]), "amount": cash[day_idx, state_idx]})


def _won_between(counts: StepCounts, cutoff: int, start: int, end: int) -> int:
    """Leads acquired by ``cutoff`` (and so open at its end, as they close later) won on a day start … end."""
    open_states = len(counts.states) - 2
    day = counts.acq + counts.age
    hit = (counts.st == open_states) & (counts.acq <= cutoff) & (day >= start) & (day <= end)
    return int(round(counts.n[hit].sum()))


def stage_model(con: duckdb.DuckDBPyConnection, ctx: MetricContext, known_by: dt.date | None = None,
                counts: StepCounts | None = None) -> StageModel:
    """Fit the stage model on the leads passing ctx's attribute filters (the acquisition range does not
    apply), with what was known at the end of ``known_by`` (default: the as-of date).

    n_s(u) = leads in state s at the end of day u−1 still observed at u (a closed lead to its close date,
    an open one to ``known_by``); d_{s→r}(u) = those in state r at the end of day u. Same rules as
    ``lifecycle.state_changes_sql`` (a test holds them equal), read from ``state_steps``.
    """
    counts = counts if counts is not None else step_counts(con, ctx)
    return _fit(counts, _day(known_by or ctx.as_of))


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
             model: StageModel | None = None, counts: StepCounts | None = None) -> list[dict]:
    """The JSON key ``forecast``: for each horizon H, the wins today's open pipeline brings within H days.

    [{"horizon_days", "expected_wins" (Σp), "low", "high" (80%: Σp ± 1.2816·sqrt(Σp(1−p)), clipped to
    [0, open leads]), "expected_amount" (Σ p·amount, missing amount 0), "open_leads", "undated" (open
    leads without an acquisition date, not forecast), "wins_seen" (transitions into won the model saw),
    "by_stage": [{"stage", "open_leads", "expected_wins", "expected_amount"}] (one per state stage, in
    order, zeros included)}]. p = [P(a+1) … P(a+H)]_{s, won} for a lead in state s at age a at the as-of.
    """
    counts = counts if counts is not None else step_counts(con, ctx)
    model = model or _fit(counts, _day(ctx.as_of))
    groups = _open_at(counts, _day(ctx.as_of))
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


PROBABILITIES_TABLE = "_forecast_lead_p"  # forecast_leads' registered table (a fixed name: no input reaches SQL)


def forecast_leads(con: duckdb.DuckDBPyConnection, ctx: MetricContext, horizons=HORIZONS_DAYS,
                   limit: int | None = None, model: StageModel | None = None) -> pd.DataFrame:
    """Today's open leads with their probability of being won within each horizon, most likely first.

    One row per open lead: lead_id, source, rep, stage (the model state's stage key), age_days, amount,
    p_30, p_60, p_90 (one column per horizon), expected_amount_<last horizon> (p·amount). The per-lead
    probabilities are joined in DuckDB from the per-(state, age) table (no per-lead Python loop).
    """
    horizons = tuple(int(h) for h in horizons)  # they name columns below: whole numbers only
    counts = step_counts(con, ctx)
    model = model or _fit(counts, _day(ctx.as_of))
    groups = _open_at(counts, _day(ctx.as_of))
    probs = _group_probabilities(model, groups, horizons)
    cols = [f"p_{h}" for h in horizons]
    last = horizons[-1]
    columns = ["lead_id", "source", "rep", "stage", "age_days", "amount", *cols, f"expected_amount_{last}"]
    if groups.empty:
        return pd.DataFrame(columns=columns)
    # The per-(state, age) probabilities as a registered table joined in SQL: ``register`` is the same call on
    # DuckDB and on the Spark engine (a temporary view), so the statement is portable (docs/spark.md). Side-by-
    # side unnest() of lists paired them in DuckDB and multiplies them in Spark; a list indexed by a computed
    # position is 1-based in DuckDB, 0-based in Spark; a VALUES list of bound rows cost DuckDB 0.46 s at
    # 3,000 groups (measured), where the registered table costs nothing.
    states = list(model.states[:-2])
    table = pd.DataFrame({"st": groups["st"].to_numpy(np.int64), "age": groups["age"].to_numpy(np.int64),
                          "stage": [states[int(s)] for s in groups["st"]],
                          **{c: probs[:, j].astype(np.float64) for j, c in enumerate(cols)}})
    sql, inner = states_at_sql(ctx, ctx.as_of)
    # (no limit: no LIMIT clause; Spark refuses "limit NULL", which DuckDB reads as no limit)
    con.register(PROBABILITIES_TABLE, table)
    try:  # positional parameters: states_at_sql's first, then these in the order they appear below
        frame = con.execute(f"""
            with src as ({sql}),
            o as (select lead_key, lead_id, least(stage_rank, ?) - 1 as st,
                         date_diff('day', acquired_on, cast(? as date)) as age, amount
                  from src where state = 'open')
            select o.lead_id, f.source, f.rep, p.stage, o.age as age_days, o.amount,
                   {", ".join(f"p.{c}" for c in cols)}, p.p_{last} * coalesce(o.amount, 0) as expected_amount_{last}
            from o join {PROBABILITIES_TABLE} p using (st, age) join lead_facts f on f.lead_key = o.lead_key
            order by p.p_{last} desc, o.lead_id{" limit ?" if limit else ""}""",
            [*inner, len(states), ctx.as_of, *([int(limit)] if limit else [])]).df()
    finally:
        con.unregister(PROBABILITIES_TABLE)
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


def backtest(con: duckdb.DuckDBPyConnection, ctx: MetricContext, n: int = BACKTEST_PERIODS,
             counts: StepCounts | None = None) -> pd.DataFrame:
    """The backtest (SPEC §7.5): one row per whole period ending on or before the as-of date, oldest first.

    For a period [s, e]: the model is fitted on what was known at the end of s−1 and forecasts, with
    H = e − s + 1 days, the wins among the leads open at the end of s−1. Columns: period, start, end,
    horizon_days, open_leads, forecast, low, high (80%), actual (those leads won with close date in the
    period), naive (the actual of the period before, computed the same way), wins_seen, too_little_history
    (the fit saw no win: forecast, low and high are None, and the period is left out of both errors).
    """
    periods = backtest_periods(ctx, n)
    counts = counts if counts is not None else step_counts(con, ctx)
    rows = []
    if periods:
        before = previous_period(periods[0][0], ctx.grain)
        naive = _won_between(counts, _day(before) - 1, _day(before), _day(periods[0][0]) - 1)
    for start, end in periods:
        cutoff = _day(start) - 1
        horizon = (end - start).days + 1
        model = _fit(counts, cutoff)
        groups = _open_at(counts, cutoff)
        probs = _group_probabilities(model, groups, [horizon])
        n_leads = groups["n"].to_numpy(np.float64) if len(groups) else np.zeros(0)
        p = probs[:, 0] if len(groups) else np.zeros(0)
        actual = _won_between(counts, cutoff, _day(start), _day(end))
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
