"""Time in stage (SPEC §4): completed intervals per stage, with the in-progress (censored) count beside.

An interval starts at a dated stage event and ends at the lead's next dated stage event (events before
the acquisition left out); it belongs to the event's stage unless it passes over a stage the lead reached
on an unknown date (a span, belonging to none). The interval of an open lead's current stage runs to the
as-of date: it is in progress and never mixed into the completed figures.
"""

from __future__ import annotations

import math

import duckdb
import pandas as pd

from funnel.metrics._common import cohort_where
from funnel.filters import FunnelFilter
from funnel.metrics.columns import TIME_IN_STAGE
from funnel.metrics.context import MetricContext
from funnel.metrics.counted import quantiles_from_counts


def time_in_stage(con: duckdb.DuckDBPyConnection, ctx: MetricContext) -> pd.DataFrame:
    """One row per configured stage, in order: n completed intervals, q1 / median / q3 (quantile_cont),
    mean, min, max (days; NaN when n = 0), spans (intervals across an undated stage that started here,
    counted in no stage's figures), in_progress (open cohort leads whose current stage is this one) and
    in_progress_median_days (their median days in the stage so far, to the as-of date).
    """
    where, params = cohort_where(ctx)
    flt = ctx.filter
    if flt.has_attributes:
        # the cohort's leads joined in; the date range also on the intervals' own acquired_at, so row groups
        # outside it are skipped before the join; the intervals counted per distinct duration (a hash group
        # instead of a sort per stage: a few hundred rows when days are whole), the quartiles from the counts
        d_where, d_params = FunnelFilter(date_from=flt.date_from, date_to=flt.date_to).where("i")
        grouped = _from_value_counts(con.execute(
            f"""select i.stage_rank, i.kind, i.days, count(*)
                from interval_facts i join (select f.lead_key from lead_facts f where {where}) c
                     on c.lead_key = i.lead_key
                where i.kind in ('completed', 'span') and {d_where}
                group by all""",
            [*params, *d_params],
        ).fetchall())
    else:  # date-only filter: the per-day counts of each distinct duration (interval_cube) are enough
        grouped = _from_counts(con, *cohort_where(ctx, "i"))
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


def _from_value_counts(rows: list[tuple]) -> list[tuple]:
    """(stage_rank, kind, n, [q1, median, q3], mean, min, max) per stage and kind from rows of (stage_rank,
    kind, days, count): quantile_cont's quartiles (``counted.quantiles_from_counts``), the mean summed
    exactly (``math.fsum``)."""
    per: dict = {}
    for rank, kind, days, n in rows:
        per.setdefault((rank, kind), {})[days] = int(n)
    out = []
    for (rank, kind), counts in per.items():
        total = sum(counts.values())
        mean = math.fsum(d * n for d, n in counts.items()) / total
        out.append((rank, kind, total, quantiles_from_counts(counts), mean, min(counts), max(counts)))
    return out


def _from_counts(con: duckdb.DuckDBPyConnection, where: str, params: list) -> list[tuple]:
    """(stage_rank, kind, n, [q1, median, q3], mean, min, max) per stage and kind from interval_cube.

    The quartiles are quantile_cont's over the expanded values: at position h = (n - 1) q (from 0) the value
    v[floor h] + (h - floor h)(v[floor h + 1] - v[floor h]), where v[r] is the smallest duration whose running
    count exceeds r. Exact whatever the durations: the cube counts each distinct value. The mean sums the
    durations in ascending order (a running window sum), so the same store gives the same last digit every
    time (a plain parallel sum does not).
    """
    rows = con.execute(
        f"""with h as (select stage_rank, kind, days, sum(n) as n from interval_cube i
                       where i.kind in ('completed', 'span') and {where} group by all),
            c as (select *, sum(n) over (partition by stage_rank, kind order by days
                                         rows between unbounded preceding and current row) as cum,
                          sum(n) over (partition by stage_rank, kind) as total,
                          sum(days * n) over (partition by stage_rank, kind order by days
                                              rows between unbounded preceding and current row) as running_days
                  from h),
            p as (select *, cast(total - 1 as double) * 0.25 as h1, cast(total - 1 as double) * 0.5 as h2,
                         cast(total - 1 as double) * 0.75 as h3 from c)
            select stage_rank, kind, any_value(total),
                   min(days) filter (where cum > floor(h1)), min(days) filter (where cum > floor(h1) + 1),
                   any_value(h1 - floor(h1)),
                   min(days) filter (where cum > floor(h2)), min(days) filter (where cum > floor(h2) + 1),
                   any_value(h2 - floor(h2)),
                   min(days) filter (where cum > floor(h3)), min(days) filter (where cum > floor(h3) + 1),
                   any_value(h3 - floor(h3)),
                   max(running_days) filter (where cum = total) / any_value(total), min(days), max(days)
            from p group by all""",
        params,
    ).fetchall()
    out = []
    for rank, kind, total, *q, mean, low, high in rows:
        quartiles = []
        for lo, hi, frac in (q[0:3], q[3:6], q[6:9]):
            quartiles.append(lo if hi is None or frac == 0 else lo + (hi - lo) * frac)
        out.append((rank, kind, int(total), quartiles, mean, low, high))
    return out

