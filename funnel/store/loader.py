"""Write parsed files into the store: one transaction per import, all of it or none of it.

``import_files`` parses every given file first (nothing is written if one cannot be read; a lead file's activities
may still be in the making while its leads and events are written, ``parse_files(rest_later=True)``), skips files whose
content was already imported (same sha256), then in one transaction upserts leads by ``lead_id`` (a field
the new file leaves empty keeps its stored value), adds stage events unique on (lead, stage, entered_at)
(a dated event supersedes an undated one for the same lead and stage), adds activities unique on
(lead, at, content), upserts the roster, records rejects, warnings and the import runs, rebuilds the
derived tables and gives the data a new version.

A file's events and activities are compared with the stored ones once (``new_rows``): the result serves the
new / changed / unchanged outcome (``lead_outcomes``) and the inserts. The import's new events reach
``stage_events`` once every file is written (``new_rows.flush_events``: rows inserted and deleted again in one
transaction would make DuckDB's commit append them anew).

A first import goes a shorter way: a statement whose de-duplication would compare the file with a stored table
that is still empty (checked per file and per table, an earlier file's events of the same import counting as
stored, so the second file of one import takes the general way)
inserts directly, de-duplicating only within the file (the same DISTINCT, and an undated event dropped where
the file also dates it), and where two or more files have lead rows each lead is written once with the import_id
it ends with (``lead_import_ids``). ``fast_empty=False`` forces the general way (tests/store/test_first_import.py keeps
both equal, table for table; tests/store/test_new_rows.py holds both to the rules over several imports).
"""

from __future__ import annotations

import datetime as dt
import getpass
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from funnel.ingest import parse_files
from funnel.ingest.batch import REJECT_FIELDS, WARNING_FIELDS, ParsedFile, frame_as_arrow
from funnel.store.config import bump_data_version, load_stage_config
from funnel.store.transaction import write_transaction
from funnel.store.derived import refresh_derived
from funnel.store import lead_import_ids, new_rows
from funnel.store.lead_outcomes import LeadCounts, LeadOutcomes
from funnel.store.snapshots import (SNAPSHOT_SOURCES, is_lead_import, record_first_snapshot, record_snapshots,
                                    stage_snapshot)

Source = Path | tuple[str, bytes]



@dataclass
class FileResult:
    """What one file brought: counts add up (read = accepted + rejected + blank + duplicate)."""

    file_name: str
    format: str
    sha256: str
    import_id: str | None
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    rows_warned: int = 0
    rows_blank: int = 0
    rows_duplicate: int = 0
    skipped_unchanged: bool = False
    notes: list[str] = field(default_factory=list)
    no_data: bool = False  # a header without data rows: nothing imported, not recorded


@dataclass
class ImportReport:
    """The outcome of one import call: per-file results, the warnings and the rejected rows."""

    files: list[FileResult]
    warnings: pd.DataFrame
    rejects: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    leads: LeadCounts = field(default_factory=LeadCounts)  # new / changed / unchanged leads (lead_outcomes.py)

    @property
    def import_ids(self) -> list[str]:
        return [f.import_id for f in self.files if f.import_id]

    @property
    def rows_accepted(self) -> int:
        return sum(f.rows_accepted for f in self.files)

    @property
    def all_unchanged(self) -> bool:
        """Every file was imported before (a file without data rows, which writes nothing, aside)."""
        return any(f.skipped_unchanged for f in self.files) and all(f.skipped_unchanged or f.no_data
                                                                    for f in self.files)

    @property
    def no_data(self) -> bool:
        """Nothing was imported because no file held a data row (e.g. a header-only CSV)."""
        return bool(self.files) and all(f.no_data or f.skipped_unchanged for f in self.files) \
            and any(f.no_data for f in self.files)


