"""What an import did to each lead, in a manager's terms: new, changed or unchanged.

Called by the loader inside the import's transaction, once per file *before* that file is written, so the
stored rows are still the old ones:

- **new**: the lead ID is not stored yet;
- **changed**: stored, and the file gives a value the upsert will change (a non-empty field that differs
  from the stored one; an empty field keeps the stored value, so it changes nothing), or a stage event or
  activity that is not stored yet;
- **unchanged**: stored, and the file changes nothing about it (a re-export of the same sheet, e.g. the
  GBK CSV of the same XLSX, gives only these).

Several files of one import count each lead once, in its strongest outcome (new > changed > unchanged):
``LeadOutcomes`` accumulates the files in a temporary table and ``totals`` sums it up (where no lead was
stored when the import began, ``totals`` counts the stored leads instead: every one is new).

The events and activities arrive already compared with the stored ones (``new_rows``: the comparison the
inserts use too), as SELECTs of (lead, outcome); the lead rows are compared here.

While ``leads`` is still empty (a first import's first file) every lead the file names is new: its IDs are
recorded without comparing its events and activities with the stored ones (``fast_empty=False`` compares
anyway; the result is the same). Where ``leads`` was empty when the import began (``all_new``), that holds for
every file of the import: a lead a later file finds stored was stored by an earlier file of the same import,
which recorded it as new, and new is the strongest outcome (at 1M leads the stage log's comparison of 1M lead
rows and 3.2M events, 1.7 s CPU, is not made).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

_TABLE = "import_lead_outcomes"
NEW, CHANGED, UNCHANGED = 2, 1, 0


@dataclass(frozen=True)
class LeadCounts:
    new: int = 0
    changed: int = 0
    unchanged: int = 0

    @property
    def leads(self) -> int:
        return self.new + self.changed + self.unchanged


class LeadOutcomes:
    """One per import: ``record`` each file before writing it, ``totals`` at the end (drops the table)."""

    NAMED = f"select lead_id from {_TABLE}"  # every lead ID the import's files named so far

    def __init__(self, con: duckdb.DuckDBPyConnection, fast_empty: bool = True) -> None:
        self.con = con
        self.fast_empty = fast_empty
        # no lead stored when the import began: every lead its files name is new (module docstring)
        self.all_new = fast_empty and not con.execute("select exists (select 1 from leads)").fetchall()[0][0]
        con.execute(f"create or replace temp table {_TABLE} (lead_id varchar, outcome tinyint)")

    def record(self, leads: pa.Table | None, lead_select: str, compared: tuple[str, ...], import_id: str,
               named: tuple[str, ...] = ()) -> None:
        """Outcome of each lead the file names, counted for this file: its lead rows (the loader's Arrow table,
        compared here with the stored leads; None: none) and ``named``, SELECTs of (lead_id, outcome) over the
        file's events and activities already compared with the stored ones (``new_rows.events_outcome`` /
        ``activities_outcome``: 1 changed, 0 unchanged), read before they are written. The loader records a
        file's lead rows and events, writes them, and records its activities later (after later files' leads
        and events, while a lead file's activities are still parsed): a lead row's outcome is recorded before
        its row is written; a lead named by activities that some file of the import wrote since was recorded
        new by that file (no lead gets a row from activities before the import ends, ``_complete_leads``), and
        ``totals`` keeps each lead's strongest outcome: the counts are those of one record per file (where no lead
        was stored when the import began, ``totals`` counts the stored leads instead, ``_record_all_new``)."""
        con = self.con
        leads = pa.table({"lead_id": pa.array([], pa.string())}) if leads is None else leads
        if self.all_new:
            self._record_all_new(leads, named)
            return
        parts, params = [], []
        if len(leads):
            con.register("outcome_leads", leads)
            given = [c for c in compared
                     if c in leads.column_names and leads.column(c).null_count < leads.num_rows]
            differs = " or ".join(f"(s.{c} is not null and s.{c} is distinct from l.{c})" for c in given) or "false"
            parts.append(f"""select s.lead_id, case when l.lead_id is null then {NEW} when {differs} then {CHANGED}
                                  else {UNCHANGED} end
                             from (select {lead_select} from outcome_leads) s
                             left join leads l on l.lead_id = s.lead_id""")
            params.append(import_id)
        parts += [f"select * from ({select})" for select in named]
        if not parts:
            return
        try:
            # a lead named only by events or activities and not stored yet is new
            union = " union all ".join(parts)
            con.execute(
                f"""insert into {_TABLE}
                    select u.lead_id, case when l.lead_id is null then {NEW} else max(u.o) end
                    from ({union}) u(lead_id, o) left join leads l on l.lead_id = u.lead_id
                    group by u.lead_id, l.lead_id""", params)
        finally:
            if len(leads):
                con.unregister("outcome_leads")

    def _record_all_new(self, leads: pa.Table, named: tuple[str, ...]) -> None:
        """No lead stored when the import began: each lead ID the file names is new (what ``record`` gives then;
        only the lead IDs of ``named`` are read). The file's lead rows are not recorded: each gets its row in
        ``leads``, which ``totals`` counts, and ``NAMED`` serves only to find the leads without one. Of the IDs its
        events and activities name only those without a lead row in the file are added (an anti-join of the 8.3M
        IDs of a 1M template against its 1M lead rows costs 0.6 s CPU, grouping all 9.3M 1.0 s). A lead ID may
        appear twice in the table: ``loader._complete_leads`` reads ``NAMED`` with a DISTINCT."""
        union = " union all ".join(f"select lead_id from ({select}) x(lead_id, o)" for select in named)
        if not union:
            return
        if not len(leads):
            self.con.execute(f"insert into {_TABLE} select distinct lead_id, {NEW} from ({union}) u")
            return
        self.con.register("outcome_leads", leads)
        try:
            self.con.execute(
                f"""insert into {_TABLE} select distinct u.lead_id, {NEW} from ({union}) u
                    anti join outcome_leads l on cast(l.lead_id as varchar) = u.lead_id""")
        finally:
            self.con.unregister("outcome_leads")

    def totals(self) -> LeadCounts:
        """New / changed / unchanged leads of the import, once every file is written and the leads named only by
        events or activities have their rows (``loader._complete_leads``). Where no lead was stored when the
        import began, every lead stored now is one it named and new: they are counted, not grouped."""
        if self.all_new:
            self.con.execute(f"drop table if exists {_TABLE}")
            return LeadCounts(new=int(self.con.execute("select count(*) from leads").fetchone()[0]))
        rows = dict(self.con.execute(
            f"""select o, count(*) from (select lead_id, max(outcome) as o from {_TABLE} group by lead_id)
                group by o""").fetchall())
        self.con.execute(f"drop table if exists {_TABLE}")
        return LeadCounts(new=int(rows.get(NEW, 0)), changed=int(rows.get(CHANGED, 0)),
                          unchanged=int(rows.get(UNCHANGED, 0)))
