"""Trends (SPEC §4): per acquisition period (ISO week from Monday, month, quarter) and per period of
stage entry; and the selected period against the one before it."""

from __future__ import annotations

import dataclasses
import datetime as dt

import duckdb
import pandas as pd

from funnel.metrics._common import attribute_where, cohort_where, ratio
from funnel.metrics.columns import STAGE_ENTRIES, TRENDS
from funnel.metrics.context import MetricContext
from funnel.metrics.counted import Counted, grain_literal as _grain, won_cycles
from funnel.periods import next_period, period_label, period_start, previous_period


def trends(con: duckdb.DuckDBPyConnection, ctx: MetricContext, cycles: Counted | None = None) -> pd.DataFrame:
    """One row per acquisition period (ctx.grain) holding cohort leads, in time order.

    Columns: period_start (date), period (label), leads, won, lost, open, conversion (won / leads),
    win_rate, median_cycle_days (won leads of the period). ``cycles``: the won leads' cycle counts with the
    ``period`` grouping (``counted.won_cycles``) when the caller already has them.
    """
    where, params = cohort_where(ctx)
    grain = _grain(ctx)
    # counts from the cohort cube; medians from the won leads' counts per cycle value
    if cycles is None or "period" not in cycles.by:
        cycles = won_cycles(con, ctx, periods=True)
    rows = con.execute(
        f"""select cast(date_trunc('{grain}', f.acquired_at) as date) as period_start, cast(sum(leads) as bigint),
                   cast(coalesce(sum(leads) filter (where status = 'won'), 0) as bigint),
                   cast(coalesce(sum(leads) filter (where status = 'lost'), 0) as bigint),
                   cast(coalesce(sum(leads) filter (where status in ('untouched', 'active')), 0) as bigint)
            from cohort_cube f where {where} group by 1 order by 1""",
        params,
    ).fetchall()
    out = [{"period_start": p, "period": period_label(p, ctx.grain), "leads": n, "won": w, "lost": lo, "open": o,
            "conversion": ratio(w, n), "win_rate": ratio(w, w + lo), "median_cycle_days": cycles.median_of("period", p)}
           for p, n, w, lo, o in rows]
    return pd.DataFrame(out, columns=list(TRENDS))


def stage_entries(con: duckdb.DuckDBPyConnection, ctx: MetricContext) -> pd.DataFrame:
    """One row per (period of entry, stage) with entries: period_start, period, stage, stage_order, entries.

    Counts dated stage events (not before the lead's acquisition) of leads passing the attribute filters;
    the filter's date range applies to the entry date, whatever the acquisition date.
    """
    flt = ctx.filter
    clauses, params = [], []
    if flt.has_attributes:
        where, a_params = attribute_where(ctx)
        clauses.append(f"e.lead_key in (select f.lead_key from lead_facts f where {where})")
        params += a_params
    if flt.date_from is not None:
        clauses.append("e.entered_at >= ?")
        params.append(dt.datetime.combine(flt.date_from, dt.time()))
    if flt.date_to is not None:
        clauses.append("e.entered_at < ?")
        params.append(dt.datetime.combine(flt.date_to + dt.timedelta(days=1), dt.time()))
    where = " and ".join(clauses) or "true"  # FunnelFilter.where and fixed text with ? placeholders
    rows = con.execute(
        f"""select cast(date_trunc('{_grain(ctx)}', e.entered_at) as date) as period_start, e.stage_rank,
                   count(*) as entries
            from entry_facts e
            where {where}
            group by all order by 1, 2""",
        params,
    ).fetchall()
    stages = ctx.stages.stages  # entry_facts.stage_rank = position in the configured order, from 1
    return pd.DataFrame([(p, period_label(p, ctx.grain), stages[r - 1].key, stages[r - 1].order, n)
                         for p, r, n in rows],
                        columns=list(STAGE_ENTRIES))


def period_context(ctx: MetricContext, start: dt.date) -> MetricContext:
    """ctx with the acquisition range set to the period (ctx.grain) holding ``start``."""
    first = period_start(start, ctx.grain)
    last = next_period(first, ctx.grain) - dt.timedelta(days=1)
    return dataclasses.replace(ctx, filter=dataclasses.replace(ctx.filter, date_from=first, date_to=last))


_POP_KEYS = ("leads", "won", "lost", "open", "overall_conversion", "win_rate", "median_cycle_days", "won_amount")


def _window_figures(con: duckdb.DuckDBPyConnection, ctx: MetricContext, first: dt.date, last: dt.date,
                    label: str) -> dict:
    """The KPI figures of the leads acquired first..last (inclusive), ctx's other filters kept."""
    from funnel.metrics.cohort import cohort_summary
    from funnel.metrics.cycle import cycle_summary

    wctx = dataclasses.replace(ctx, filter=dataclasses.replace(ctx.filter, date_from=first, date_to=last))
    s = cohort_summary(con, wctx)
    return {"period": label, "start": first.isoformat(), "end": last.isoformat(), "leads": s["leads"],
            "won": s["won"], "lost": s["lost"], "open": s["open"], "overall_conversion": s["overall_conversion"],
            "win_rate": s["win_rate"], "median_cycle_days": cycle_summary(con, wctx)["median"],
            "won_amount": s["won_amount"]}


