"""Cohort and conversion: cohort_summary (one dict) and stage_funnel (one row per configured stage).

SPEC §4: the cohort is the leads acquired inside the date range that pass the filter; undated leads are
counted apart. Reached(s) under the skip rule "passed" = cohort leads whose furthest stage order >= order(s);
under "strict" = cohort leads with an event at s, or s is their current stage, or s is the won stage and the
lead is won (every cohort lead counts at the first stage: it was acquired).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from funnel.metrics._common import attribute_where, cohort_where, ratio
from funnel.metrics.columns import STAGE_FUNNEL
from funnel.metrics.context import MetricContext


def _cohort_groups(con: duckdb.DuckDBPyConnection, ctx: MetricContext) -> list[tuple]:
    """Cohort leads grouped by (furthest_rank, current_rank, status, strict_mask): a few hundred rows, summed
    from the pre-aggregated cohort_cube (one row per day and attribute combination)."""
    where, params = cohort_where(ctx)
    return con.execute(
        f"""select furthest_rank, current_rank, status, strict_mask, sum(leads) as n,
                   coalesce(sum(amount), 0) as amount, sum(n_amount) as n_amount
            from cohort_cube f where {where}
            group by all""",
        params,
    ).fetchall()


def cohort_summary(con: duckdb.DuckDBPyConnection, ctx: MetricContext) -> dict:
    """The cohort in one dict: leads, won, lost, open, undated, overall_conversion, win_rate, won_amount,
    open_amount.

    ``undated`` counts the leads passing the attribute filters whose acquisition date is unknown (never
    part of the cohort). overall_conversion = reached(won stage) / leads; win_rate = won / (won + lost).
    """
    where, params = cohort_where(ctx)
    a_where, a_params = attribute_where(ctx)
    won_rank = ctx.stages.keys.index(ctx.stages.won_stage.key) + 1
    # one scan of the cohort cube: the groups passing the attribute filters, flagged in / out of the cohort
    row = con.execute(
        f"""with c as (select status, furthest_rank, strict_mask, leads, amount, acquired_at,
                              ({where}) as in_cohort
                       from cohort_cube f where {a_where})
            select coalesce(sum(leads) filter (where in_cohort), 0) as leads,
                   coalesce(sum(leads) filter (where in_cohort and status = 'won'), 0) as won,
                   coalesce(sum(leads) filter (where in_cohort and status = 'lost'), 0) as lost,
                   coalesce(sum(leads) filter (where in_cohort and status in ('untouched', 'active')), 0) as open,
                   coalesce(sum(leads) filter (where in_cohort and status = 'untouched'), 0) as untouched,
                   coalesce(sum(leads) filter (where in_cohort and furthest_rank >= ?), 0) as reached_won,
                   sum(amount) filter (where in_cohort and status = 'won') as won_amount,
                   sum(amount) filter (where in_cohort and status in ('untouched', 'active')) as open_amount,
                   coalesce(sum(leads) filter (where acquired_at is null), 0) as undated,
                   coalesce(sum(leads) filter (where in_cohort and (strict_mask >> ?) & 1 = 1), 0) as strict_won
            from c""",
        [*params, *a_params, won_rank, won_rank],
    ).fetchone()
    leads, won, lost, open_, untouched, reached_won, won_amount, open_amount, undated, strict_won = row
    if ctx.skip_rule == "strict":
        reached_won = strict_won
    return {
        "leads": int(leads), "won": int(won), "lost": int(lost), "open": int(open_), "untouched": int(untouched),
        "undated": int(undated), "reached_won": int(reached_won),
        "overall_conversion": ratio(reached_won, leads), "win_rate": ratio(won, won + lost),
        "won_amount": float(won_amount) if won_amount is not None else None,
        "open_amount": float(open_amount) if open_amount is not None else None,
    }


def stage_funnel(con: duckdb.DuckDBPyConnection, ctx: MetricContext) -> pd.DataFrame:
    """One row per configured stage, in configured order.

    Columns: stage, name_zh, name_en, order, kind, reached, step_conversion (reached / reached of the stage
    before; None for the first stage or a zero denominator), dropped (furthest stage s and lost), open
    (furthest stage s and untouched/active), in_progress (open leads whose current stage is s: their
    interval at s runs to the as-of date), open_amount (sum of amount of the open-at-s leads),
    conversion_from_start (reached / reached of the first stage). Undefined ratios are NaN here, None in
    ``figures``.
    """
    stages = ctx.stages.stages
    n_stages = len(stages)
    won_rank = ctx.stages.keys.index(ctx.stages.won_stage.key) + 1
    at_furthest = [0] * (n_stages + 2)
    dropped = [0] * (n_stages + 2)
    open_at = [0] * (n_stages + 2)
    open_amount = [0.0] * (n_stages + 2)
    in_progress = [0] * (n_stages + 2)
    strict = [0] * (n_stages + 2)
    for furthest, current, status, mask, n, amount, _ in _cohort_groups(con, ctx):
        furthest = int(furthest)
        at_furthest[furthest] += n
        if status == "lost":
            dropped[furthest] += n
        elif status in ("untouched", "active"):
            open_at[furthest] += n
            open_amount[furthest] += float(amount)
            if current is not None:
                in_progress[int(current)] += n
        if ctx.skip_rule == "strict":
            for rank in range(1, n_stages + 1):
                if (int(mask) >> rank) & 1:
                    strict[rank] += n
    reached_passed = [0] * (n_stages + 2)
    running = 0
    for rank in range(n_stages, 0, -1):
        running += at_furthest[rank]
        reached_passed[rank] = running
    reached = strict if ctx.skip_rule == "strict" else reached_passed
    rows = []
    for rank, stage in enumerate(stages, start=1):
        rows.append({
            "stage": stage.key, "name_zh": stage.name_zh, "name_en": stage.name_en, "order": stage.order,
            "kind": stage.kind, "reached": reached[rank],
            "step_conversion": None if rank == 1 else ratio(reached[rank], reached[rank - 1]),
            "dropped": dropped[rank], "open": open_at[rank], "in_progress": in_progress[rank],
            "open_amount": open_amount[rank],
            "conversion_from_start": ratio(reached[rank], reached[1]),
        })
    frame = pd.DataFrame(rows, columns=list(STAGE_FUNNEL))
    frame.attrs["won_rank"] = won_rank
    return frame
