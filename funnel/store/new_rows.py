"""A parsed file's stage events and activities against the stored ones: compared once, written from the result.

The loader registers the file's rows as ``staged_events`` / ``staged_activities`` (Arrow). Where the store's
table already holds rows, ``compare_events`` / ``compare_activities`` keep the file's rows it does not hold yet
in a temporary table (``_new_events``: distinct (lead, stage, entered_at); ``_new_activities``: the rows whose
(lead, at, content) is not stored). That one comparison serves both readers: the new / changed / unchanged
outcome (``lead_outcomes``, through ``events_outcome`` / ``activities_outcome``, read before the file is
written) and the inserts (``write_events`` / ``write_activities``). Before, each compared the file with the
stored table on its own (two anti-joins of 3.2M events at 1M leads, and a DELETE that scanned every stored
event).

Where the store's table is empty (``first=True``; the loader decides per file and table, ``fast_empty=False``
never), there is nothing to compare with: the inserts read the staged rows directly, de-duplicating only within
the file, and every row counts as new.

The rule of SPEC §3 (format A) that a dated event supersedes the undated one for the same lead and stage holds
in the store after every import (these functions and the DELETE before them are the only writers of
``stage_events``), so only the file's rows can break it: an undated event of the file is not inserted where the
store or the file dates that lead and stage, and a stored undated event is deleted where the file's new rows date
it. The result is the one a DELETE over the whole table would leave.

The import's new events wait in a temporary table (``_import_events``, same columns as ``stage_events``) until
all its files are written (``begin_events`` ... ``flush_events``); the comparisons read the store's events as
``stage_events`` and ``_import_events`` together. A later file of the same import that dates an undated event
of an earlier one then deletes it from the temporary table, never from rows inserted into ``stage_events`` in
the same transaction: DuckDB writes a large insert's rows to the database file as it goes, but where rows of
the transaction were deleted again it throws those away at the commit and appends every row again (at 1M
leads, a template's 3.2M events and the stage log dating 1.3M of them: 2.0 s CPU of the commit). The last
file of an import that gives events (``direct``: none after it) writes its new ones into ``stage_events``
itself: nothing can delete them again, and their copy is saved (the earlier files' events are flushed beside
them).

A file's activities are written distinct. Where the parse marked the rows that repeat an earlier one
(``ParsedFile.mark_repeats``, found on integer keys in ``funnel.ingest.repeats``) the loader hands the mark on
as a column (``mark_repeats``) and the statements read the file's rows without those (``distinct=True``): no
DISTINCT over 5M rows of text at 1M leads. A file without the mark (built by hand, or read per row) is
de-duplicated by the insert as before. The comparison with the stored activities is the same either way.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

NEW_ACTIVITIES = "_new_activities"  # the temp tables: _new_events, _new_activities
# Where write_events adds a file's new events: the import's temp table, or (direct) stage_events itself.
_INSERT_EVENTS = {False: "insert into _import_events", True: "insert into stage_events"}

_STAGED_EVENTS = """select cast(lead_id as varchar) as lead_id, cast(stage as varchar) as stage,
                           cast(entered_at as timestamp) as entered_at from staged_events"""
_STAGED_ACTIVITIES = """select cast(lead_id as varchar) as lead_id, cast("at" as timestamp) as "at",
                               cast(content as varchar) as content, cast(feedback as varchar) as feedback,
                               cast(actor as varchar) as actor from staged_activities"""
REPEATS_COLUMN = "repeats_earlier"  # the parse's mark of the activities that repeat an earlier one
# The file's activities: as staged (False), or each once, the marked repeats left out (True: ``mark_repeats``)
_ACTIVITIES = {False: _STAGED_ACTIVITIES, True: _STAGED_ACTIVITIES + " where not repeats_earlier"}
_INSERT_ACTIVITIES = {False: "insert into activities select distinct *, ? from",
                      True: "insert into activities select *, ? from"}


def mark_repeats(activities: pa.Table, repeated: np.ndarray) -> pa.Table:
    """The staged activities with the parse's mark of the rows that repeat an earlier row (``ParsedFile.repeats``):
    the statements below then leave those out instead of de-duplicating the rows' text (``distinct=True``)."""
    return activities.append_column(REPEATS_COLUMN, pa.array(repeated, type=pa.bool_()))

# An undated event of the file the store dates (same lead and stage): it changes nothing, and is not written.
_DATED_IN_STORE = """(exists (select 1 from stage_events d where d.lead_id = n.lead_id and d.stage = n.stage
                              and d.entered_at is not null)
                      or exists (select 1 from _import_events d where d.lead_id = n.lead_id and d.stage = n.stage
                                 and d.entered_at is not null))"""


def begin_events(con: duckdb.DuckDBPyConnection) -> None:
    """Start an import: its new events are held in ``_import_events`` (empty) until ``flush_events``."""
    con.execute("create or replace temp table _import_events as select * from stage_events limit 0")


def events_empty(con: duckdb.DuckDBPyConnection) -> bool:
    """Neither the store nor an earlier file of this import holds an event: a file's events need no comparison."""
    return not con.execute("select exists (select 1 from stage_events) or exists (select 1 from _import_events)"
                           ).fetchall()[0][0]


def flush_events(con: duckdb.DuckDBPyConnection) -> None:
    """Write the import's new events into ``stage_events`` and drop the temporary table (when ``begin_events``
    made one). The rows' physical order is not kept from run to run (the de-duplicating inserts run in
    parallel); no reader depends on it: every query over ``stage_events`` aggregates or sorts."""
    if con.execute("select count(*) from duckdb_tables() where temporary and table_name = '_import_events'"
                   ).fetchone()[0]:
        con.execute("insert into stage_events select * from _import_events")
        con.execute("drop table _import_events")


