"""Derived tables: rebuilt from the base tables by set-based SQL, inside the caller's transaction.

``refresh_derived(con)`` (re)creates, in this order:

- ``cohort_cube`` and ``interval_cube``: the same leads and intervals pre-aggregated for the figure set
  (see below); ``lead_facts`` itself is stored in (status, acquired_at) order, so a query over one status
  or one date range skips the other row groups.
- ``event_problems``, one row per data-quality problem: ``lead_id, stage, entered_at, problem, detail``.
  Problems: ``before_acquisition`` (a stage event dated before the lead's acquisition; left out of every
  time figure), ``cycle_mismatch`` (computed and reported cycle differ by more than one day),
  ``negative_cycle_reported`` (a reported cycle below zero; not used), ``lost_before_acquisition``
  (``lost_at`` before ``acquired_at``; no time to loss), ``no_acquired_at`` (an undated lead, counted
  apart from every cohort), ``unknown_stage`` (an event at a stage key that is not configured; ignored).
  ``problem_leads``: the same rows with their lead's ``source, rep, manager, team`` (for attribute filters).
- ``lead_facts``, one row per lead (see docs/metrics.md for every column).
- ``lead_stages`` (a view), one row per (lead, configured stage) the lead has an event at.
- ``interval_facts`` (a table) and ``stage_intervals`` (a view adding ``lead_id``), one row per completed
  interval or span between two consecutive dated stage events
  of a lead (``kind`` = ``completed`` / ``span``); in-progress intervals are not stored (they depend on
  the as-of date): the metrics count them from ``lead_facts``. It repeats the lead's ``acquired_at`` so
  a date-only filter applies without a join (attribute filters join ``lead_facts`` on ``lead_key``).
- ``fact_days``: dated facts per kind and day, and leads per day of their latest fact (``_FACT_DAYS``), so
  the default as-of date is read, not recomputed.
- ``state_steps``, one row per (dated lead, day its SPEC §7 state changes), for the forecast (see
  ``_STATE_STEPS``); built after ``entry_facts``.

Stage positions: ``stage_order`` is the configured ``order``; ``stage_rank`` is the 1-based position in
configured order (dense, used for the per-lead bit masks ``event_mask`` / ``undated_mask`` / ``strict_mask``
where bit ``rank`` is set when the lead has that property at that stage).

A "valid dated event" is a stage event with a date, at a configured stage, not before the lead's
acquisition (undated leads: every dated event is valid, they are outside every cohort anyway).
"""

from __future__ import annotations

import contextlib
import time

import duckdb

from funnel.store.config import load_stage_config
from funnel.store.transaction import write_transaction
from funnel.text import MISSING_TOKENS

DERIVED_TABLES = ("lead_facts", "lead_stages", "stage_intervals", "interval_facts", "entry_facts", "event_problems",
                  "cohort_cube", "interval_cube", "state_steps", "fact_days",
                  "problem_leads")
# Columns added to a derived table after its first release: a store that lacks one is rebuilt on open.
DERIVED_COLUMNS = (("lead_facts", "close_date"), ("lead_facts", "close_estimated"))

OPEN_STATUSES = ("untouched", "active")
STATUSES = ("untouched", "active", "won", "lost")

# Width folding in SQL: full-width ASCII (U+FF01..U+FF5E) and the ideographic space -> ASCII.
_WIDE = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000"
_NARROW = "".join(chr(c) for c in range(0x21, 0x7F)) + " "

_STAGES = """
    create or replace temp table _fd_stages as
    select key, "order" as stage_order, cast(row_number() over (order by "order", key) as integer) as stage_rank,
           kind, expected_days
    from stages
"""

# Every lead's integer key for this refresh: its place in lead_id order. Stored once, so every engine numbers
# the leads alike (DuckDB's rowid has no equal on Spark; docs/spark.md, "Portable SQL"). With the rank of the
# lead's reported current stage, looked up here once per lead (not once per stage event).
_KEYS = """
    create or replace temp table _fd_keys as
    select l.lead_id, row_number() over (order by l.lead_id) as lead_key, l.acquired_at, cs.stage_rank as current_rank,
           l.lead_id = lag(l.lead_id) over (order by l.lead_id) as repeats_previous
    from leads l left join _fd_stages cs on cs.key = l.current_stage
"""
# leads has no PRIMARY KEY (schema.py): a lead_id stored twice is found here, on the keys' own sort (the lag over
# the same order costs no second sort), and stops the refresh, so the transaction around it rolls back.
_REPEATED_KEY = "select lead_id from _fd_keys where repeats_previous limit 1"

