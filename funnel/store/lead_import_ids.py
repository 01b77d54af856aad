"""The import each lead of a first import ends with, written with the lead's first row instead of by an UPDATE.

``leads.import_id`` is the last file of the import that named the lead: a lead file (or a stage log, whose lead rows
are its lead IDs alone) that names a stored lead sets it (``loader._write_leads``). Where no lead was stored when the
import began (``LeadOutcomes.all_new``), every lead stored during the import is written by it, so the last file
that names each lead is known before anything is written. ``plan`` keeps, for every lead ID a lead file after the
first names, the last such file's import_id (``_final_import``); the loader then inserts each lead with that
import_id, or its own file's where no later file names it (``JOINED``, ``IMPORT_ID``; the last file with lead rows
needs no join), and a later file's UPDATE sets only the fields it gives: none (a stage log's bare lead IDs), no
UPDATE at all. Only with at least two files with lead rows, and not with ``fast_empty=False``.

At 1M leads the stage log's UPDATE of every lead's import_id cost 0.3-0.4 s and, at the commit, a 175 MB
write-ahead log and its checkpoint (0.3-0.5 s more); the join here costs about 0.25 s (docs/performance.md, "import,
tenth session of issue 16"). The store is the one the UPDATE made (tests/store/test_first_import.py compares
both ways table for table; tests/store/test_lead_import_ids.py holds the import_ids to the rule).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

TABLE = "_final_import"
# The file's lead rows with the import_id they end with when a later lead file names them (else null).
JOINED = (f"(select s.*, f.import_id as final_import_id from staged_leads s "
          f"left join {TABLE} f on f.lead_id = cast(s.lead_id as varchar))")
IMPORT_ID = "coalesce(final_import_id, cast(? as varchar))"


def plan(con: duckdb.DuckDBPyConnection, later: list[tuple[pa.Table, str]]) -> None:
    """``_final_import`` from ``later``: (lead IDs, import_id) of the import's files with lead rows after the first,
    in file order. Filled from the last file back, each adding the IDs no file after it named: the last file wins.
    A file's lead rows name each ID once (the parse merges a lead's rows); an ID named twice would insert its lead
    twice, which the refresh refuses (``DuplicateLeadId``), so the import would roll back."""
    con.execute(f"create or replace temp table {TABLE} (lead_id varchar, import_id varchar)")
    for leads, import_id in reversed(later):
        con.register("_later_leads", leads)
        try:
            con.execute(f"""insert into {TABLE}
                            select cast(l.lead_id as varchar), cast(? as varchar) from _later_leads l
                            anti join {TABLE} f on f.lead_id = cast(l.lead_id as varchar)""", [import_id])
        finally:
            con.unregister("_later_leads")


def drop(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"drop table if exists {TABLE}")
