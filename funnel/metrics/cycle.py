"""Cycle time (转化周期) of won leads and time to loss (SPEC §4).

cycle_days = first dated entry into the won stage minus acquired_at (days from timestamps); when there is
no such entry, the reported cycle (``cycle_from_reported``). Events before the acquisition never count.
"""

from __future__ import annotations

import math

import duckdb
import pandas as pd

from funnel.metrics._common import cohort_where, py, quartiles
from funnel.metrics.context import MetricContext
from funnel.metrics.counted import Counted, lost_days, quantiles_from_counts, won_cycles


def cycle_summary(con: duckdb.DuckDBPyConnection, ctx: MetricContext, cycles: Counted | None = None) -> dict:
    """Won cohort leads with a known cycle: n, n_reported (how many from cycle_days_reported), q1, median,
    q3 (quantile_cont), mean, min, max, in days; quartiles None when n = 0. ``cycles``: the won leads'
    counts (``counted.won_cycles``) when the caller already has them (the figure set shares one query)."""
    cycles = won_cycles(con, ctx) if cycles is None else cycles
    known = [v for v in cycles.all if v is not None]
    q = quantiles_from_counts(cycles.all) if known else None
    return {"n": cycles.n, "n_reported": cycles.n_reported, **quartiles(q), "mean": py(cycles.mean),
            "min": py(min(known, default=None)), "max": py(max(known, default=None))}


def _nice_width(span: float, bins: int = 20) -> float:
    raw = max(span, 1e-9) / bins
    magnitude = 10 ** math.floor(math.log10(raw))
    for step in (1, 2, 5, 10):
        if raw <= step * magnitude:
            return float(max(step * magnitude, 1.0))
    return float(max(10 * magnitude, 1.0))


def cycle_distribution(con: duckdb.DuckDBPyConnection, ctx: MetricContext, bin_days: float | None = None) -> pd.DataFrame:
    """Histogram of the cycle of won cohort leads, computed in SQL: one row per non-empty bin, in order.

    Columns: bin_start, bin_end (days, [start, end)), count, n_reported. ``bin_days`` default: a round
    width (1, 2, 5 x 10^k days, at least 1) giving about 20 bins.
    """
    where, params = cohort_where(ctx)
    if bin_days is None:
        hi = con.execute(f"select max(cycle_days) from lead_facts f where {where} and f.status = 'won'",
                         params).fetchone()[0]
        bin_days = _nice_width(float(hi or 0.0))
    return con.execute(
        f"""select floor(cycle_days / ?) * ? as bin_start, floor(cycle_days / ?) * ? + ? as bin_end,
                   count(*) as count, count(*) filter (where cycle_from_reported) as n_reported
            from lead_facts f where {where} and f.status = 'won' and f.cycle_days is not null
            group by 1, 2 order by 1""",
        [bin_days, bin_days, bin_days, bin_days, bin_days, *params],
    ).df()


def time_to_loss(con: duckdb.DuckDBPyConnection, ctx: MetricContext) -> dict:
    """Lost cohort leads with a known lost_at (not before acquisition): n, q1, median, q3, mean (days),
    and n_unknown (lost leads without a usable lost_at); quartiles from the counts per value (``counted``)."""
    lost = lost_days(con, ctx)
    q = quantiles_from_counts(lost.all) if lost.n else None
    return {"n": lost.n, **quartiles(q), "mean": py(lost.mean), "n_unknown": lost.total - lost.n}