def import_files(
    con: duckdb.DuckDBPyConnection,
    sources: list[Source],
    mapping=None,
    fmt: str = "auto",
    who: str | None = None,
    max_bytes: int = 200 * 1024 * 1024,
    fast_empty: bool = True,
) -> ImportReport:
    """Parse ``sources`` and write them in one transaction. Raises ImportError_ before writing anything
    when a file cannot be read; re-raises any database error after rolling back. A lead file's leads and events
    are written while its activities are still being parsed (``parse_files(rest_later=True)``)."""
    stages = load_stage_config(con)
    parsed = parse_files(sources, stages, mapping=mapping, fmt=fmt, max_bytes=max_bytes, rest_later=True)
    return write_parsed(con, parsed, who=who, fast_empty=fast_empty)


def write_parsed(con: duckdb.DuckDBPyConnection, parsed: list[ParsedFile], who: str | None = None,
                 fast_empty: bool = True) -> ImportReport:
    """Write already parsed files in one transaction (see the module docstring). A file still parsing its rest
    (``ParsedFile.rest``) has its leads and events written first, the rest once its parse ends."""
    who = who or _whoami()
    try:
        with write_transaction(con):
            # Read the known hashes inside the write lock: a file uploaded twice at once is written once.
            known = {row[0] for row in con.execute("select sha256 from imports where status = 'ok'").fetchall()}
            outcomes = LeadOutcomes(con, fast_empty=fast_empty)
            new_rows.begin_events(con)
            sole = _sole_lead_file(con, parsed, known, outcomes)
            files = _write_all(con, parsed, who, known, outcomes, fast_empty=fast_empty, sole=sole)
            lead_import_ids.drop(con)
            new_rows.flush_events(con)  # the import's new events into stage_events, once every file is compared
            notes = _finish_import(con, sole, files) if any(f.item is not None for f in files) else []
            counts = outcomes.totals()
    finally:
        pa.default_memory_pool().release_unused()  # the Arrow copies handed to DuckDB: memory given back
    items = [f.item for f in files if f.item is not None]
    return ImportReport([f.result for f in files],
                        _concat([i.warnings.assign(file_name=i.file_name) for i in items], ("file_name", *WARNING_FIELDS)),
                        _concat([i.rejects.assign(file_name=i.file_name) for i in items], ("file_name", *REJECT_FIELDS)),
                        notes, counts)


@dataclass
class _File:
    """One file of an import as the loader goes: ``result`` set once the file is written whole (or skipped);
    ``item`` the ParsedFile written (None when skipped)."""

    result: FileResult | None
    item: ParsedFile | None = None
    import_id: str = ""
    started: dt.datetime | None = None


def _sole_lead_file(con: duckdb.DuckDBPyConnection, parsed: list[ParsedFile], known: set[str],
                    outcomes: LeadOutcomes) -> ParsedFile | None:
    """The lead file whose snapshot ``record_first_snapshot`` reads from lead_facts at the end of the import, or
    None (each lead file then stages its own, ``stage_snapshot``): a first import (no lead stored when it began,
    ``outcomes.all_new``, and no snapshot kept) whose files to be written hold exactly one lead import with lead
    rows, where no other file gives a value in ``SNAPSHOT_SOURCES`` (an event log may carry lead IDs only)."""
    if not outcomes.all_new or con.execute("select exists (select 1 from lead_snapshots)").fetchall()[0][0]:
        return None
    writing = [item for item in parsed if item.sha256 not in known and item.rows_read and item.count("leads")]
    lead_files = [item for item in writing if is_lead_import(item.format)]
    if len(lead_files) != 1 or len({item.sha256 for item in writing}) != len(writing):
        return None
    others = [item.arrow("leads") for item in writing if item is not lead_files[0]]
    if any(has_value(leads, column) for leads in others for column in SNAPSHOT_SOURCES):
        return None
    return lead_files[0]