# Every stage event, with its lead's key and its stage's rank (by key: the lead_id text is looked up again only for
# the few problem rows). An event of a lead not in ``leads`` keeps its lead_id as ``orphan_id`` (lead_key null),
# one at a stage that is not configured its stage as ``unknown_stage`` (stage_rank null): neither is ``valid``,
# and they count only where every event does (fact_days, the unknown_stage problem). Built by left joins (one row
# per stage event), so stage_events is read once for all of that and for fact_days.
_EVENTS = """
    create or replace temp table _fd_events as
    select l.lead_key, s.stage_rank, e.entered_at,
           (e.entered_at is not null and l.lead_key is not null and s.stage_rank is not null
            and (l.acquired_at is null or e.entered_at >= l.acquired_at)) as valid,
           l.acquired_at, l.current_rank,
           case when l.lead_key is null then e.lead_id end as orphan_id,
           case when s.stage_rank is null then e.stage end as unknown_stage
    from stage_events e
    left join _fd_keys l on l.lead_id = e.lead_id
    left join _fd_stages s on s.key = e.stage
"""

# The latest valid event's rank is the low 6 bits of the largest (time, rank) key (ranks are below 64): a max,
# cheaper than arg_max; conditions inside the aggregates (case) cost less than FILTER clauses. Over the events at
# a configured stage of a known lead only. Whether the lead progressed (an event
# past the first stage, or a valid one after the acquisition) is read from ``event_mask`` and ``last_event_at``
# by lead_facts: one aggregate fewer over the 3.3M events.
_PER_LEAD = """
    create or replace temp table _fd_per_lead as
    select lead_key,
           max(stage_rank) as event_rank,
           bit_or(cast(1 as bigint) << stage_rank) as event_mask,
           coalesce(bit_or(case when valid then cast(1 as bigint) << stage_rank end), 0) as dated_mask,
           min(case when valid and stage_rank = $won_rank then entered_at end) as won_at,
           max(case when valid then entered_at end) as last_event_at,
           max(case when valid and stage_rank = current_rank then entered_at end) as current_entered_at,
           cast((max(case when valid then epoch_us(entered_at) * 64 + stage_rank end) % 64 + 64) % 64 as integer)
               as latest_rank,
           bool_or(valid and cast(entered_at as date) = cast(acquired_at as date)) as entered_on_acquisition_day,
           count(*) as n_events
    from _fd_events
    where lead_key is not null and stage_rank is not null
    group by lead_key
"""

# _PER_LEAD groups by lead_key, a dense integer (1 .. leads). DuckDB groups by integer keys whose range spans at most
# 2^perfect_ht_threshold values (12 bits by default) in a directly indexed table instead of a hash table; for that
# one statement the threshold is raised to cover up to 2^24 leads (fewer CPU seconds for the 3.3M events of the 1M
# bench store: docs/performance.md, "refresh, sixth session"). DuckDB only, and not where the connection's
# configuration is locked (the dashboard's confined store); the same rows either way.
_PER_LEAD_DIRECT_BITS = 24

# Activities per lead, keyed once here (lead_facts joins them by integer key); a lead_id not in ``leads`` keeps
# its text as ``orphan_id`` (lead_key null) for fact_days.
_ACTIVITIES = """
    create or replace temp table _fd_acts as
    select k.lead_key, case when k.lead_key is null then a.lead_id end as orphan_id, a.last_at, a.n_activities
    from (select lead_id, max("at") as last_at, count(*) as n_activities from activities group by lead_id) a
    left join _fd_keys k on k.lead_id = a.lead_id
"""

