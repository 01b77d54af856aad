"""SPEC §7's shared rules, written once: a lead's close date and its state at the end of a day.

The close date itself is computed once per import (``lead_facts.close_date`` / ``close_estimated``, see
``funnel/store/derived.py``): won leads close at their first dated entry into the won stage, else at
``acquired_at + cycle_days_reported``, else at their last activity; lost leads at ``lost_at``, else at their
last activity; never before the acquisition. A close date from a fallback is *estimated*.

This module turns those columns and the dated stage entries (``entry_facts``) into SQL that later figures
compose as common table expressions:

- ``states_at_sql(ctx, day)``: one row per lead at the end of ``day`` (the period bridge, the stage
  movement matrix, the backtest's starting pipeline);
- ``state_changes_sql(ctx, known_by)``: one row per day a lead's state changes, on the acquisition clock
  (the multi-state forecast and its backtest).

Both cover the leads that pass the context's *attribute* filters (source, rep, manager, team); the
acquisition date range does not apply (the period does). Undated leads (no ``acquired_at``) are left out
and counted apart by ``undated_leads``. Whole days throughout: timestamps are cast to their date.

State at the end of day t (SPEC §7): ``not_acquired`` if acquired after t; ``won`` / ``lost`` if the
lead's status is won / lost and its close date is on or before t; otherwise ``open``, in the stage of its
latest valid dated stage entry on or before t (equal days: the higher stage; none: the first stage; a
stage after the won stage counts as the won stage). Statuses are today's: a lead lost on 05-20 was open
on 05-10.
"""

from __future__ import annotations

import datetime as dt

from funnel.metrics._common import attribute_where
from funnel.metrics.context import MetricContext

STATES = ("not_acquired", "open", "won", "lost")


def stage_ranks(ctx: MetricContext) -> tuple[tuple[str, ...], int]:
    """The configured stage keys in order (rank r is ``keys[r - 1]``) and the won stage's rank."""
    keys = ctx.stages.keys
    return keys, keys.index(ctx.stages.won_stage.key) + 1


def _leads_sql(ctx: MetricContext) -> tuple[str, list]:
    """The dated leads passing the attribute filters, with the columns every state query carries."""
    where, params = attribute_where(ctx, "f")
    sql = f"""
        select f.lead_key, f.lead_id, cast(f.acquired_at as date) as acquired_on, f.status,
               f.close_date, f.close_estimated, f.amount
        from lead_facts f
        where f.acquired_at is not null and {where}"""
    return sql, params


def states_at_sql(ctx: MetricContext, day: dt.date) -> tuple[str, list]:
    """A SELECT of every dated lead passing the attribute filters, as it stood at the end of ``day``.

    One row per lead: ``lead_key, lead_id, acquired_on, status, close_date, close_estimated, amount,
    state`` (one of ``STATES``), ``stage_rank`` and ``stage`` (the stage key; both NULL unless the state
    is ``open``). Compose it as a CTE: ``with s as ({sql}) select ... from s``.
    """
    keys, won_rank = stage_ranks(ctx)
    leads_sql, params = _leads_sql(ctx)
    sql = f"""
        with l as ({leads_sql}),
        e as (
            select x.lead_key,
                   arg_max(x.stage_rank,
                           date_diff('day', date '1970-01-01', cast(x.entered_at as date)) * 64 + x.stage_rank)
                       as stage_rank
            from entry_facts x semi join l on l.lead_key = x.lead_key
            where cast(x.entered_at as date) <= ?
            group by x.lead_key
        ),
        s as (
            select l.*,
                   case when l.acquired_on > ? then 'not_acquired'
                        when l.status in ('won', 'lost') and l.close_date <= ? then l.status
                        else 'open' end as state,
                   least(coalesce(e.stage_rank, 1), ?) as open_rank
            from l left join e on e.lead_key = l.lead_key
        )
        select lead_key, lead_id, acquired_on, status, close_date, close_estimated, amount, state,
               case when state = 'open' then open_rank end as stage_rank,
               case when state = 'open' then (?)[open_rank] end as stage
        from s"""
    return sql, [*params, day, day, day, won_rank, list(keys)]


def state_changes_sql(ctx: MetricContext, known_by: dt.date | None = None) -> tuple[str, list]:
    """A SELECT of the days on which each lead's state changes, on the acquisition clock.

    Only what was known at the end of ``known_by`` (default: the as-of date) is used: leads acquired by
    then, stage entries dated by then, and a lead counts as closed only when its close date is on or before
    it. One row per (lead, change): ``lead_key, age_days`` (days since acquisition; the first row of every
    lead is age 0), ``state`` (``open`` / ``won`` / ``lost``), ``stage_rank`` (open rows: the stage as in
    ``states_at_sql``, capped at the won stage; NULL for won / lost) and ``observed_to_age`` (the lead's
    close age when closed, else ``known_by`` minus its acquisition: how long it is observed). Consecutive
    rows of a lead always differ in state or stage; entries on or after a lead's close day are dropped
    (it is closed at the end of that day).
    """
    cutoff = known_by or ctx.as_of
    _, won_rank = stage_ranks(ctx)
    leads_sql, params = _leads_sql(ctx)
    sql = f"""
        with l as (
            select lead_key, acquired_on,
                   case when status in ('won', 'lost') and close_date <= ? then status end as closed_as,
                   case when status in ('won', 'lost') and close_date <= ? then close_date end as closed_on
            from ({leads_sql}) x
            where acquired_on <= ?
        ),
        entries as (
            select x.lead_key, cast(x.entered_at as date) as day, max(least(x.stage_rank, ?)) as stage_rank
            from entry_facts x join l on l.lead_key = x.lead_key
            where cast(x.entered_at as date) <= ? and (l.closed_on is null or cast(x.entered_at as date) < l.closed_on)
            group by x.lead_key, cast(x.entered_at as date)
        ),
        steps as (
            select lead_key, acquired_on as day, 'open' as state, 1 as stage_rank, 0 as prio from l
            union all
            select lead_key, day, 'open', stage_rank, 1 from entries
            union all
            select lead_key, closed_on, closed_as, null, 2 from l where closed_as is not null
        ),
        last_per_day as (  -- a struct, as arg_max skips a NULL stage_rank
            select lead_key, day, arg_max({{'state': state, 'rank': stage_rank}}, prio) as last
            from steps group by lead_key, day
        ),
        marked as (
            select lead_key, day, last.state as state, last.rank as stage_rank,
                   lag(last.state) over w as prev_state, lag(last.rank) over w as prev_rank
            from last_per_day
            window w as (partition by lead_key order by day)
        )
        select m.lead_key, date_diff('day', l.acquired_on, m.day) as age_days, m.state, m.stage_rank,
               date_diff('day', l.acquired_on, coalesce(l.closed_on, ?)) as observed_to_age
        from marked m join l on l.lead_key = m.lead_key
        where m.prev_state is null or m.state <> m.prev_state
              or m.stage_rank is distinct from m.prev_rank"""
    return sql, [cutoff, cutoff, *params, cutoff, won_rank, cutoff, cutoff]


def undated_leads(con, ctx: MetricContext) -> int:
    """Leads passing the attribute filters without an acquisition date: counted apart, never placed."""
    where, params = attribute_where(ctx, "f")
    return int(con.execute(f"select count(*) from lead_facts f where f.acquired_at is null and {where}",
                           params).fetchone()[0])
