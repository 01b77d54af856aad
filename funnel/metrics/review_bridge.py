"""Period bridge (期间变动桥) and stage movement (阶段流转), SPEC §7.1.

For the ``ctx.grain`` period P = [s, e] (e clipped to the as-of date), over the dated leads passing the
attribute filters (the acquisition date range does not apply: the period does):

- ``open_start`` open at the end of day s−1; ``new`` acquired in P; ``won`` / ``lost`` status won / lost with
  close date in P; ``open_end`` open at the end of day e. open_start + new = won + lost + open_end, exactly
  (a lead closed in P was open or not yet acquired at s−1, and every lead of the left side is won, lost or
  open at e). The same five buckets summed over ``amount`` (missing counts 0).
- ``matrix``: one row per (from, to) with leads > 0; from = the stage key at s−1 of an open_start lead, or
  ``new``; to = the stage key at e of an open_end lead, or ``won`` / ``lost`` (``from_kind`` / ``to_kind`` say
  ``stage`` / ``new`` / ``won`` / ``lost``, so a stage keyed "won" never mixes with the won column).
- ``rows``: one row per ``from`` with leads, in stage order then ``new``: ``advanced, stayed, slipped,
  closed_lost`` (and ``leads``, their sum).

``bridge_leads`` lists the leads behind any of these numbers; ``bridge`` and ``bridge_leads`` read the same
SQL (``_bridge_sql``), so a count shown always equals the rows listed.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from funnel.metrics._common import fetch_rows
from funnel.metrics.lifecycle import _leads_sql, stage_ranks, undated_leads
from funnel.metrics.context import MetricContext
from funnel.metrics.review_period import ReviewPeriod, review_period

BUCKETS = ("open_start", "new", "won", "lost", "open_end")
MOVES = ("advanced", "stayed", "slipped", "closed_lost")


def _states_two_days_sql(ctx: MetricContext, p: ReviewPeriod) -> tuple[str, list]:
    """The bridge leads (open at the end of s−1, or acquired in P) with their state and stage at the end of s−1
    and of e: columns of ``lifecycle.states_at_sql`` (lead_key, lead_id, acquired_on, status, close_date,
    close_estimated, amount) plus state_start, rank_start, stage_start, state_end, rank_end, stage_end.

    The same rule as ``lifecycle.states_at_sql`` (a test checks it row for row), taken for both days in one
    pass over the stage entries of the bridge leads only: at 1M leads, two ``states_at_sql`` joined took
    0.8 s, this 0.2 s. A stage is the latest dated entry on or before the day, equal days the higher rank:
    the maximum of day × 64 + rank (ranks are below 63), as ``states_at_sql``'s arg_max.
    """
    keys, won_rank = stage_ranks(ctx)
    leads_sql, params = _leads_sql(ctx)
    d0 = p.start - dt.timedelta(days=1)
    d1 = p.end
    midnight0 = dt.datetime.combine(p.start, dt.time())
    midnight1 = dt.datetime.combine(d1 + dt.timedelta(days=1), dt.time())
    sql = f"""
        l as ({leads_sql}),
        s as (
            select l.*,
                   case when l.acquired_on > $d0 then 'not_acquired'
                        when l.status in ('won', 'lost') and l.close_date <= $d0 then l.status
                        else 'open' end as state_start,
                   case when l.acquired_on > $d1 then 'not_acquired'
                        when l.status in ('won', 'lost') and l.close_date <= $d1 then l.status
                        else 'open' end as state_end
            from l),
        bl as (select * from s where state_start = 'open' or acquired_on between $start and $d1),
        ev as (  -- an inner join with the keys: at 1M leads about half the time of a semi join or IN
            select x.lead_key,
                   max(date_diff('day', date '1970-01-01', cast(x.entered_at as date)) * 64 + x.stage_rank)
                       filter (where x.entered_at < $m0) as packed_start,
                   max(date_diff('day', date '1970-01-01', cast(x.entered_at as date)) * 64 + x.stage_rank)
                       as packed_end
            from entry_facts x join (select lead_key from bl) k on k.lead_key = x.lead_key
            where x.entered_at < $m1
            group by x.lead_key),
        st as (
            select bl.*,
                   case when state_start = 'open' then least(coalesce(cast(ev.packed_start % 64 as integer), 1),
                                                              $won_rank) end as rank_start,
                   case when state_end = 'open' then least(coalesce(cast(ev.packed_end % 64 as integer), 1),
                                                            $won_rank) end as rank_end
            from bl left join ev on ev.lead_key = bl.lead_key)"""
    values = {"$d0": d0, "$d1": d1, "$start": p.start, "$m0": midnight0, "$m1": midnight1, "$won_rank": won_rank}
    return _bind(sql, params, values), keys


def _bind(sql: str, params: list, values: dict) -> tuple[str, list]:
    """Replace the named markers of ``sql`` by ``?`` in order of appearance, after ``params`` (which belong to
    the ``?`` already in the text, all of which come before the first marker)."""
    import re

    out_params = list(params)
    pattern = re.compile("|".join(re.escape(k) for k in sorted(values, key=len, reverse=True)))

    def repl(match):
        out_params.append(values[match.group(0)])
        return "?"

    return pattern.sub(repl, sql), out_params


def _bridge_sql(ctx: MetricContext, p: ReviewPeriod) -> tuple[str, list]:
    """A CTE text ending in ``b``: one row per bridge lead (open at s−1 or acquired in P) with from / to, their
    kinds and ranks, and one flag per bucket and per move."""
    (states_sql, params), keys = _states_two_days_sql(ctx, p)
    sql = f"""
        with {states_sql},
        j as (
            select st.*, (?)[rank_start] as stage_start, (?)[rank_end] as stage_end from st),
        b as (
            select j.*,
                   state_start = 'open' as open_start, state_start <> 'open' as new,
                   status = 'won' and close_date between ? and ? as won,
                   status = 'lost' and close_date between ? and ? as lost,
                   state_end = 'open' as open_end,
                   case when state_start = 'open' then stage_start else 'new' end as "from",
                   case when state_start = 'open' then 'stage' else 'new' end as from_kind,
                   case when state_end = 'open' then stage_end else state_end end as "to",
                   case when state_end = 'open' then 'stage' else state_end end as to_kind,
                   case when state_end = 'won' then true
                        when state_end = 'lost' then false
                        when state_start = 'open' then rank_end > rank_start
                        else rank_end > 1 end as advanced,
                   state_end = 'open' and (case when state_start = 'open' then rank_end = rank_start
                                                else rank_end = 1 end) as stayed,
                   state_end = 'open' and state_start = 'open' and rank_end < rank_start as slipped,
                   state_end = 'lost' as closed_lost
            from j)"""
    return sql, [*params, list(keys), list(keys), p.start, p.end, p.start, p.end]


def _empty(ctx: MetricContext, p: ReviewPeriod, undated: int) -> dict:
    zero = {k: 0 for k in BUCKETS}
    return {"period": p.label, "start": p.start.isoformat(), "end": p.end.isoformat(), "after_as_of": p.after_as_of,
            **zero, "amount": {k: 0.0 for k in BUCKETS}, "n_without_amount": 0, "close_estimated": 0,
            "undated": undated, "matrix": [], "rows": []}


def bridge(con: duckdb.DuckDBPyConnection, ctx: MetricContext, period: dt.date | str | None = None) -> dict:
    """SPEC §7.1 for the ``ctx.grain`` period holding ``period`` (default: the as-of date's).

    Returns the JSON object ``bridge``: {period, start, end, after_as_of, open_start, new, won, lost, open_end,
    amount: {same five}, n_without_amount, close_estimated, undated, matrix: [{from, to, from_kind, to_kind,
    leads, amount}], rows: [{from, from_kind, leads, advanced, stayed, slipped, closed_lost}]}. ``undated``
    counts the leads passing the attribute filters without an acquisition date (not in any bucket).
    """
    p = review_period(ctx, period)
    undated = undated_leads(con, ctx)
    if p.after_as_of:
        return _empty(ctx, p, undated)
    (states_sql, s_params), keys = _states_two_days_sql(ctx, p)
    # Grouped by small integers (one row per start / end position), named and classified in Python: the
    # same classification as _bridge_sql's flags (test_every_number_equals_its_list checks both agree).
    grouped = con.execute(
        f"""with {states_sql}
            select state_start = 'open' as o_s, rank_start, state_end, rank_end,
                   count(*) as leads, coalesce(sum(amount), 0) as amount,
                   count(*) filter (where amount is null) as n_without_amount,
                   count(*) filter (where close_estimated) as close_estimated
            from st group by all""", s_params).fetchall()
    out = _empty(ctx, p, undated)
    cells: dict = {}
    rows: dict = {}
    for o_s, r0, state_end, r1, n, amount, n_na, n_est in grouped:
        frm, frm_kind = (keys[r0 - 1], "stage") if o_s else ("new", "new")
        to, to_kind = (keys[r1 - 1], "stage") if state_end == "open" else (state_end, state_end)
        flags = {"open_start": o_s, "new": not o_s, "won": state_end == "won", "lost": state_end == "lost",
                 "open_end": state_end == "open"}
        for key, flag in flags.items():
            if flag:
                out[key] += n
                out["amount"][key] += float(amount)
        out["n_without_amount"] += n_na
        out["close_estimated"] += n_est
        cell = cells.setdefault((frm, frm_kind, to, to_kind), [0, 0.0])
        cell[0] += n
        cell[1] += float(amount)
        row = rows.setdefault((frm, frm_kind), {"leads": 0, **{m: 0 for m in MOVES}})
        row["leads"] += n
        if state_end == "won":
            move = "advanced"
        elif state_end == "lost":
            move = "closed_lost"
        else:
            start_rank = r0 if o_s else 1
            move = "advanced" if r1 > start_rank else ("stayed" if r1 == start_rank else "slipped")
        row[move] += n
    order = {key: i for i, key in enumerate(ctx.stages.keys)}

    def pos(key, kind):
        return {"stage": 0, "new": 1, "won": 2, "lost": 3}[kind], order.get(key, len(order))

    out["matrix"] = [{"from": f, "to": t, "from_kind": fk, "to_kind": tk, "leads": n, "amount": a}
                     for (f, fk, t, tk), (n, a) in sorted(cells.items(),
                                                          key=lambda kv: (pos(kv[0][0], kv[0][1]),
                                                                          pos(kv[0][2], kv[0][3])))]
    out["rows"] = [{"from": f, "from_kind": fk, **vals}
                   for (f, fk), vals in sorted(rows.items(), key=lambda kv: pos(*kv[0]))]
    return out


def bridge_leads(con: duckdb.DuckDBPyConnection, ctx: MetricContext, period: dt.date | str | None = None,
                 bucket: str | None = None, from_: str | None = None, to: str | None = None,
                 move: str | None = None, without_amount: bool = False, estimated: bool = False,
                 limit: int | None = None) -> pd.DataFrame:
    """The leads behind a bridge number, one row per lead by lead_id: ``bucket`` (one of BUCKETS), a matrix
    cell / row (``from_`` and / or ``to``: a stage key or new / won / lost), a row's ``move`` (one of MOVES),
    ``without_amount`` / ``estimated`` (the bridge leads counted by n_without_amount / close_estimated);
    the conditions combine with "and". No condition: every bridge lead (open_start + new).
    Columns: lead_id, customer, source, rep, acquired_on, status, close_date, close_estimated, amount,
    state_start, stage_start, state_end, stage_end."""
    if bucket is not None and bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {BUCKETS}")
    if move is not None and move not in MOVES:
        raise ValueError(f"move must be one of {MOVES}")
    p = review_period(ctx, period)
    sql, params = _bridge_sql(ctx, p)
    clauses, extra = ["true"], []
    if p.after_as_of:
        clauses.append("false")
    if bucket is not None:
        clauses.append(f"b.{bucket}")
    for column, value, kinds in (('"from"', from_, ("new",)), ('"to"', to, ("won", "lost"))):
        if value is not None:  # 'new' / 'won' / 'lost' name those rows / columns, anything else a stage
            kind_column = "from_kind" if column == '"from"' else "to_kind"
            if value in kinds:
                clauses.append(f"b.{kind_column} = ?")
            else:
                clauses.append(f"b.{kind_column} = 'stage' and b.{column} = ?")
            extra.append(value)
    if move is not None:
        clauses.append(f"b.{move}")
    if without_amount:
        clauses.append("b.amount is null")
    if estimated:
        clauses.append("b.close_estimated")
    lim = f" limit {int(limit)}" if limit is not None else ""
    return fetch_rows(
        con,
        f"""{sql}
            select b.lead_id, f.customer, f.source, f.rep, b.acquired_on, b.status, b.close_date, b.close_estimated,
                   b.amount, b.state_start, b.stage_start, b.state_end, b.stage_end
            from b join lead_facts f on f.lead_key = b.lead_key
            where {' and '.join(clauses)} order by b.lead_id{lim}""",
        [*params, *extra])


def stage_movement(con: duckdb.DuckDBPyConnection, ctx: MetricContext,
                   period: dt.date | str | None = None) -> dict:
    """The movement matrix of ``bridge`` as frames: ``{"matrix": one row per (from, to) cell with leads —
    from, to, from_kind, to_kind, leads, amount; "rows": one row per from — from, from_kind, leads,
    advanced, stayed, slipped, closed_lost}``; ``bridge_leads(from_=..., to=... / move=...)`` lists a cell."""
    out = bridge(con, ctx, period)
    return {"matrix": pd.DataFrame(out["matrix"], columns=["from", "to", "from_kind", "to_kind", "leads", "amount"]),
            "rows": pd.DataFrame(out["rows"], columns=["from", "from_kind", "leads", *MOVES])}