# Loss reasons have few distinct spellings: clean each once (trim, width fold, inner spaces, missing tokens).
_REASONS = """
    create or replace temp table _fd_reasons as
    with d as (select distinct lost_reason as raw from leads where lost_reason is not null),
    c as (select raw, nullif(regexp_replace(trim(translate(raw, $wide, $narrow)), '\\s+', ' ', 'g'), '') as clean
          from d)
    select raw, case when list_contains($missing, lower(clean)) then null else clean end as lost_reason
    from c
"""

_FACTS = """
    create or replace table lead_facts as
    with base as (
        select k.lead_key, l.lead_id, l.source, l.customer, l.rep,
               coalesce(l.manager, r.manager) as manager, r.team,
               l.acquired_at, k.current_rank as reported_rank, l.stage_entered_at,
               l.expected_close, l.amount, l.lost_at, l.cycle_days_reported,
               case when l.status_reported in ('untouched', 'active', 'won', 'lost') then l.status_reported end
                   as status_reported,
               rs.lost_reason,
               p.event_rank, coalesce(p.event_mask, 0) as event_mask, coalesce(p.dated_mask, 0) as dated_mask,
               p.won_at, p.last_event_at, p.current_entered_at, p.latest_rank,
               coalesce(p.event_mask >= (cast(1 as bigint) << ($first_rank + 1)) or p.last_event_at > l.acquired_at,
                        false) as progressed,
               coalesce(p.n_events, 0) as n_events,
               a.last_at as last_act_at, coalesce(a.n_activities, 0) as n_activities
        from leads l
        join _fd_keys k on k.lead_id = l.lead_id
        left join _fd_per_lead p on p.lead_key = k.lead_key
        left join _fd_acts a on a.lead_key = k.lead_key
        left join roster r on r.rep = l.rep
        left join _fd_reasons rs on rs.raw = l.lost_reason
    ), st as (
        select *,
               greatest(coalesce(event_rank, $first_rank), coalesce(reported_rank, $first_rank)) as pre_rank,
               coalesce(status_reported,
                        case when greatest(coalesce(event_rank, $first_rank),
                                           coalesce(reported_rank, $first_rank)) >= $won_rank then 'won'
                             when lost_reason is not null or lost_at is not null then 'lost'
                             when progressed or n_activities > 0 then 'active'
                             else 'untouched' end) as status
        from base
    ), fr as (
        select *,
               case when status = 'won' then greatest(pre_rank, $won_rank) else pre_rank end as furthest_rank,
               cast(coalesce(reported_rank, latest_rank,
                             case when status = 'won' then greatest(pre_rank, $won_rank) else pre_rank end)
                    as integer) as cur_rank,
               case when won_at is not null and acquired_at is not null
                    then (epoch(won_at) - epoch(acquired_at)) / 86400.0 end as cycle_days_computed
        from st
    )
    select lead_key, lead_id, source, customer, rep, manager, team, acquired_at,
           status, status_reported, status_reported is null as status_derived,
           status in ('untouched', 'active') as is_open,
           cst.key as current_stage, cst.stage_order as current_order, cur_rank as current_rank,
           case when reported_rank is not null then coalesce(current_entered_at, stage_entered_at)
                when latest_rank is not null then last_event_at
                else stage_entered_at end as current_entered_at,
           cst.expected_days as current_expected_days,
           fst.key as furthest_stage, fst.stage_order as furthest_order, furthest_rank,
           event_mask, event_mask & ~dated_mask as undated_mask,
           event_mask | (cast(1 as bigint) << cur_rank) | (cast(1 as bigint) << $first_rank)
               | case when status = 'won' then cast(1 as bigint) << $won_rank else 0 end as strict_mask,
           won_at,
           coalesce(cycle_days_computed, case when cycle_days_reported >= 0 then cycle_days_reported end)
               as cycle_days,
           coalesce(cycle_days_computed is null and cycle_days_reported >= 0, false) as cycle_from_reported,
           cycle_days_computed, cycle_days_reported,
           lost_reason, lower(lost_reason) as lost_reason_key, lost_at,
           case when lost_at >= acquired_at then (epoch(lost_at) - epoch(acquired_at)) / 86400.0 end as loss_days,
           expected_close, amount,
           greatest(last_event_at, last_act_at, acquired_at) as last_activity_at,
           n_activities, n_events,
           -- SPEC §7 close date (won / lost leads only): never before the acquisition; estimated when it
           -- comes from a fallback (won: reported cycle, then last activity; lost: last activity).
           case when status = 'won' then cast(greatest(coalesce(
                    won_at,
                    case when cycle_days_reported >= 0 and acquired_at is not null
                         then acquired_at + to_seconds(cast(round(cycle_days_reported * 86400) as bigint)) end,
                    greatest(last_event_at, last_act_at, acquired_at)), acquired_at) as date)
                when status = 'lost' then cast(greatest(coalesce(
                    case when acquired_at is null or lost_at >= acquired_at then lost_at end,
                    greatest(last_event_at, last_act_at, acquired_at)), acquired_at) as date)
           end as close_date,
           case when status = 'won' then won_at is null
                when status = 'lost' then not coalesce(lost_at is not null and (acquired_at is null or lost_at >= acquired_at),
                                                     false)
           end as close_estimated
    from fr
    left join _fd_stages cst on cst.stage_rank = fr.cur_rank
    left join _fd_stages fst on fst.stage_rank = fr.furthest_rank
    order by status, acquired_at
"""

