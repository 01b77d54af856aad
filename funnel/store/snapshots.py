"""Lead snapshots: what each lead import said about each of its leads (SPEC §7.2).

``lead_snapshots``, one row per (lead import, lead the file held): ``import_id, lead_id, status,
current_stage, amount, expected_close, rep``. The values are the lead's as the store holds them right after
the import (``lead_facts``: a field the file left empty keeps its stored value, a status the file does not
give is derived as in SPEC §4), written inside the import's own transaction.

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

SNAPSHOT_DDL = """create table if not exists lead_snapshots (
    import_id varchar not null, lead_id varchar not null, status varchar, current_stage varchar, amount double,
    expected_close timestamp, rep varchar)"""

SNAPSHOT_COLUMNS = ("status", "current_stage", "amount", "expected_close", "rep")


def record_snapshots(con: duckdb.DuckDBPyConnection, files: list[tuple[str, pd.Series]]) -> int:
    """Keep the snapshots of the lead imports ``files`` = [(import_id, lead_id Series), ...], in the caller's
    transaction, after the derived tables were rebuilt. Returns how many rows were kept."""
    kept = 0
    for import_id, lead_ids in files:
        ids = pd.DataFrame({"lead_id": pd.Series(lead_ids, dtype="string").dropna().unique()})
        if not len(ids):
            continue
        con.register("_snap_ids", ids)
        try:
            con.execute(
                """create or replace temp table _snap_new as
                   select cast(? as varchar) as import_id, f.lead_id, f.status, f.current_stage, f.amount,
                          f.expected_close, f.rep
                   from lead_facts f semi join _snap_ids i on i.lead_id = f.lead_id""",
                [import_id],
            )
        finally:
            con.unregister("_snap_ids")
        if not _same_as_latest(con):
            kept += con.execute("insert into lead_snapshots select * from _snap_new").fetchone()[0]
        con.execute("drop table if exists _snap_new")
    return kept


def _latest_import_sql() -> str:
    """The import id of the latest lead import that kept a snapshot (by start time, then id)."""
    return """(select s.import_id from (select distinct import_id from lead_snapshots) s
               left join imports i on i.import_id = s.import_id
               order by i.started_at desc nulls last, s.import_id desc limit 1)"""


def _same_as_latest(con: duckdb.DuckDBPyConnection) -> bool:
    """True when _snap_new holds exactly the rows of the latest lead import's snapshot (same leads, same
    values)."""
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
           where i.status = 'ok' and i.format not in ('events', 'roster')
             and exists (select 1 from leads l where l.import_id = i.import_id)
           order by i.started_at desc, i.import_id desc limit 1"""
    ).fetchone()
    if latest is None:
        return False
    from funnel.store.db import write_transaction

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
