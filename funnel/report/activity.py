"""What happened inside a period, whatever the acquisition date: deals won, leads lost, stage entries.

Pure SQL over the derived ``lead_facts`` and the base ``stage_events`` (values bound as parameters). The
filter's attribute parts (source, rep, manager, team) apply; its acquisition date range does not (that is
the point: a deal won in March counts in March even if the lead came in January). Leads whose win or loss
date is unknown cannot be placed in a period: they are counted apart (``undated``), never guessed.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from funnel.i18n import UNSPECIFIED_BUCKET
from funnel.metrics.context import FunnelFilter


def _bounds(start: dt.date, end: dt.date) -> list[dt.datetime]:
    return [dt.datetime.combine(start, dt.time()), dt.datetime.combine(end + dt.timedelta(days=1), dt.time())]


def won_in_period(con: duckdb.DuckDBPyConnection, flt: FunnelFilter, start: dt.date, end: dt.date) -> dict:
    """Deals won with a first dated entry into the won stage in [start, end]: ``count``, ``amount`` (sum of
    known amounts, None when none known), ``from_earlier`` (of them, leads acquired before ``start``)."""
    where, params = flt.where("f", dated_only=False)
    row = con.execute(
        f"""select count(*), sum(f.amount), count(*) filter (where f.acquired_at < ?)
            from lead_facts f where {where} and f.won_at >= ? and f.won_at < ?""",
        [_bounds(start, end)[0], *params, *_bounds(start, end)],
    ).fetchone()
    return {"count": int(row[0]), "amount": None if row[1] is None else float(row[1]), "from_earlier": int(row[2])}


def lost_in_period(con: duckdb.DuckDBPyConnection, flt: FunnelFilter, start: dt.date, end: dt.date) -> dict:
    """Leads lost with ``lost_at`` in [start, end]: ``count``, ``from_earlier`` (acquired before start),
    and ``undated_lost`` (lost leads of the filter with no ``lost_at`` at all, which no period can hold)."""
    where, params = flt.where("f", dated_only=False)
    lo, hi = _bounds(start, end)
    row = con.execute(
        f"""select count(*) filter (where f.lost_at >= ? and f.lost_at < ?),
                   count(*) filter (where f.lost_at >= ? and f.lost_at < ? and f.acquired_at < ?),
                   count(*) filter (where f.lost_at is null)
            from lead_facts f where {where} and f.status = 'lost'""",
        [lo, hi, lo, hi, lo, *params],
    ).fetchone()
    return {"count": int(row[0]), "from_earlier": int(row[1]), "undated_lost": int(row[2])}


def lost_reasons_in_period(con: duckdb.DuckDBPyConnection, flt: FunnelFilter, start: dt.date,
                           end: dt.date) -> pd.DataFrame:
    """One row per loss reason of the leads lost in [start, end] (``reason``, ``count``), most first."""
    where, params = flt.where("f", dated_only=False)
    lo, hi = _bounds(start, end)
    return con.execute(
        f"""select coalesce(nullif(trim(f.lost_reason), ''), ?) as reason, count(*) as count
            from lead_facts f where {where} and f.status = 'lost' and f.lost_at >= ? and f.lost_at < ?
            group by 1 order by count desc, reason""",
        [UNSPECIFIED_BUCKET, *params, lo, hi],
    ).df()


def stage_entries_in_period(con: duckdb.DuckDBPyConnection, flt: FunnelFilter, start: dt.date,
                            end: dt.date) -> pd.DataFrame:
    """One row per configured stage, in configured order: ``stage`` (key), ``entries`` (dated stage events
    in [start, end]; events dated before the lead's acquisition are data problems and left out) and
    ``leads`` (distinct leads among them). Stages with no entry show 0."""
    where, params = flt.where("f", dated_only=False)
    lo, hi = _bounds(start, end)
    return con.execute(
        f"""with e as (
                select e.stage, e.lead_id from stage_events e join lead_facts f on f.lead_id = e.lead_id
                where {where} and e.entered_at >= ? and e.entered_at < ?
                  and (f.acquired_at is null or e.entered_at >= f.acquired_at))
            select s.key as stage, count(e.lead_id) as entries, count(distinct e.lead_id) as leads
            from stages s left join e on e.stage = s.key
            group by s.key, s."order" order by s."order", s.key""",
        [*params, lo, hi],
    ).df()
