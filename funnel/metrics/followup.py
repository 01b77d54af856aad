"""Follow-up lists (SPEC §4): stalled (异常跟进), overdue in the current stage, past expected close.

All three list open cohort leads (status untouched / active) and measure to the as-of date's midnight.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from funnel.metrics._common import cohort_where, fetch_rows
from funnel.metrics.context import MetricContext


def stalled_before(ctx: MetricContext) -> dt.datetime:
    """A lead is stalled when its last activity is before this instant: "idle strictly more than N days"
    written as one timestamp comparison (cheaper than day arithmetic per row, and the same instant for
    the follow-up lists, their counts and the leaderboards' stalled column)."""
    return ctx.as_of_at - dt.timedelta(days=ctx.stalled_days)


def _limit(sql: str, params: list, limit: int | None) -> tuple[str, list]:
    if limit is None:
        return sql, params
    return sql + " limit ?", [*params, int(limit)]


def stalled_leads(con: duckdb.DuckDBPyConnection, ctx: MetricContext, limit: int | None = None) -> pd.DataFrame:
    """One row per open cohort lead whose last activity (latest dated stage event or activity; the
    acquisition when there is none) is strictly more than ctx.stalled_days before the as-of date.

    Columns: lead_id, customer, rep, manager, team, source, stage (current), status, last_activity_at,
    idle_days (as-of minus last activity, fractional). Sorted by idle_days descending, then lead_id.
    """
    where, params = cohort_where(ctx)
    sql = f"""select lead_id, customer, rep, manager, team, source, current_stage as stage, status,
                     last_activity_at, (epoch(cast(? as timestamp)) - epoch(last_activity_at)) / 86400.0 as idle_days
              from lead_facts f
              where {where} and f.status in ('untouched', 'active') and f.last_activity_at < ?
              order by idle_days desc, lead_id"""
    sql, bound = _limit(sql, [ctx.as_of_at, *params, stalled_before(ctx)], limit)
    return fetch_rows(con, sql, bound)


def overdue_leads(con: duckdb.DuckDBPyConnection, ctx: MetricContext, limit: int | None = None) -> pd.DataFrame:
    """One row per open cohort lead whose time in its current stage (as-of minus current_entered_at)
    exceeds that stage's expected_days.

    Columns: lead_id, customer, rep, stage, entered_at, days_in_stage, expected_days, overdue_days
    (days_in_stage - expected_days). Sorted by overdue_days descending, then lead_id.
    """
    where, params = cohort_where(ctx)
    sql = f"""with c as (
                  select lead_id, customer, rep, current_stage as stage, current_entered_at as entered_at,
                         (epoch(cast(? as timestamp)) - epoch(current_entered_at)) / 86400.0 as days_in_stage,
                         current_expected_days as expected_days
                  from lead_facts f
                  where {where} and f.status in ('untouched', 'active') and f.current_expected_days is not null
                    and f.current_entered_at is not null)
              select *, days_in_stage - expected_days as overdue_days from c
              where days_in_stage > expected_days
              order by overdue_days desc, lead_id"""
    sql, bound = _limit(sql, [ctx.as_of_at, *params], limit)
    return fetch_rows(con, sql, bound)


def past_expected_close(con: duckdb.DuckDBPyConnection, ctx: MetricContext, limit: int | None = None) -> pd.DataFrame:
    """One row per open cohort lead with expected_close before the as-of date.

    Columns: lead_id, customer, rep, stage, expected_close, days_past (as-of minus expected_close).
    Sorted by days_past descending, then lead_id.
    """
    where, params = cohort_where(ctx)
    sql = f"""select lead_id, customer, rep, current_stage as stage, expected_close,
                     (epoch(cast(? as timestamp)) - epoch(expected_close)) / 86400.0 as days_past
              from lead_facts f
              where {where} and f.status in ('untouched', 'active') and f.expected_close < ?
              order by days_past desc, lead_id"""
    sql, bound = _limit(sql, [ctx.as_of_at, *params, ctx.as_of_at], limit)
    return fetch_rows(con, sql, bound)


def followup_counts(con: duckdb.DuckDBPyConnection, ctx: MetricContext) -> dict[str, int]:
    """{"stalled", "overdue", "past_expected_close"}: the sizes of the three lists, in one scan."""
    where, params = cohort_where(ctx)
    stalled, overdue, past = con.execute(
        f"""with o as (select last_activity_at, current_entered_at, current_expected_days, expected_close
                       from lead_facts f where {where} and f.status in ('untouched', 'active'))
            select count(*) filter (where last_activity_at < ?),
                   count(*) filter (where (epoch(cast(? as timestamp)) - epoch(current_entered_at)) / 86400.0
                                          > current_expected_days),
                   count(*) filter (where expected_close < ?)
            from o""",
        [*params, stalled_before(ctx), ctx.as_of_at, ctx.as_of_at],
    ).fetchone()
    return {"stalled": int(stalled), "overdue": int(overdue), "past_expected_close": int(past)}
