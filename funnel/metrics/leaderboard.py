"""Leaderboards (SPEC §4): per rep, manager, team or source channel.

Sorted by the lower bound of the 95% Wilson interval of conversion (won / leads), highest first, then by
name (unnamed last), so a rep with 1 of 1 won does not top the board.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from funnel.filters import BOARD_DIMENSIONS, BY_COLUMN
from funnel.metrics._common import cohort_where, ratio, wilson_interval
from funnel.metrics.columns import leaderboard_columns
from funnel.metrics.context import MetricContext
from funnel.metrics.counted import Counted, won_cycles
from funnel.metrics.followup import stalled_before

BOARDS = tuple(d.column for d in BOARD_DIMENSIONS)  # one board per filter dimension


def leaderboard(con: duckdb.DuckDBPyConnection, ctx: MetricContext, by: str = "rep") -> pd.DataFrame:
    """One row per value of ``by`` (rep | manager | team | source) among the cohort leads.

    Columns: <by> (the name; None = not given), leads, won, lost, open, conversion (won / leads),
    conversion_ci ([low, high], 95% Wilson), conversion_ci_low, conversion_ci_high, win_rate
    (won / (won + lost)), median_cycle_days (won leads), stalled (open leads idle more than
    ctx.stalled_days), activities_per_lead, won_amount.
    """
    return leaderboards(con, ctx, (by,))[by]


def leaderboards(con: duckdb.DuckDBPyConnection, ctx: MetricContext, dims: tuple[str, ...] = BOARDS,
                 cycles: Counted | None = None) -> dict[str, pd.DataFrame]:
    """Several leaderboards from three small queries: {dimension: leaderboard frame}. ``cycles``: the won
    leads' cycle counts per dimension (``counted.won_cycles``) when the caller already has them."""
    for by in dims:
        if by not in BY_COLUMN:
            raise ValueError(f"by must be one of {BOARDS}, got {by!r}")
    where, params = cohort_where(ctx)
    # Counts and sums add up: the cohort cube grouped by every dimension at once (a few hundred groups) and
    # Python rolls them up; the stalled count depends on the as-of date, so it comes from the open leads of
    # lead_facts (stored by status: the scan skips the closed ones); medians do not add up, so a third
    # query counts the won leads per (dimension, cycle value) and the medians come from those counts.
    cols = ", ".join(f"f.{d}" for d in dims)
    counts = con.execute(
        f"""select {cols}, sum(leads) as leads,
                   coalesce(sum(leads) filter (where status = 'won'), 0) as won,
                   coalesce(sum(leads) filter (where status = 'lost'), 0) as lost,
                   coalesce(sum(leads) filter (where status in ('untouched', 'active')), 0) as open,
                   sum(activities) as activities,
                   sum(amount) filter (where status = 'won') as won_amount,
                   coalesce(sum(n_amount) filter (where status = 'won'), 0) as n_won_amount
            from cohort_cube f where {where}
            group by all""",
        params,
    ).fetchall()
    stalled_rows = con.execute(
        f"""select {cols}, count(*) from lead_facts f
            where {where} and f.status in ('untouched', 'active') and f.last_activity_at < ?
            group by all""",
        [*params, stalled_before(ctx)],
    ).fetchall()
    n = len(dims)
    stalled_of = {tuple(r[:n]): r[n] for r in stalled_rows}
    fine = [(*r[:n], r[n], r[n + 1], r[n + 2], r[n + 3], stalled_of.get(tuple(r[:n]), 0), *r[n + 4:])
            for r in counts]
    if cycles is None or any(d not in cycles.by for d in dims):
        cycles = won_cycles(con, ctx, dims)
    out: dict[str, list] = {d: [] for d in dims}
    for i, d in enumerate(dims):
        totals: dict = {}
        for row in fine:
            acc = totals.setdefault(row[i], [0, 0, 0, 0, 0, 0, 0.0, 0])
            for k, value in enumerate(row[n:]):
                acc[k] += value or 0
        for name, (leads, won, lost, open_, stalled, acts, amount, n_amount) in totals.items():
            ci = wilson_interval(int(won), int(leads))
            out[d].append({d: name, "leads": int(leads), "won": int(won), "lost": int(lost), "open": int(open_),
                           "conversion": ratio(won, leads), "conversion_ci": list(ci) if ci else None,
                           "conversion_ci_low": ci[0] if ci else None, "conversion_ci_high": ci[1] if ci else None,
                           "win_rate": ratio(won, won + lost), "median_cycle_days": cycles.median_of(d, name),
                           "stalled": int(stalled), "activities_per_lead": ratio(acts, leads),
                           "won_amount": float(amount) if n_amount else None})
    frames = {}
    for d in dims:
        rows_d = sorted(out[d], key=lambda r: (-(r["conversion_ci_low"] if r["conversion_ci_low"] is not None else -1.0),
                                               r[d] is None, r[d] or ""))
        frames[d] = pd.DataFrame(rows_d, columns=list(leaderboard_columns(d)))
    return frames