# A view, not a table: computed when read (drill-down by lead is cheap), nothing to build per import.
_LEAD_STAGES = """
    create or replace view lead_stages as
    select e.lead_id, f.lead_key, e.stage, s."order" as stage_order,
           min(e.entered_at) filter (where e.entered_at >= f.acquired_at or f.acquired_at is null)
               as first_entered_at,
           max(e.entered_at) filter (where e.entered_at >= f.acquired_at or f.acquired_at is null)
               as last_entered_at,
           count(e.entered_at) filter (where e.entered_at >= f.acquired_at or f.acquired_at is null) as n_dated,
           count(*) filter (where e.entered_at is null) as n_undated,
           count(*) filter (where e.entered_at < f.acquired_at) as n_before_acquisition
    from stage_events e
    join lead_facts f on f.lead_id = e.lead_id
    join stages s on s.key = e.stage
    group by e.lead_id, f.lead_key, e.stage, s."order"
"""

# Every valid dated stage entry (entry_facts) with its lead's next and previous one (by time, tie-break by stage order),
# by one sort: lead() / lag() over the lead's entries. interval_facts and state_steps both read it (state_steps
# used to sort the entries again, by day and capped rank, with a lead() of its own: about 0.2 s CPU more at 1M leads,
# docs/performance.md, "refresh, seventh session"). ``alone``: no other entry of the lead on the same day (the
# entries of one day are consecutive in time order); 3.05M of the 3.23M entries at 1M leads. (A POSITIONAL JOIN
# of the sorted events with themselves shifted by one row gave the pairs at a third of the cost on DuckDB, but no
# other engine has it: docs/spark.md, "Portable SQL".)
_SEQ = """
    create or replace temp table _fd_seq as
    select lead_key, stage_rank, entered_at, next_at, next_rank,
           (prev_at is null or cast(prev_at as date) <> cast(entered_at as date))
           and (next_at is null or cast(next_at as date) <> cast(entered_at as date)) as alone
    from (select lead_key, stage_rank, entered_at,
                 lead(entered_at) over (partition by lead_key order by entered_at, stage_rank) as next_at,
                 lead(stage_rank) over (partition by lead_key order by entered_at, stage_rank) as next_rank,
                 lag(entered_at) over (partition by lead_key order by entered_at, stage_rank) as prev_at
          from entry_facts) as x
"""

# Consecutive valid dated events of a lead: one interval each, each entry with the next (``_fd_seq``).
# Span: the lead reached a stage strictly between the two events' stages on an unknown date (a bit of
# its undated mask lies strictly between the two ranks).
_INTERVALS = """
    create or replace table interval_facts as
    select w.lead_key, s.key as stage, s.stage_order, w.stage_rank,
           w.entered_at as started_at, w.next_at as ended_at,
           (epoch(w.next_at) - epoch(w.entered_at)) / 86400.0 as days,
           case when (p.event_mask & ~p.dated_mask)
                     & ((cast(1 as bigint) << greatest(w.stage_rank, w.next_rank)) - 1)
                     & ~((cast(1 as bigint) << (least(w.stage_rank, w.next_rank) + 1)) - 1) <> 0
                then 'span' else 'completed' end as kind,
           w.next_rank, l.acquired_at
    from _fd_seq w
    join _fd_stages s on s.stage_rank = w.stage_rank
    join _fd_per_lead p on p.lead_key = w.lead_key
    join _fd_keys l on l.lead_key = w.lead_key
    where w.next_rank is not null
"""

