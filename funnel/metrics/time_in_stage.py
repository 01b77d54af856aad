"""Time in stage (SPEC §4): completed intervals per stage, with the in-progress (censored) count beside.

An interval starts at a dated stage event and ends at the lead's next dated stage event (events before
the acquisition left out); it belongs to the event's stage unless it passes over a stage the lead reached
on an unknown date (a span, belonging to none). The interval of an open lead's current stage runs to the
as-of date: it is in progress and never mixed into the completed figures.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from funnel.metrics._common import cohort_where
from funnel.metrics.columns import TIME_IN_STAGE
from funnel.metrics.context import MetricContext


def time_in_stage(con: duckdb.DuckDBPyConnection, ctx: MetricContext) -> pd.DataFrame:
    """One row per configured stage, in order: n completed intervals, q1 / median / q3 (quantile_cont),
    mean, min, max (days; NaN when n = 0), spans (intervals across an undated stage that started here,
    counted in no stage's figures), in_progress (open cohort leads whose current stage is this one) and
    in_progress_median_days (their median days in the stage so far, to the as-of date).
    """
    where, params = cohort_where(ctx)
    flt = ctx.filter
    if flt.has_attributes:
        i_where = f"i.lead_key in (select f.lead_key from lead_facts f where {where})"
        i_params = params
    else:  # date-only filter: interval_facts repeats acquired_at, no join needed
        i_where, i_params = cohort_where(ctx, "i")
    # one scan, completed intervals and spans apart (grouping by kind is cheaper than FILTER clauses)
    grouped = con.execute(
        f"""select i.stage_rank, i.kind, count(*), quantile_cont(i.days, [0.25, 0.5, 0.75]), avg(i.days),
                   min(i.days), max(i.days)
            from interval_facts i
            where i.kind in ('completed', 'span') and {i_where}
            group by all""",
        i_params,
    ).fetchall()
    completed = {int(r[0]): (int(r[2]), r[3], r[4], r[5], r[6]) for r in grouped if r[1] == "completed"}
    spans_of = {int(r[0]): int(r[2]) for r in grouped if r[1] == "span"}
    running = con.execute(
        f"""select f.current_rank, count(*),
                   median(greatest(0, (epoch(cast(? as timestamp)) - epoch(f.current_entered_at)) / 86400.0))
            from lead_facts f
            where {where} and f.status in ('untouched', 'active')
            group by f.current_rank""",
        [ctx.as_of_at, *params],
    ).fetchall()
    prog = {int(r[0]): (int(r[1]), r[2]) for r in running if r[0] is not None}
    rows = []
    for rank, stage in enumerate(ctx.stages.stages, start=1):
        n, q, mean, low, high = completed.get(rank, (0, None, None, None, None))
        q = q or [None, None, None]
        ip, ip_med = prog.get(rank, (0, None))
        rows.append([stage.key, stage.name_zh, stage.name_en, stage.order, n, q[0], q[1], q[2], mean, low, high,
                     spans_of.get(rank, 0), ip, ip_med])
    return pd.DataFrame(rows, columns=list(TIME_IN_STAGE))