def _write_all(con, parsed: list[ParsedFile], who: str, known: set[str], outcomes: LeadOutcomes,
               fast_empty: bool = True, sole: ParsedFile | None = None) -> list[_File]:
    """The body of write_parsed's one transaction (the caller holds it open): each file's leads and events in
    file order, then the rest of it (activities, roster, rejects, warnings). A file whose parse is still making
    its activities waits (``waiting``) while the later files are written; its rest is written before a later
    file's activities (each file's activities are compared with those of the files before it) and at the end,
    in file order. The ``imports`` rows are written last, in file order. The store ends as when every file
    is written whole one after the other (tests/store/test_rest_later.py)."""
    files: list[_File] = []
    waiting: list[_File] = []
    import_ids = _planned_import_ids(parsed, known)
    # no lead stored when the import began: each lead is written once with the import_id it ends with
    lead_files = [n for n, item in enumerate(parsed) if import_ids[n] not in _SKIPPED and item.count("leads")] \
        if outcomes.all_new else []
    final = len(lead_files) > 1
    if final:
        lead_import_ids.plan(con, [(parsed[n].arrow("leads").select(["lead_id"]), import_ids[n])
                                   for n in lead_files[1:]])
    for n, item in enumerate(parsed):
        if import_ids[n] is _UNCHANGED:
            files.append(_File(FileResult(item.file_name, item.format, item.sha256, None, skipped_unchanged=True,
                                          notes=["already imported with the same content: nothing changed"])))
            continue
        if import_ids[n] is _NO_DATA:  # a header without rows: not a success, and not recorded as imported
            files.append(_File(FileResult(item.file_name, item.format, item.sha256, None, no_data=True,
                                          notes=["the file has a header but no data rows: nothing imported"])))
            continue
        file = _File(None, item, import_ids[n], dt.datetime.now())
        files.append(file)
        # the import's last file with events writes its new ones into stage_events directly: no later file can
        # delete them again (new_rows.write_events; the earlier files' wait in _import_events)
        direct = not any(later.count("events") for later in parsed[n + 1:])
        # (a later lead file may name its leads: they take the import_id planned for them)
        named_later = final and n < lead_files[-1]
        _write_leads_and_events(con, item, file.import_id, outcomes, fast_empty, direct, snapshot=item is not sole,
                                final=final, named_later=named_later)
        if item.rest is not None:
            waiting.append(file)
            continue
        if waiting and item.count("activities"):
            _write_waiting(con, waiting, outcomes, fast_empty)
        _write_rest(con, item, file.import_id, outcomes, fast_empty)
        file.result = _result(item, file.import_id)
    _write_waiting(con, waiting, outcomes, fast_empty)
    for file in files:
        if file.item is not None:
            item = file.item
            con.execute(
                "insert into imports values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ok', ?)",
                [file.import_id, item.file_name, item.sha256, item.format, item.rows_read, item.rows_accepted,
                 item.rows_rejected, file.result.rows_warned, item.rows_blank, item.rows_duplicate, file.started,
                 dt.datetime.now(), who, "; ".join(item.notes)],
            )
    return files


_UNCHANGED, _NO_DATA = "unchanged", "no data"  # what _planned_import_ids gives a file that is not written
_SKIPPED = (_UNCHANGED, _NO_DATA)


def _planned_import_ids(parsed: list[ParsedFile], known: set[str]) -> list[str]:
    """Per file, the import_id it is written under, or why it is not written: ``_UNCHANGED`` (its content imported
    before, or earlier in this import: written once), ``_NO_DATA`` (a header without rows). ``known`` (the hashes
    imported before) gains those written."""
    ids = []
    for item in parsed:
        if item.sha256 in known:
            ids.append(_UNCHANGED)
        elif item.rows_read == 0:
            ids.append(_NO_DATA)
        else:
            known.add(item.sha256)
            ids.append(uuid.uuid4().hex[:12])
    return ids


def _write_waiting(con, waiting: list[_File], outcomes: LeadOutcomes, fast_empty: bool) -> None:
    """The rest of each waiting file, in file order, each once its parse has ended."""
    while waiting:
        file = waiting.pop(0)
        file.item.complete()  # raises what the parse raised: the transaction rolls back
        _write_rest(con, file.item, file.import_id, outcomes, fast_empty)
        file.result = _result(file.item, file.import_id)


def _result(item: ParsedFile, import_id: str) -> FileResult:
    rows_warned = int(item.warnings["row_number"].nunique()) if len(item.warnings) else 0
    return FileResult(item.file_name, item.format, item.sha256, import_id, item.rows_read, item.rows_accepted,
                      item.rows_rejected, rows_warned, item.rows_blank, item.rows_duplicate, False, list(item.notes))