# Every valid dated stage entry (one row per event), for the trends' entries per period and the intervals:
# integer keys, no lead_id text to join on (at 1M leads stage_entries took 0.7 s joining stage_events on
# lead_id, 0.04 s here). Not sorted (lead_facts is: by status, then acquisition).
_ENTRIES = """
    create or replace table entry_facts as
    select lead_key, stage_rank, entered_at from _fd_events where valid
"""

# The contract's stage_intervals (with lead_id) is a view: a high-cardinality text column costs more to
# store than every other column of the table together, and drill-down by lead is rare and small.
_INTERVALS_VIEW = """
    create or replace view stage_intervals as
    select f.lead_id, i.stage, i.stage_order, i.stage_rank, i.started_at, i.ended_at, i.days, i.kind, i.next_rank,
           i.lead_key, i.acquired_at
    from interval_facts i join lead_facts f on f.lead_key = i.lead_key
"""

# The figure set's counts and sums, pre-aggregated once per import. One row per (acquisition day, source, rep,
# manager, team, status, furthest / current stage, strict mask): 147k rows for 1M generated leads. Its
# ``acquired_at`` is the acquisition *day* (a DATE) under lead_facts' column name, so FunnelFilter.where applies
# unchanged (the filter compares with midnights: acquired_at >= day 0:00 <=> its day >= that day). Lists of
# leads, medians and anything per lead still read lead_facts. It groups by every filter dimension of
# funnel.filters.DIMENSIONS (a new dimension is a column here too; tests/metrics/test_cubes.py checks).
_COHORT_CUBE = """
    create or replace table cohort_cube as
    select cast(acquired_at as date) as acquired_at, source, rep, manager, team, status, furthest_rank,
           current_rank, strict_mask, count(*) as leads, sum(amount) as amount, count(amount) as n_amount,
           sum(n_activities) as activities
    from lead_facts
    group by all
"""

# Completed intervals and spans counted per (acquisition day, stage, kind, days): quantiles come from the
# counts of each distinct value, exact for any data, and small when days are whole (date-only data: 66k rows
# for 2.2M intervals at 1M leads). Used when no attribute filter applies.
_INTERVAL_CUBE = """
    create or replace table interval_cube as
    select cast(acquired_at as date) as acquired_at, stage_rank, kind, days, count(*) as n
    from interval_facts
    group by all
"""

# Where the data ends (funnel.metrics.context.data_end), counted once per import: per kind of dated fact
# ('acquired', 'lost', 'stage', 'activity'; planned dates never count) the facts of each day, and per day
# ('lead_last') how many leads (lead_id of any table) have their latest fact that day. Everything data_end
# decides is by day, so these few thousand rows answer it exactly; read from the base tables it scanned
# 9M dates and grouped them by lead_id at every call (0.6-0.9 s of the 1M figure set under load).
# The 'rows_*' rows hold the base tables' sizes at the refresh: a store written without a refresh (tests insert
# rows directly) is seen and read the old way. Runs after lead_facts, by integer key: a lead's latest fact is the
# latest of its ``last_activity_at`` (latest valid event, activity, acquisition), its loss and its events at a
# stage that is not configured (its other events are dated before the acquisition); only lead_ids that are not
# in ``leads`` (``orphan_id`` of the events and the activities) are grouped by their text (grouping all 5M
# events, activities and leads by lead_id cost more than the rest of this statement together). The stage events'
# days and count come from ``_fd_events`` (one row per stage event), not from a second pass over stage_events.
_FACT_DAYS = """
    create or replace table fact_days as
    with f as (
        select 'acquired' as kind, cast(acquired_at as date) as day from leads where acquired_at is not null
        union all select 'lost', cast(lost_at as date) from leads where lost_at is not null
        union all select 'stage', cast(entered_at as date) from _fd_events where entered_at is not null
        union all select 'activity', cast("at" as date) from activities where "at" is not null
    ), unknown_stage as (
        select lead_key, max(entered_at) as last_at
        from _fd_events where unknown_stage is not null and lead_key is not null
        group by lead_key
    ), last_of as (
        select greatest(f.last_activity_at, f.lost_at, u.last_at) as d
        from lead_facts f left join unknown_stage u on u.lead_key = f.lead_key
        union all
        select max(d)
        from (select orphan_id, entered_at as d from _fd_events where orphan_id is not null
              union all select orphan_id, last_at from _fd_acts where orphan_id is not null) as x
        group by orphan_id
    )
    select kind, day, count(*) as n from f group by kind, day
    union all
    select 'lead_last', cast(d as date), count(*) from last_of where d is not null group by cast(d as date)
    union all select 'rows_leads', cast(null as date), count(*) from leads
    union all select 'rows_stage_events', cast(null as date), count(*) from _fd_events
    union all select 'rows_activities', cast(null as date), count(*) from activities
"""

