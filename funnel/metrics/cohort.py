"""Cohort and conversion: cohort_summary (one dict) and stage_funnel (one row per configured stage).

SPEC §4: the cohort is the leads acquired inside the date range that pass the filter; undated leads are
counted apart. Reached(s) under the skip rule "passed" = cohort leads whose furthest stage order >= order(s);
under "strict" = cohort leads with an event at s, or s is their current stage, or s is the won stage and the
lead is won (every cohort lead counts at the first stage: it was acquired).
"""

from __future__ import annotations

import math

import duckdb
import pandas as pd

from funnel.metrics._common import OPEN_STATUSES, attribute_where, cohort_where, ratio
from funnel.metrics.columns import STAGE_FUNNEL
from funnel.metrics.context import MetricContext


def cohort_groups(con: duckdb.DuckDBPyConnection, ctx: MetricContext) -> list[tuple]:
    """The leads passing the attribute filters grouped by (in_cohort, undated, furthest_rank, current_rank,
    status, strict_mask) with n, amount (None when no lead of the group has one) and n_amount: a few hundred
    rows summed from the pre-aggregated cohort_cube (one row per day and attribute combination), from which
    ``cohort_summary`` and ``stage_funnel`` both read (the figure set runs this query once for both)."""
    where, params = cohort_where(ctx)
    a_where, a_params = attribute_where(ctx)
    return con.execute(
        f"""select ({where}) as in_cohort, f.acquired_at is null as undated, furthest_rank, current_rank, status,
                   strict_mask, sum(leads) as n, sum(amount) as amount, sum(n_amount) as n_amount
            from cohort_cube f where {a_where}
            group by all""",
        [*params, *a_params],
    ).fetchall()


def _amount(values: list) -> float | None:
    """A sum of amounts like SQL's: None when there is none; summed exactly (the order of rows does not
    change the last digit)."""
    known = [float(v) for v in values if v is not None]
    return math.fsum(known) if known else None


def cohort_summary(con: duckdb.DuckDBPyConnection, ctx: MetricContext, groups: list[tuple] | None = None) -> dict:
    """The cohort in one dict: leads, won, lost, open, undated, overall_conversion, win_rate, won_amount,
    open_amount.

    ``undated`` counts the leads passing the attribute filters whose acquisition date is unknown (never
    part of the cohort). overall_conversion = reached(won stage) / leads; win_rate = won / (won + lost).
    ``groups``: ``cohort_groups`` when the caller already has them.
    """
    groups = cohort_groups(con, ctx) if groups is None else groups
    won_rank = ctx.stages.keys.index(ctx.stages.won_stage.key) + 1
    cohort = [g for g in groups if g[0]]

    def count(rows) -> int:
        return int(sum(g[6] for g in rows))

    leads, open_ = count(cohort), count(g for g in cohort if g[4] in OPEN_STATUSES)
    won, lost = count(g for g in cohort if g[4] == "won"), count(g for g in cohort if g[4] == "lost")
    reached_won = count(g for g in cohort if g[2] >= won_rank)
    if ctx.skip_rule == "strict":
        reached_won = count(g for g in cohort if (int(g[5]) >> won_rank) & 1)
    return {
        "leads": leads, "won": won, "lost": lost, "open": open_,
        "untouched": count(g for g in cohort if g[4] == "untouched"), "undated": count(g for g in groups if g[1]),
        "reached_won": reached_won,
        "overall_conversion": ratio(reached_won, leads), "win_rate": ratio(won, won + lost),
        "won_amount": _amount([g[7] for g in cohort if g[4] == "won"]),
        "open_amount": _amount([g[7] for g in cohort if g[4] in OPEN_STATUSES]),
    }


def stage_funnel(con: duckdb.DuckDBPyConnection, ctx: MetricContext, groups: list[tuple] | None = None) -> pd.DataFrame:
    """One row per configured stage, in configured order.

    Columns: stage, name_zh, name_en, order, kind, reached, step_conversion (reached / reached of the stage
    before; None for the first stage or a zero denominator), dropped (furthest stage s and lost), open
    (furthest stage s and untouched/active), in_progress (open leads whose current stage is s: their
    interval at s runs to the as-of date), open_amount (sum of amount of the open-at-s leads),
    conversion_from_start (reached / reached of the first stage). Undefined ratios are NaN here, None in
    ``figures``. ``groups``: ``cohort_groups`` when the caller already has them.
    """
    groups = cohort_groups(con, ctx) if groups is None else groups
    stages = ctx.stages.stages
    n_stages = len(stages)
    won_rank = ctx.stages.keys.index(ctx.stages.won_stage.key) + 1
    at_furthest = [0] * (n_stages + 2)
    dropped = [0] * (n_stages + 2)
    open_at = [0] * (n_stages + 2)
    open_amount = [0.0] * (n_stages + 2)
    in_progress = [0] * (n_stages + 2)
    strict = [0] * (n_stages + 2)
    for _, _, furthest, current, status, mask, n, amount, _ in (g for g in groups if g[0]):
        furthest = int(furthest)
        at_furthest[furthest] += n
        if status == "lost":
            dropped[furthest] += n
        elif status in ("untouched", "active"):
            open_at[furthest] += n
            open_amount[furthest] += float(amount or 0)
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
