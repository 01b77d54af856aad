"""Stand-in for ``funnel.metrics.lifecycle`` (SPEC §7 close date and state at a date) until it lands.

Same contract as the shared module: ``states_at_sql(ctx, day) -> (sql, params)``, a SELECT over the leads
passing ``ctx.filter``'s attribute filters (not its acquisition range), dated leads only, with columns
``lead_key, lead_id, acquired_on, status, close_date, close_estimated, amount, state, stage_rank, stage``.
The close date is computed here from ``lead_facts`` (the shared module stores it there at import).
"""

from __future__ import annotations

import datetime as dt

from funnel.metrics._common import attribute_where
from funnel.metrics.context import MetricContext


def close_sql(alias: str = "f") -> tuple[str, str]:
    """(close_date, close_estimated) SQL expressions over lead_facts ``alias`` (SPEC §7, close date)."""
    a = alias
    acq = f"cast({a}.acquired_at as date)"
    last = f"cast(coalesce({a}.last_activity_at, {a}.acquired_at) as date)"
    won_exact = f"cast({a}.won_at as date)"
    won_cycle = f"cast({a}.acquired_at + to_days(cast(floor({a}.cycle_days_reported) as integer)) as date)"
    lost_exact = f"case when {a}.lost_at >= {a}.acquired_at then cast({a}.lost_at as date) end"
    close = (f"case when {a}.status = 'won' then greatest(coalesce({won_exact}, "
             f"case when {a}.cycle_days_reported >= 0 then {won_cycle} end, {last}), {acq}) "
             f"when {a}.status = 'lost' then greatest(coalesce({lost_exact}, {last}), {acq}) end")
    estimated = (f"case when {a}.status = 'won' then {a}.won_at is null "
                 f"when {a}.status = 'lost' then {lost_exact} is null else false end")
    return close, estimated


def states_at_sql(ctx: MetricContext, day: dt.date) -> tuple[str, list]:
    """The state of every dated lead passing the attribute filters at the end of ``day`` (see module doc)."""
    where, params = attribute_where(ctx)
    won_rank = ctx.stages.keys.index(ctx.stages.won_stage.key) + 1
    close, estimated = close_sql("f")
    next_midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time())
    sql = f"""
        select f.lead_key, f.lead_id, cast(f.acquired_at as date) as acquired_on, f.status,
               {close} as close_date, {estimated} as close_estimated, f.amount,
               case when cast(f.acquired_at as date) > ? then 'not_acquired'
                    when f.status in ('won', 'lost') and {close} <= ? then f.status
                    else 'open' end as state,
               case when cast(f.acquired_at as date) > ? or (f.status in ('won', 'lost') and {close} <= ?) then null
                    else least(coalesce(e.rank_at, 1), ?) end as stage_rank,
               case when cast(f.acquired_at as date) > ? or (f.status in ('won', 'lost') and {close} <= ?) then null
                    else ?[least(coalesce(e.rank_at, 1), ?)] end as stage
        from lead_facts f
        left join (select lead_key,
                          arg_max(stage_rank, date_diff('day', date '1970-01-01', cast(entered_at as date)) * 64
                                  + stage_rank) as rank_at
                   from entry_facts where entered_at < ? group by lead_key) e on e.lead_key = f.lead_key
        where f.acquired_at is not null and {where}"""
    keys = list(ctx.stages.keys)
    return sql, [day, day, day, day, won_rank, day, day, keys, won_rank, next_midnight, *params]