_PROBLEMS = """
    create or replace table event_problems as
    select k.lead_id, s.key as stage, e.entered_at, 'before_acquisition' as problem,
           'stage event dated ' || strftime(e.entered_at, '%Y-%m-%d %H:%M') || ' is before the acquisition on '
               || strftime(e.acquired_at, '%Y-%m-%d %H:%M') || '; left out of every time figure' as detail
    from _fd_events e join _fd_stages s on s.stage_rank = e.stage_rank join _fd_keys k on k.lead_key = e.lead_key
    where e.entered_at < e.acquired_at
    union all
    select k.lead_id, e.unknown_stage, e.entered_at, 'unknown_stage',
           'stage key ' || e.unknown_stage || ' is not configured; event ignored'
    from _fd_events e join _fd_keys k on k.lead_key = e.lead_key
    where e.unknown_stage is not null
    union all
    select lead_id, $won_key, won_at, 'cycle_mismatch',
           'cycle computed ' || round(cycle_days_computed, 1) || ' days, reported '
               || round(cycle_days_reported, 1) || ' days'
    from lead_facts
    where abs(cycle_days_computed - cycle_days_reported) > 1
    union all
    select lead_id, null, null, 'negative_cycle_reported',
           'reported cycle ' || cycle_days_reported || ' days is below zero; not used'
    from lead_facts where cycle_days_reported < 0
    union all
    select lead_id, null, lost_at, 'lost_before_acquisition',
           'lost on ' || strftime(lost_at, '%Y-%m-%d') || ', before the acquisition on '
               || strftime(acquired_at, '%Y-%m-%d') || '; no time to loss'
    from lead_facts where lost_at < acquired_at
    union all
    select lead_id, null, null, 'no_acquired_at',
           'acquisition date unknown; counted apart from every cohort (undated)'
    from lead_facts where acquired_at is null
"""

# The data-quality problems with their lead's filter attributes, so the Data page's list and counts under an
# attribute filter read a few thousand rows instead of semi-joining 1M text lead IDs (0.1 s of the filtered
# 1M figure set under load). The same inner join on lead_id the list always made.
_PROBLEM_LEADS = """
    create or replace table problem_leads as
    select p.lead_id, f.source, f.rep, f.manager, f.team, p.stage, p.entered_at, p.problem, p.detail
    from event_problems p join lead_facts f on f.lead_id = p.lead_id
"""