def _finish_import(con: duckdb.DuckDBPyConnection, sole: ParsedFile | None = None,
                   files: list[_File] = ()) -> list[str]:
    """Once every file is written: leads named only by events or activities completed, the derived tables, the
    lead snapshots (``sole``: the one lead file whose snapshot is read from lead_facts, ``_sole_lead_file``) and
    the data version; returns the notes of the completion."""
    notes = _complete_leads(con, LeadOutcomes.NAMED)
    refresh_derived(con)
    record_snapshots(con)
    if sole is not None:
        record_first_snapshot(con, next(f.import_id for f in files if f.item is sole), sole.arrow("leads"))
    bump_data_version(con)
    return notes


def _concat(frames: list[pd.DataFrame], columns: tuple[str, ...]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    return pd.concat(frames, ignore_index=True)[list(columns)]


def _whoami() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "unknown"


_LEAD_TEXT = ("source", "customer", "contact", "contact_info", "current_stage", "rep", "manager",
              "status_reported", "lost_reason", "notes")
_LEAD_TIME = ("acquired_at", "stage_entered_at", "expected_close", "lost_at")
_LEAD_NUM = ("cycle_days_reported", "amount")


def _lead_select(import_id: str = "cast(? as varchar)") -> str:
    """The SELECT list of a lead row as stored, from the staged lead rows; ``import_id`` the SQL of its import_id
    (one parameter)."""
    parts = ["cast(lead_id as varchar) as lead_id"]
    for name in ("source", "customer", "contact", "contact_info"):
        parts.append(f"cast({name} as varchar) as {name}")
    parts.append("cast(acquired_at as timestamp) as acquired_at")
    parts.append("cast(current_stage as varchar) as current_stage")
    parts.append("cast(stage_entered_at as timestamp) as stage_entered_at")
    parts.append("cast(expected_close as timestamp) as expected_close")
    parts.append("cast(rep as varchar) as rep")
    parts.append("cast(manager as varchar) as manager")
    parts.append("cast(status_reported as varchar) as status")
    parts.append("cast(status_reported as varchar) as status_reported")
    parts.append("cast(cycle_days_reported as double) as cycle_days_reported")
    parts.append("cast(lost_reason as varchar) as lost_reason")
    parts.append("cast(lost_at as timestamp) as lost_at")
    parts.append("cast(notes as varchar) as notes")
    parts.append("cast(amount as double) as amount")
    parts.append(f"{import_id} as import_id")
    return ", ".join(parts)


def _write_leads_and_events(con: duckdb.DuckDBPyConnection, item: ParsedFile, import_id: str,
                            outcomes: LeadOutcomes, fast_empty: bool = True, direct: bool = False,
                            snapshot: bool = True, final: bool = False, named_later: bool = False) -> None:
    """The file's events compared with the stored ones once (``new_rows``), what that and its lead rows do to
    each lead recorded (``outcomes``), then its leads and events written (``direct``: the events into
    ``stage_events`` itself) and, for a lead file, what the store now says about its leads held for the
    snapshot (``snapshot`` False: the import reads it from lead_facts at the end, ``_sole_lead_file``). Reads only
    what a file whose rest is still parsing has (``ParsedFile.rest``). ``final``, ``named_later``: see
    ``_write_leads``."""
    # Each frame handed to DuckDB as Arrow, converted once: scanning a pandas frame of Python str objects
    # converts every string again on each of the two or three statements that read it.
    leads = item.arrow("leads")
    events = bool(item.count("events"))
    # the store's table still empty (no event stored, none from an earlier file): nothing to compare with
    first = events and fast_empty and new_rows.events_empty(con)
    named: tuple[str, ...] = ()
    if events:
        con.register("staged_events", item.arrow("events"))
        if not first:
            new_rows.compare_events(con)
        # (no lead stored before the import and every event a lead row's: they name no lead the lead rows do not)
        if not (outcomes.all_new and item.events_of_lead_rows()):
            named = (new_rows.events_outcome(first or outcomes.all_new),)
    outcomes.record(leads, _lead_select(), _LEAD_TEXT + _LEAD_TIME + _LEAD_NUM, import_id, named)
    if len(leads):
        _write_leads(con, leads, import_id, fast_empty=fast_empty, final=final, named_later=named_later)
    if events:
        new_rows.write_events(con, import_id, first, direct, item.events_once())
        # (after an error the transaction rolls back: the temp tables with it, and the next file registers anew)
        con.unregister("staged_events")
    new_rows.drop(con)
    if snapshot and len(leads) and is_lead_import(item.format):  # what a lead file said about its leads (SPEC §7.2)
        stage_snapshot(con, import_id, leads)


def _write_rest(con: duckdb.DuckDBPyConnection, item: ParsedFile, import_id: str, outcomes: LeadOutcomes,
                fast_empty: bool = True) -> None:
    """The rest of a file whose leads and events are written: its activities compared with the stored ones once
    and the leads they change recorded, then written; its roster, rejects and warnings."""
    if item.count("activities"):
        activities = item.arrow("activities")
        first = fast_empty and is_empty(con, "activities")
        # the parse marked the activities that repeat an earlier one: left out, no DISTINCT over their text
        repeats = item.repeats("activities")
        distinct = repeats is not None
        if distinct:
            activities = new_rows.mark_repeats(activities, repeats)
        con.register("staged_activities", activities)
        if not first:
            new_rows.compare_activities(con, distinct)
        # (all new and every activity's lead a lead row of the file: they name no lead the lead rows do not; a
        # lead row, recorded with the leads, was new, changed or unchanged, and a new activity changes it)
        if not (outcomes.all_new and item.activities_of_lead_rows()):
            outcomes.record(None, _lead_select(), (), import_id,
                            (new_rows.activities_outcome(first or outcomes.all_new, item.activities_of_lead_rows()),))
        new_rows.write_activities(con, import_id, first, distinct)
        con.unregister("staged_activities")
        new_rows.drop(con)
    if item.count("roster"):
        con.register("staged_roster", item.arrow("roster"))
        con.execute(
            """insert into roster select distinct on (cast(rep as varchar)) cast(rep as varchar),
                      cast(manager as varchar), cast(team as varchar), ? from staged_roster
               where rep is not null
               on conflict (rep) do update set manager = coalesce(excluded.manager, roster.manager),
                      team = coalesce(excluded.team, roster.team), import_id = excluded.import_id""",
            [import_id],
        )
        con.unregister("staged_roster")
    if len(item.rejects):
        con.register("staged_rejects", item.rejects)
        con.execute(
            """insert into rejects (import_id, file_name, row_number, raw_values, reason, code, params)
               select ?, ?, cast(row_number as integer), cast(raw_values as varchar), cast(reason as varchar),
                      cast(code as varchar), cast(params as varchar) from staged_rejects""",
            [import_id, item.file_name],
        )
        con.unregister("staged_rejects")
    if len(item.warnings):
        con.register("staged_warnings", item.warnings)
        con.execute(
            """insert into import_warnings (import_id, file_name, row_number, column_name, raw_value, problem, code,
                                            params)
               select ?, ?, cast(row_number as integer), cast(column_name as varchar), cast(raw_value as varchar),
                      cast(problem as varchar), cast(code as varchar), cast(params as varchar) from staged_warnings""",
            [import_id, item.file_name],
        )
        con.unregister("staged_warnings")


def is_empty(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """The store's ``table`` holds no row (yet, in this transaction): a first import's fast path may skip
    comparing with it."""
    assert table in {"leads", "stage_events", "activities"}  # a fixed name, never a value (SQL text)
    return not con.execute(f"select exists (select 1 from {table})").fetchall()[0][0]


def _write_leads(con: duckdb.DuckDBPyConnection, leads: pd.DataFrame | pa.Table, import_id: str,
                 fast_empty: bool = True, final: bool = False, named_later: bool = False) -> None:
    """Upsert by lead_id: a stored lead takes the file's non-empty fields (an empty one keeps the stored value)
    and the import_id; a new lead is inserted. Two bulk statements (UPDATE ... FROM, then INSERT of the new
    keys) instead of INSERT ... ON CONFLICT, which costs an index probe per row. ``final`` (an import that began
    with no lead stored, ``lead_import_ids``): every stored lead carries the import_id it ends with, so the UPDATE
    sets the given fields only (with none given, there is no UPDATE); ``named_later``: a later file may name
    these leads, a new one is inserted with the import_id planned for it (else this file's)."""
    leads = frame_as_arrow(leads)
    con.register("staged_leads", leads)
    rows, inserted = (lead_import_ids.JOINED, _lead_select(lead_import_ids.IMPORT_ID)) if named_later else \
        ("staged_leads", _lead_select())
    if fast_empty and is_empty(con, "leads"):  # nothing to update, every key new
        con.execute(f"insert into leads select {inserted} from {rows}", [import_id])
        con.unregister("staged_leads")
        return
    # Fields the file leaves empty in every row would set each stored value to itself: left out.
    given = [c for c in _LEAD_TEXT + _LEAD_TIME + _LEAD_NUM if has_value(leads, c)]
    columns = given + (["status"] if "status_reported" in given else [])
    updates = [f"{c} = coalesce(s.{c}, leads.{c})" for c in columns if c in _LEAD_COLUMNS]
    if not final:
        updates.append("import_id = s.import_id")
    if updates:
        con.execute(
            f"update leads set {', '.join(updates)} "
            f"from (select {_lead_select()} from staged_leads) s where leads.lead_id = s.lead_id",
            [import_id],
        )
    con.execute(
        f"insert into leads select {inserted} from {rows} "
        "where lead_id not in (select lead_id from leads)",
        [import_id],
    )
    con.unregister("staged_leads")


_LEAD_COLUMNS = frozenset(_LEAD_TEXT + _LEAD_TIME + _LEAD_NUM + ("status",))  # the names the SET list may hold


def has_value(frame: pa.Table, column: str) -> bool:
    """The Arrow table has the column and some row holds a value in it."""
    return column in frame.column_names and frame.column(column).null_count < frame.num_rows


def _complete_leads(con: duckdb.DuckDBPyConnection, named: str) -> list[str]:
    """Leads named only by stage events or activities get a row; a lead with no acquisition date takes the
    date it entered the first stage. Returns sentences saying what was filled in.

    Only a lead this import named can lack a row (every import ends here, and no lead row is ever deleted):
    ``named`` is the SELECT of those lead IDs (the outcome table, ``LeadOutcomes.NAMED``), so neither the
    stored events nor the activities are scanned for them."""
    notes = []
    con.execute(f"""create or replace temp table _unnamed as select distinct lead_id from ({named}) x
                    where lead_id not in (select lead_id from leads)""")
    try:
        created = con.execute(
            """insert into leads (lead_id, import_id)
               select u.lead_id, max(e.import_id) from _unnamed u left join stage_events e on e.lead_id = u.lead_id
               group by u.lead_id""").fetchone() \
            if con.execute("select exists (select 1 from _unnamed)").fetchone()[0] else None
    finally:
        con.execute("drop table if exists _unnamed")
    n_created = created[0] if created else 0
    if n_created:
        notes.append(f"{n_created} leads appear only in a stage log or activity list; they were added with no "
                     "other attributes (import the lead file to complete them).")
    filled = con.execute(
        """update leads set acquired_at = first_entry.entered_at
           from (select e.lead_id, min(e.entered_at) as entered_at from stage_events e
                 join stages s on s.key = e.stage
                 where s."order" = (select min("order") from stages) and e.entered_at is not null
                   and e.lead_id in (select lead_id from leads where acquired_at is null)
                 group by e.lead_id) first_entry
           where leads.lead_id = first_entry.lead_id and leads.acquired_at is null"""
    ).fetchone()
    n_filled = filled[0] if filled else 0
    if n_filled:
        notes.append(f"{n_filled} leads had no acquisition date; they take the date they entered the first stage.")
    return notes