def compare_events(con: duckdb.DuckDBPyConnection) -> None:
    """``_new_events``: the file's distinct events whose (lead, stage, entered_at) is not stored (in
    ``stage_events`` or, from an earlier file of this import, in ``_import_events``)."""
    con.execute(
        f"""create or replace temp table _new_events as
           select distinct s.lead_id, s.stage, s.entered_at from ({_STAGED_EVENTS}) s
           anti join stage_events e on e.lead_id = s.lead_id and e.stage = s.stage
                and e.entered_at is not distinct from s.entered_at
           anti join _import_events i on i.lead_id = s.lead_id and i.stage = s.stage
                and i.entered_at is not distinct from s.entered_at""")


def compare_activities(con: duckdb.DuckDBPyConnection, distinct: bool = False) -> None:
    """``_new_activities``: the file's activities whose (lead, at, content) is not stored (duplicates kept: the
    insert removes them; none when ``distinct``, the parse's repeats marked and left out)."""
    con.execute(
        f"""create or replace temp table _new_activities as
           select s.* from ({_ACTIVITIES[distinct]}) s
           anti join activities a on a.lead_id = s.lead_id and a."at" is not distinct from s."at"
                and a.content is not distinct from s.content""")


def events_outcome(first: bool) -> str:
    """SELECT (lead_id, outcome) over the file's events: 1 (changed) for an event the store does not hold (an
    undated one the store dates is held), 0 otherwise; read before the file is written."""
    if first:
        return "select cast(lead_id as varchar), 1 from staged_events"
    return ("select cast(lead_id as varchar), 0 from staged_events "
            "union all select lead_id, 1 from _new_events where entered_at is not null "
            f"union all select lead_id, 1 from _new_events n where entered_at is null and not {_DATED_IN_STORE}")


def activities_outcome(first: bool, of_lead_rows: bool = False) -> str:
    """SELECT (lead_id, outcome) over the file's activities: 1 for one the store does not hold, 0 otherwise.
    ``of_lead_rows``: each activity's lead is a lead row of the file (``ParsedFile.activities_of_lead_rows``),
    whose own outcome is at least 0: only the new activities are read (at 1M leads 5.1M rows fewer to group)."""
    if first:
        return "select cast(lead_id as varchar), 1 from staged_activities"
    if of_lead_rows:
        return "select lead_id, 1 from _new_activities"
    return ("select cast(lead_id as varchar), 0 from staged_activities "
            "union all select lead_id, 1 from _new_activities")


# The undated events the file's new rows date: stored ones, and those of this import's earlier files.
_DELETE_UNDATED = (
    """delete from stage_events e where e.entered_at is null and exists (
           select 1 from _new_events n where n.lead_id = e.lead_id and n.stage = e.stage and n.entered_at is not null)""",
    """delete from _import_events e where e.entered_at is null and exists (
           select 1 from _new_events n where n.lead_id = e.lead_id and n.stage = e.stage and n.entered_at is not null)""",
)


def write_events(con: duckdb.DuckDBPyConnection, import_id: str, first: bool, direct: bool = False,
                 once: bool = False) -> None:
    """Add the file's new events (``_new_events``, or every staged event when ``first``) to ``_import_events``
    (``stage_events`` when ``direct``: the import's last file with events) and keep the rule that a dated event
    supersedes the undated one (module docstring). ``once``: no two staged events share a lead and a stage
    (``ParsedFile.events_once``, a template's own events): when ``first`` they are all written as they are (at
    1M leads a DISTINCT and an anti-join over 3.2M events fewer)."""
    if first and once:
        con.execute(f"{_INSERT_EVENTS[direct]} select lead_id, stage, entered_at, ? from ({_STAGED_EVENTS})",
                    [import_id])
        return
    if first:  # the file's distinct events, less an undated one the file also dates
        con.execute(
            f"""{_INSERT_EVENTS[direct]}
               with d as materialized (select distinct * from ({_STAGED_EVENTS}))
               select lead_id, stage, entered_at, ? from d where entered_at is not null
               union all
               select u.lead_id, u.stage, u.entered_at, ? from d u
               anti join (select lead_id, stage from d where entered_at is not null) x
                    on x.lead_id = u.lead_id and x.stage = u.stage
               where u.entered_at is null""",
            [import_id, import_id])
        return
    for delete in _DELETE_UNDATED:
        con.execute(delete)
    con.execute(
        f"""{_INSERT_EVENTS[direct]}
           select lead_id, stage, entered_at, ? from _new_events where entered_at is not null
           union all
           select n.lead_id, n.stage, n.entered_at, ? from _new_events n
           where n.entered_at is null and not {_DATED_IN_STORE}
             and not exists (select 1 from _new_events d where d.lead_id = n.lead_id and d.stage = n.stage
                             and d.entered_at is not null)""",
        [import_id, import_id])


def write_activities(con: duckdb.DuckDBPyConnection, import_id: str, first: bool, distinct: bool = False) -> None:
    """Insert the file's distinct new activities (every staged one when ``first``). ``distinct``: the parse
    marked the rows that repeat an earlier one (``mark_repeats``); those left out, the rows are distinct and
    are written without a DISTINCT (at 1M leads 5.1M rows of text: about 3 s CPU)."""
    rows = f"({_ACTIVITIES[distinct]})" if first else NEW_ACTIVITIES
    con.execute(f"{_INSERT_ACTIVITIES[distinct]} {rows}", [import_id])


def drop(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the comparison tables of a file (once it is written)."""
    con.execute("drop table if exists _new_events")
    con.execute("drop table if exists _new_activities")