# SPEC §7's state of a lead at the end of each day, as the days it changes, from ALL the data (the
# forecast's stage model and its backtest; funnel/metrics/forecast.py). One row per (dated lead, day its
# state changes): acq_day (acquisition date as days since 1970-01-01), age (days since acquisition; every
# lead's first row is age 0, prev 0), prev / st: the state before / from that day, coded 1 … won rank for
# an open lead's stage rank (capped at the won stage, as in lifecycle.states_at_sql), 126 won, 127 lost;
# and the lead's amount. The close row sits on the close date (statuses won / lost only); stage entries on
# or after it are dropped; several entries on one day count as the highest. What was known at the end of
# any day c is exactly the rows with acq_day + age <= c (a lead closed after c is open then; an entry
# after c is not seen), so one table serves every as-of date and every backtest cut-off. At 1M leads the
# same rows computed per query took seconds; here a query only aggregates them. The lead's acq and amount
# ride along the steps (one value per lead) instead of a join back to l (14% less CPU for this statement).
# A lead's steps: its acquisition (state 1), one per day it entered a stage (the highest stage rank entered that
# day, capped at the won stage), its close; then lag() over the lead's steps by day. Days are unique per lead by
# construction, so the day's state needs no window of its own: an entry alone on its day (``_fd_seq.alone``) is
# that day's step as it is; only the days with several entries (174k at 1M leads) are grouped. The acquisition step
# is left out where a valid stage entry falls on the acquisition day (every generated lead has one) and where the
# lead closes that same day (the day ends with the close); the entries on or after the close day are dropped, so
# the close step is alone on its day. (Until the seventh session the steps carried a precedence code and a lead()
# over (lead, day, code) picked each day's last step: the same rows, a second sort of 3.85M steps; before the
# fourth session, a group-by over (lead, day), 4.85M steps into 3.68M days, the costliest operator of the refresh.)
STATE_WON, STATE_LOST = 126, 127
_STATE_STEPS = """
    create or replace table state_steps as
    with l as (
        select f.lead_key, cast(f.acquired_at as date) as acq,
               case when f.status in ('won', 'lost') then f.close_date end as closed_on,
               case when f.status = 'won' then $won_code else $lost_code end as close_st, f.amount,
               coalesce(p.entered_on_acquisition_day, false) as entered_on_acq
        from lead_facts f left join _fd_per_lead p on p.lead_key = f.lead_key
        where f.acquired_at is not null
    ), e as (
        select lead_key, cast(entered_at as date) as day, least(stage_rank, $won_rank) as st
        from _fd_seq where alone
        union all
        select lead_key, cast(entered_at as date), max(least(stage_rank, $won_rank))
        from _fd_seq where not alone
        group by lead_key, cast(entered_at as date)
    ), steps as (
        select lead_key, acq, amount, acq as day, 1 as st from l
        where not entered_on_acq and (closed_on is null or closed_on <> acq)
        union all
        select e.lead_key, l.acq, l.amount, e.day, e.st
        from e join l on l.lead_key = e.lead_key
        where l.closed_on is null or e.day < l.closed_on
        union all
        select lead_key, acq, amount, closed_on, close_st from l where closed_on is not null
    ), seq as (
        select lead_key, acq, amount, day, st, lag(st) over (partition by lead_key order by day) as prev
        from steps
    )
    select lead_key, cast(date_diff('day', date '1970-01-01', acq) as integer) as acq_day,
           cast(date_diff('day', acq, day) as integer) as age, cast(coalesce(prev, 0) as smallint) as prev,
           cast(st as smallint) as st, amount
    from seq
    where prev is null or prev <> st
"""

_STEPS = ("keys", "events", "per_lead", "acts", "reasons", "facts", "fact_days", "lead_stages", "entries", "seq",
          "intervals", "intervals_view", "state_steps", "problems", "problem_leads", "cohort_cube", "interval_cube")


