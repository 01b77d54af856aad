"""Data quality: the problems found while deriving (event_problems), with the lead's rep; under an attribute
filter read from problem_leads (the same problems with their lead's source, rep, manager, team)."""

from __future__ import annotations

import duckdb
import pandas as pd

from funnel.metrics._common import attribute_where, fetch_rows
from funnel.metrics.context import MetricContext


def data_quality(con: duckdb.DuckDBPyConnection, ctx: MetricContext, limit: int | None = None) -> pd.DataFrame:
    """One row per data-quality problem of a lead passing the attribute filters (source, rep, manager,
    team; the acquisition range does not apply: undated leads are problems themselves).

    Columns: lead_id, rep, stage, entered_at, problem (before_acquisition, cycle_mismatch,
    negative_cycle_reported, lost_before_acquisition, no_acquired_at, unknown_stage), detail.
    Sorted by problem, lead_id, entered_at.
    """
    where, params = attribute_where(ctx)
    sql = f"""select f.lead_id, f.rep, f.stage, f.entered_at, f.problem, f.detail
              from problem_leads f
              where {where}
              order by f.problem, f.lead_id, f.entered_at nulls first"""
    if limit is not None:
        sql += " limit ?"
        params = [*params, int(limit)]
    return fetch_rows(con, sql, params)


def data_quality_counts(con: duckdb.DuckDBPyConnection, ctx: MetricContext) -> dict[str, int]:
    """{problem: number of rows} for the leads passing the attribute filters."""
    where, params = attribute_where(ctx)
    if where == "true":  # no attribute filter: every problem counts, no join needed
        rows = con.execute("select problem, count(*) from event_problems group by 1 order by 1").fetchall()
    else:
        rows = con.execute(f"select f.problem, count(*) from problem_leads f where {where} group by 1 order by 1",
                           params).fetchall()
    return {k: int(v) for k, v in rows}
