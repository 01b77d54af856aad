"""Lead snapshots: what each lead import said about each of its leads (SPEC §7.2).

``lead_snapshots``, one row per (lead import, lead the file held): ``import_id, lead_id, status,
current_stage, amount, expected_close, rep``. The values are the lead's as the store holds them right after
that file was written (a field the file left empty keeps its stored value; a status or stage the file does
not give is the one derived as in SPEC §4 once the import's derived tables are rebuilt), written inside the
import's own transaction: ``stage_snapshot`` after each lead file, ``record_snapshots`` at the end.

A *lead import* is an import whose file held lead rows (a template, a wide file, a mapped file, an event
log with lead attributes); an import of only stage events or of a roster keeps no snapshot.

Re-importing identical content keeps none. Byte-identical files are skipped by the loader before they get
here (same sha256). A file with other bytes but the same content (an XLSX saved again, rows reordered) keeps
none either: when its snapshot rows equal, row for row, those of the latest lead import, nothing is kept,
so comparing "the last two uploads" never compares an upload with a copy of itself. Every other lead import
keeps one row per lead it holds (not only the changed ones: a lead missing from a newer export must be told
apart from a lead that did not change).

``ensure_snapshots(con)`` migrates a store made by an earlier version on open: the table is created and,
when it is empty and the store holds leads, the latest lead import gets a snapshot of the leads it last
wrote (their values as last imported), so the next upload has something to be compared with.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pyarrow as pa

SNAPSHOT_DDL = """create table if not exists lead_snapshots (
    import_id varchar not null, lead_id varchar not null, status varchar, current_stage varchar, amount double,
    expected_close timestamp, rep varchar)"""

SNAPSHOT_COLUMNS = ("status", "current_stage", "amount", "expected_close", "rep")
# The columns of ``leads`` a snapshot's values come from (``stage_snapshot``): status from status_reported.
SNAPSHOT_SOURCES = ("status_reported", "current_stage", "amount", "expected_close", "rep")

# The leads that differ between a lead import and the lead import before it (appeared, vanished, or any value
# changed), written when the later one is recorded: the default comparison of SPEC §7.2 (the last two lead
# imports) then reads these few rows instead of full-joining two snapshots of every lead (0.7 s at 1M).
DIFF_DDL = """create table if not exists lead_snapshot_diffs (
    import_a varchar not null, import_b varchar not null, lead_id varchar not null, in_a boolean, in_b boolean,
    status_a varchar, status_b varchar, stage_a varchar, stage_b varchar, amount_a double, amount_b double,
    close_a timestamp, close_b timestamp, rep_a varchar, rep_b varchar)"""


def pair_sql() -> str:
    """SELECT of the leads that differ between lead imports A and B (bind A's and B's import ids, in that
    order), one row per lead: lead_id, in_a, in_b and both imports' values (the columns of
    lead_snapshot_diffs after the import ids)."""
    return """
        select coalesce(b.lead_id, a.lead_id) as lead_id, a.lead_id is not null as in_a, b.lead_id is not null as in_b,
               a.status as status_a, b.status as status_b, a.current_stage as stage_a, b.current_stage as stage_b,
               a.amount as amount_a, b.amount as amount_b, a.expected_close as close_a, b.expected_close as close_b,
               a.rep as rep_a, b.rep as rep_b
        from (select * from lead_snapshots where import_id = ?) a
        full join (select * from lead_snapshots where import_id = ?) b on a.lead_id = b.lead_id
        where a.lead_id is null or b.lead_id is null or a.status is distinct from b.status
              or a.current_stage is distinct from b.current_stage or a.amount is distinct from b.amount
              or a.expected_close is distinct from b.expected_close or a.rep is distinct from b.rep"""


# SPEC §7.2: "an import of only events or a roster is not a lead import", even where a stage log names leads
# the store did not know (they are written, but the stage log says nothing about their status or amount).
NOT_LEAD_FORMATS = ("events", "roster")


def is_lead_import(file_format: str) -> bool:
    return file_format not in NOT_LEAD_FORMATS


def stage_snapshot(con: duckdb.DuckDBPyConnection, import_id: str, leads: pa.Table) -> None:
    """Right after a lead file was written (same transaction): hold what the store now says about each of its
    leads (``leads``, the file's lead rows as the loader staged them: the file's values, a field it left empty
    keeping the stored one) in a temp table until ``record_snapshots`` keeps them. Taken per file, so two
    exports imported in one call keep their own values."""
    if not leads.num_rows:
        return
    con.execute("""create temp table if not exists _snap_pending (seq integer, import_id varchar, lead_id varchar,
                   status varchar, current_stage varchar, amount double, expected_close timestamp, rep varchar)""")
    con.register("_snap_ids", leads.select(["lead_id"]))
    try:
        con.execute(
            """insert into _snap_pending
               select (select count(distinct import_id) from _snap_pending), cast(? as varchar), l.lead_id,
                      case when l.status_reported in ('untouched', 'active', 'won', 'lost') then l.status_reported
                      end, l.current_stage, l.amount, l.expected_close, l.rep
               from leads l semi join _snap_ids i on cast(i.lead_id as varchar) = l.lead_id""",
            [import_id],
        )
    finally:
        con.unregister("_snap_ids")


def record_first_snapshot(con: duckdb.DuckDBPyConnection, import_id: str, lead_ids: pa.Table) -> int:
    """The snapshot of a store's first lead import, read from ``lead_facts`` once the derived tables are rebuilt,
    in place of ``stage_snapshot`` + ``record_snapshots``. The loader calls it only when that holds the same rows
    (``loader._sole_lead_file``): the store held no lead and no snapshot when the import began, the import has one
    lead file (its lead IDs: ``lead_ids``), and no other file of it gives a value in ``SNAPSHOT_SOURCES``. The
    values the store holds right after that file are then its final ones, and lead_facts' ``status`` and
    ``current_stage`` are what ``_COMPLETED`` takes (a valid reported status is lead_facts' status; a configured
    reported stage is its current stage). When no other lead exists (no other file and no stage log named one
    the lead file does not hold) every row of lead_facts is kept, with no join of a million lead IDs (0.7 s at 1M
    leads for the two statements it replaces); else the file's leads are picked by their IDs. Returns the rows
    kept."""
    if not lead_ids.num_rows:
        return 0
    if con.execute("select count(*) from leads").fetchall()[0][0] == lead_ids.num_rows:  # every lead is the file's
        return con.execute(
            """insert into lead_snapshots
               select cast(? as varchar), lead_id, status, current_stage, amount, expected_close, rep from lead_facts""",
            [import_id]).fetchall()[0][0]
    con.register("_snap_ids", lead_ids.select(["lead_id"]))
    try:
        return con.execute(
            """insert into lead_snapshots
               select cast(? as varchar), f.lead_id, f.status, f.current_stage, f.amount, f.expected_close, f.rep
               from lead_facts f semi join _snap_ids i on cast(i.lead_id as varchar) = f.lead_id""",
            [import_id]).fetchall()[0][0]
    finally:
        con.unregister("_snap_ids")


def record_snapshots(con: duckdb.DuckDBPyConnection) -> int:
    """Keep the snapshots held by ``stage_snapshot``, after the derived tables were rebuilt (same transaction).

    A status or stage the file did not give (or gave unreadable) is taken from ``lead_facts`` (derived as in
    SPEC §4). Each import's rows are compared with the latest lead import's and kept unless identical (the
    first lead import of a store, with nothing to compare with, is written in one statement).
    Returns how many rows were kept."""
    exists = con.execute("select count(*) from information_schema.tables where table_name = '_snap_pending' "
                         "and table_type = 'LOCAL TEMPORARY'").fetchone()[0]
    if not exists:
        return 0
    kept = 0
    try:
        imports = [r[0] for r in con.execute(
            "select import_id from _snap_pending group by import_id order by min(seq)").fetchall()]
        for import_id in imports:
            if con.execute(f"select {_latest_import_sql()} is null").fetchone()[0]:
                kept += con.execute(f"insert into lead_snapshots {_COMPLETED}", [import_id]).fetchone()[0]
                continue  # no earlier snapshot (a first import): nothing to compare a million rows with
            con.execute(f"create or replace temp table _snap_new as {_COMPLETED}", [import_id])
            if not _same_as_latest(con):
                previous = con.execute(f"select {_latest_import_sql()}").fetchone()[0]
                kept += con.execute("insert into lead_snapshots select * from _snap_new").fetchone()[0]
                con.execute(f"insert into lead_snapshot_diffs select ?, ?, * from ({pair_sql()})",
                            [previous, import_id, previous, import_id])
    finally:
        con.execute("drop table if exists _snap_new")
        con.execute("drop table if exists _snap_pending")
    return kept


# One import's pending rows (bind its import id) with what the file did not give taken from lead_facts: a
# missing status, and a stage that is not a configured one (a lead without lead_facts keeps its own values).
_COMPLETED = """select p.import_id, p.lead_id,
                       case when f.lead_id is null then p.status else coalesce(p.status, f.status) end as status,
                       case when f.lead_id is null or p.current_stage in (select key from stages) then p.current_stage
                            else f.current_stage end as current_stage,
                       p.amount, p.expected_close, p.rep
                from _snap_pending p left join lead_facts f on f.lead_id = p.lead_id
                where p.import_id = ?"""


def _latest_import_sql() -> str:
    """The import id of the latest lead import that kept a snapshot (by start time, then id)."""
    return """(select s.import_id from (select distinct import_id from lead_snapshots) s
               left join imports i on i.import_id = s.import_id
               order by i.started_at desc nulls last, s.import_id desc limit 1)"""


def _same_as_latest(con: duckdb.DuckDBPyConnection) -> bool:
    """True when _snap_new holds exactly the rows of the latest lead import's snapshot (same leads, same
    values)."""
    if con.execute(f"select {_latest_import_sql()} is null").fetchone()[0]:
        return False  # no earlier snapshot (a first import): nothing to compare a million rows with
    cols = "lead_id, status, current_stage, amount, expected_close, rep"
    row = con.execute(
        f"""with prev as (select {cols} from lead_snapshots where import_id = {_latest_import_sql()}),
                 cur as (select {cols} from _snap_new)
            select (select count(*) from prev), (select count(*) from cur),
                   (select count(*) from (select * from cur except select * from prev)),
                   (select count(*) from (select * from prev except select * from cur))"""
    ).fetchone()
    n_prev, n_cur, only_cur, only_prev = row
    return n_prev > 0 and n_prev == n_cur and only_cur == 0 and only_prev == 0


def ensure_snapshots(con: duckdb.DuckDBPyConnection) -> bool:
    """Create ``lead_snapshots`` where missing; a store with leads and no snapshot gets one for its latest lead
    import (see the module docstring). Runs in its own transaction when it writes; True when it backfilled."""
    con.execute(SNAPSHOT_DDL)
    con.execute(DIFF_DDL)
    present = con.execute("select count(*) from lead_snapshots").fetchone()[0]
    if present:
        return False
    tables = {r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'main' "
        "and table_catalog = current_database()").fetchall()}
    if "lead_facts" not in tables:
        return False
    latest = con.execute(
        """select i.import_id from imports i
           where i.status = 'ok' and i.format not in (?, ?)
             and exists (select 1 from leads l where l.import_id = i.import_id)
           order by i.started_at desc, i.import_id desc limit 1""", list(NOT_LEAD_FORMATS)
    ).fetchone()
    if latest is None:
        return False
    from funnel.store.transaction import write_transaction

    with write_transaction(con):
        con.execute(
            """insert into lead_snapshots
               select l.import_id, f.lead_id, f.status, f.current_stage, f.amount, f.expected_close, f.rep
               from lead_facts f join leads l on l.lead_id = f.lead_id
               where l.import_id = ?""",
            [latest[0]],
        )
    return True


def lead_imports(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per lead import that kept a snapshot, oldest first: import_id, file_name, started_at, leads."""
    return con.execute(
        """select s.import_id, i.file_name, i.started_at, s.leads
           from (select import_id, count(*) as leads from lead_snapshots group by import_id) s
           left join imports i on i.import_id = s.import_id
           order by i.started_at nulls first, s.import_id"""
    ).df()