def refresh_derived(con: duckdb.DuckDBPyConnection, timings: dict | None = None) -> None:
    """Rebuild lead_facts, lead_stages, stage_intervals and event_problems from the base tables.

    Runs inside the caller's transaction (never begins or commits). Set-based SQL only. ``timings``, when
    given, receives the seconds each step took.
    """
    config = load_stage_config(con)
    con.execute(_STAGES)
    rows = con.execute("select key, stage_order, stage_rank, expected_days from _fd_stages order by stage_rank").fetchall()
    if not rows:
        raise ValueError("no stages configured: save a stage configuration first")
    if len(rows) > 62:
        raise ValueError("at most 62 stages can be configured")
    ranks = {key: rank for key, _, rank, _ in rows}
    won_key = config.won_stage.key
    params = {"won_rank": ranks[won_key], "first_rank": 1}
    steps = {
        "keys": (_KEYS, {}),
        "events": (_EVENTS, {}),
        "per_lead": (_PER_LEAD, {"won_rank": ranks[won_key]}),
        "acts": (_ACTIVITIES, {}),
        "fact_days": (_FACT_DAYS, {}),
        "reasons": (_REASONS, {"wide": _WIDE, "narrow": _NARROW, "missing": sorted(MISSING_TOKENS)}),
        "facts": (_FACTS, params),
        "lead_stages": (_LEAD_STAGES, {}),
        "seq": (_SEQ, {}),
        "intervals": (_INTERVALS, {}),
        "intervals_view": (_INTERVALS_VIEW, {}),
        "entries": (_ENTRIES, {}),
        "state_steps": (_STATE_STEPS, {"won_rank": ranks[won_key], "won_code": STATE_WON, "lost_code": STATE_LOST}),
        "problems": (_PROBLEMS, {"won_key": won_key}),
        "problem_leads": (_PROBLEM_LEADS, {}),
        "cohort_cube": (_COHORT_CUBE, {}),
        "interval_cube": (_INTERVAL_CUBE, {}),
    }
    for view in ("lead_stages", "stage_intervals") if isinstance(con, duckdb.DuckDBPyConnection) else ():
        # tables in stores made by an earlier version (a lake read by another engine has none)
        kind = con.execute(
            "select table_type from information_schema.tables where table_name = ? "
            "and table_schema = 'main' and table_catalog = current_database()", [view]).fetchone()
        if kind is not None and kind[0] != "VIEW":
            con.execute(f"drop table {view}")
    for name in _STEPS:
        sql, bound = steps[name]
        started = time.perf_counter()
        with _direct_lead_grouping(con) if name == "per_lead" else contextlib.nullcontext():
            con.execute(sql, bound) if bound else con.execute(sql)
        if timings is not None:
            timings[name] = time.perf_counter() - started
        if name == "keys":
            _refuse_repeated_keys(con)
    for temp in ("_fd_keys", "_fd_events", "_fd_per_lead", "_fd_acts", "_fd_reasons", "_fd_stages", "_fd_seq"):
        con.execute(f"drop table if exists {temp}")


class DuplicateLeadId(RuntimeError):
    """The leads table holds a lead_id twice: a fault of the writer (the loader writes each ID once), never of
    a file; refresh_derived raises it inside the writer's transaction, which then rolls back."""


def _refuse_repeated_keys(con: duckdb.DuckDBPyConnection) -> None:
    repeated = con.execute(_REPEATED_KEY).fetchall()
    if repeated:
        raise DuplicateLeadId(f"lead ID {repeated[0][0]!r} is stored twice in leads; nothing was changed")


@contextlib.contextmanager
def _direct_lead_grouping(con: duckdb.DuckDBPyConnection):
    """Inside: DuckDB groups by lead_key in a directly indexed table (see ``_PER_LEAD_DIRECT_BITS``). Nothing
    changes on another engine or on a connection whose configuration is locked."""
    if not isinstance(con, duckdb.DuckDBPyConnection) or con.execute(
            "select current_setting('lock_configuration')").fetchone()[0]:
        yield
        return
    before = con.execute("select current_setting('perfect_ht_threshold')").fetchone()[0]
    con.execute("set perfect_ht_threshold = ?", [_PER_LEAD_DIRECT_BITS])
    try:
        yield
    finally:
        with contextlib.suppress(duckdb.Error):  # an aborted transaction refuses it; only speed depends on it
            con.execute("set perfect_ht_threshold = ?", [before])


def derived_missing(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The derived tables / views this version needs that the store lacks (empty: up to date)."""
    present = {row[0] for row in con.execute(
        "select table_name from information_schema.tables where table_schema = 'main' "
        "and table_catalog = current_database()").fetchall()}
    missing = [name for name in DERIVED_TABLES if name not in present]
    columns = {tuple(row) for row in con.execute(
        "select table_name, column_name from information_schema.columns where table_schema = 'main' "
        "and table_catalog = current_database()").fetchall()}
    missing += [f"{table}.{column}" for table, column in DERIVED_COLUMNS
                if table in present and (table, column) not in columns]
    return missing


def ensure_derived(con: duckdb.DuckDBPyConnection) -> bool:
    """Rebuild the derived tables in their own transaction when one is missing (a store made by an earlier
    version). Needs a read-write connection. Returns True when it rebuilt."""
    if not derived_missing(con):
        return False
    with write_transaction(con):
        refresh_derived(con)
    return True