def _compare(grain: str, cur: dict, prev: dict) -> dict:
    change = {k: (cur[k] - prev[k] if cur[k] is not None and prev[k] is not None else None) for k in _POP_KEYS}
    return {"grain": grain, "current": cur, "previous": prev, "change": change}


def period_over_period(con: duckdb.DuckDBPyConnection, ctx: MetricContext, period_start_day: dt.date) -> dict:
    """The period (ctx.grain) holding ``period_start_day`` against the one before it, same filters and as-of.

    Returns {"grain", "current": {period, start, end, leads, won, lost, open, overall_conversion, win_rate,
    median_cycle_days, won_amount}, "previous": {same}, "change": {metric: current - previous or None}}.
    """
    cur_ctx = period_context(ctx, period_start_day)
    prev_ctx = period_context(ctx, previous_period(cur_ctx.filter.date_from, ctx.grain))
    cur, prev = (_window_figures(con, ctx, c.filter.date_from, c.filter.date_to,
                                 period_label(c.filter.date_from, ctx.grain)) for c in (cur_ctx, prev_ctx))
    return _compare(ctx.grain, cur, prev)


def _whole_periods(first: dt.date, last: dt.date, grain: str) -> int:
    """How many whole periods of ``grain`` first..last is made of; 0 when it does not start and end on
    period boundaries."""
    if period_start(first, grain) != first:
        return 0
    n, start = 0, first
    while start <= last:
        start = next_period(start, grain)
        n += 1
    return n if start == last + dt.timedelta(days=1) else 0


def previous_window(first: dt.date, last: dt.date, grain: str) -> tuple[dt.date, dt.date]:
    """The window just before first..last that a manager compares it with.

    When first..last is made of whole periods of ``grain`` (e.g. 2024-03-01..2024-05-31 = three months),
    the same number of periods before it (2023-12-01..2024-02-29); otherwise as many days, ending the day
    before ``first``.
    """
    n = _whole_periods(first, last, grain)
    if n:
        prev_first = first
        for _ in range(n):
            prev_first = previous_period(prev_first, grain)
        return prev_first, first - dt.timedelta(days=1)
    days = (last - first).days + 1
    return first - dt.timedelta(days=days), first - dt.timedelta(days=1)


def _window_label(first: dt.date, last: dt.date, grain: str) -> str:
    return period_label(first, grain) if _whole_periods(first, last, grain) == 1 else \
        f"{first.isoformat()} – {last.isoformat()}"


def range_over_range(con: duckdb.DuckDBPyConnection, ctx: MetricContext) -> dict | None:
    """The filter's acquisition range against the window before it (``previous_window``), same shape as
    ``period_over_period``; None when the filter has no complete date range."""
    first, last = ctx.filter.date_from, ctx.filter.date_to
    if first is None or last is None or last < first:
        return None
    prev_first, prev_last = previous_window(first, last, ctx.grain)
    cur = _window_figures(con, ctx, first, last, _window_label(first, last, ctx.grain))
    prev = _window_figures(con, ctx, prev_first, prev_last, _window_label(prev_first, prev_last, ctx.grain))
    return _compare(ctx.grain, cur, prev)


def period_activity(con: duckdb.DuckDBPyConnection, ctx: MetricContext, period_start_day: dt.date) -> dict:
    """What happened inside the period whatever the acquisition date (attribute filters apply): deals won
    (first dated won entry in the period), won_amount, leads lost (lost_at in the period) and stage entries
    per stage key."""
    pctx = period_context(ctx, period_start_day)
    start = dt.datetime.combine(pctx.filter.date_from, dt.time())
    end = dt.datetime.combine(pctx.filter.date_to + dt.timedelta(days=1), dt.time())
    where, params = attribute_where(ctx)
    won, won_amount, lost = con.execute(
        f"""select count(*) filter (where won_at >= ? and won_at < ?),
                   sum(amount) filter (where won_at >= ? and won_at < ?),
                   count(*) filter (where status = 'lost' and lost_at >= ? and lost_at < ?)
            from lead_facts f where {where}""",
        [start, end, start, end, start, end, *params],
    ).fetchone()
    entries = stage_entries(con, pctx)
    per_stage = {key: 0 for key in ctx.stages.keys}
    for stage, n in entries.groupby("stage")["entries"].sum().items():
        per_stage[stage] = int(n)
    return {"period": period_label(pctx.filter.date_from, ctx.grain), "start": pctx.filter.date_from.isoformat(),
            "end": pctx.filter.date_to.isoformat(), "won": int(won), "won_amount": won_amount, "lost": int(lost),
            "stage_entries": per_stage}
