"""The ingest layer: files -> one ``ParsedFile`` per file, normalised and validated, nothing written.

Public API::

    parse_files(sources, stages, mapping=None, fmt="auto", max_bytes=200 MiB) -> list[ParsedFile]
    detect_format(header_cells) -> "template" | "events" | "wide" | "roster" | None
    load_profile(path) -> MappingProfile;  save_profile(profile, path)
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor, wait

import numpy as np
import pandas as pd
import pyarrow as pa

from funnel.ingest.batch import WARNING_FIELDS, ImportError_, ParsedFile, empty_frame, text_as_object
from funnel.ingest.decode import read_csv_grid, separator_name
from funnel.ingest.detect import detect_format, detect_from_fields
from funnel.ingest.action_text import Pieces
from funnel.ingest.fields import RawFields, convert_fields, raw_fields
from funnel.ingest.formats import parse_event_log, parse_lead_file, parse_roster
from funnel.ingest.headers import match_header, required_columns_message
from funnel.ingest.profiles import FileMapping, MappingProfile, load_profile, save_profile
from funnel.ingest.sources import read_source
from funnel.ingest.table import Table, build_table, drop_non_data_rows, header_score
from funnel.ingest.template import ActionsAhead, action_pieces
from funnel.ingest.text_many import present_text_arrow
from funnel.ingest.xlsx import read_workbook
from funnel.stages import StageConfig

# Arrow's own allocator (mimalloc here) keeps freed pages cached: after a 47 MB upload a process held
# +190 MB more than with the system allocator, and peaked 100 MB higher (tests/reliability/
# test_rel_bad_input.py; a 100k import was no slower). The system allocator gives memory back, as
# scripts/run.sh's MALLOC_ARENA_MAX=2 and malloc_trim expect. ARROW_DEFAULT_MEMORY_POOL still wins when set.
if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
    pa.set_memory_pool(pa.system_memory_pool())

__all__ = ["UPLOAD_MAX_MB", "DEFAULT_MAX_BYTES", "parse_files", "parse_file", "detect_format", "load_profile", "save_profile", "MappingProfile",
           "FileMapping", "ImportError_", "ParsedFile"]

DEFAULT_MAX_BYTES = 200 * 1024 * 1024  # the command line's and the shared folder's default limit per file
# The dashboard's limit per uploaded file, in MiB: the one number the uploader, its help text, the Data page's
# import and README state. Uploads are held in memory and an import peaks at ~8x the file (docs/bad-input.md),
# so bigger exports go through the command line (--max-mb) or the shared folder.
UPLOAD_MAX_MB = 50
# The files of one import are parsed side by side on this many threads (the lead file beside the stage log and
# roster): Arrow, DuckDB and most of numpy release the GIL. 1 parses them one after the other, as before.
PARSE_THREADS_ENV_VAR = "LEAD_FUNNEL_PARSE_THREADS"
DEFAULT_PARSE_THREADS = 2
FORMATS = ("auto", "template", "events", "wide", "roster", "leads")


def parse_files(sources: list, stages: StageConfig, mapping: MappingProfile | None = None, fmt: str = "auto",
                max_bytes: int = DEFAULT_MAX_BYTES, rest_later: bool = False) -> list[ParsedFile]:
    """Read each source (a Path or an uploaded ``(file_name, bytes)`` pair) into one ParsedFile.

    ``rest_later``: a lead file may be returned once its leads, events and rejects are built, its activities and
    warnings still being made on the parse thread (``ParsedFile.rest``; ``complete()`` waits for them), so that
    the store writes its leads and events meanwhile (``funnel.store.loader``; a single file is parsed on a thread
    of its own for that). With $LEAD_FUNNEL_PARSE_THREADS=1 every file is parsed in this thread and returned
    complete.

    Raises ImportError_ (message names the file, what is wrong and what to do) for a file that cannot be used.
    """
    if fmt not in FORMATS:
        raise ImportError_(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    try:
        threads = parse_threads()
        if threads <= 1 or (len(sources) <= 1 and not rest_later):
            return [parse_file(source, stages, mapping, fmt, max_bytes) for source in sources]
        pool = ThreadPoolExecutor(max_workers=min(threads, max(len(sources), 1)), thread_name_prefix="parse")
        fronts = [Future() for _ in sources]  # each file's ParsedFile, whole or with its rest still running
        futures = [pool.submit(_parse_then_rest, source, stages, mapping, fmt, max_bytes, front, rest_later)
                   for source, front in zip(sources, fronts)]
        pool.shutdown(wait=False)  # its threads end with their files (a rest may outlive this call)
        try:
            # in the given order: the error raised is the first failing file's, as one after the other
            return [front.result() for front in fronts]
        except BaseException:
            for future in futures:  # files not started are not read; the others are waited for
                future.cancel()
            wait(futures)
            raise
    finally:
        # The vectorised paths work in Arrow, whose allocator keeps freed memory cached: give it back.
        pa.default_memory_pool().release_unused()


def _parse_then_rest(source: object, stages: StageConfig, mapping: MappingProfile | None, fmt: str, max_bytes: int,
                     front: Future, rest_later: bool) -> None:
    """``parse_file`` on a parse thread: ``front`` gets the ParsedFile (or the error); with ``rest_later`` as soon
    as a lead file's rest is all that is left, the rest then running here, its end or error handed to the
    ParsedFile's ``rest``, a Future ``complete()`` waits for."""
    try:
        parsed = parse_file(source, stages, mapping, fmt, max_bytes, rest_later=rest_later)
    except BaseException as error:  # noqa: BLE001 - handed to the caller through front
        front.set_exception(error)
        return
    rest = parsed.rest
    if rest is None:
        front.set_result(parsed)
        return
    parsed.rest = done = Future()
    front.set_result(parsed)
    try:
        rest()
    except BaseException as error:  # noqa: BLE001 - handed to the caller through done
        done.set_exception(error)
        return
    done.set_result(None)


def parse_threads() -> int:
    """The threads ``parse_files`` parses on: $LEAD_FUNNEL_PARSE_THREADS (1 = one file after the other)."""
    value = os.environ.get(PARSE_THREADS_ENV_VAR, "").strip()
    try:
        return max(1, int(value)) if value else DEFAULT_PARSE_THREADS
    except ValueError:
        return DEFAULT_PARSE_THREADS


def parse_file(source: object, stages: StageConfig, mapping: MappingProfile | None = None, fmt: str = "auto",
               max_bytes: int = DEFAULT_MAX_BYTES, rest_later: bool = False) -> ParsedFile:
    """One source into a ParsedFile (``parse_files``). ``rest_later``: a lead file's activities and warnings are
    left to ``ParsedFile.rest``, a function the caller runs (``complete()``)."""
    src = read_source(source, max_bytes)
    section = mapping.for_file(src.file_name) if mapping else None
    notes: list[str] = []
    if section:
        notes.append(f"mapping profile {mapping.name!r}: section {section.match!r}")
    if src.kind == "xlsx":
        table = _xlsx_table(src.file_name, src.data, stages, section, notes)
    else:
        table = _csv_table(src, stages, section, notes)
    file_name, sha256 = src.file_name, src.sha256
    del src  # the file's bytes, no longer needed (a 400 MB CSV: 400 MB of the import's peak)
    table.notes[:0] = notes
    kind = _choose_format(table, section, fmt)
    column = _actions_column(table, section) if kind == "template" and parse_threads() > 1 else None
    if column is None:
        return _parse_table(table, file_name, sha256, kind, stages, section, rest_later=rest_later)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="actions") as pool:
        ahead = ActionsAhead(pool.submit(_actions_text, table.cells[column]))
        return _parse_table(table, file_name, sha256, kind, stages, section, ahead, rest_later)


def _parse_table(table: Table, file_name: str, sha256: str, kind: str, stages: StageConfig,
                 section: FileMapping | None, ahead: ActionsAhead | None = None,
                 rest_later: bool = False) -> ParsedFile:
    """The rows of ``table`` as a ParsedFile of format ``kind``. ``ahead``: 关键动作记录 read on another thread
    from the cells before the non-data rows are dropped (not converted here, taken by the rows kept).
    ``rest_later``: a lead file's activities, warnings and counts of them left to ``parsed.rest``."""
    ahead_kept = drop_non_data_rows(table)
    parsed = ParsedFile(file_name=file_name, sha256=sha256, format="mapped" if kind == "leads" else kind)
    raw = raw_fields(table, section)
    if ahead is not None:
        ahead.kept = np.flatnonzero(ahead_kept)
        raw = RawFields(raw.values.drop(columns="key_actions"), raw.sources, raw.labels)
    values = convert_fields(raw, table, stages, section)
    del raw
    rest = None
    if kind == "roster":
        parse_roster(parsed, table, values)
    elif kind == "events":
        parse_event_log(parsed, table, values, stages, section)
    else:
        rest = parse_lead_file(parsed, table, values, stages, section, kind, ahead)
    del values
    parsed.rows_read = table.rows_read
    parsed.rows_blank = table.rows_blank
    parsed.rows_duplicate = table.rows_duplicate

    def finish() -> None:
        if rest is not None:
            rest()
        _finish(parsed, table)
    if rest_later and rest is not None:  # a lead file's
        parsed.rest = finish
    else:
        finish()
    return parsed


def _finish(parsed: ParsedFile, table: Table) -> None:
    """The file's rejects and warnings as frames, and the notes that count them (every row is parsed)."""
    parsed.rows_rejected = len(parsed.rejects)
    parsed.warnings = (pd.DataFrame(table.warnings, columns=list(WARNING_FIELDS)) if table.warnings
                       else empty_frame(WARNING_FIELDS))
    parsed.notes = table.notes
    # leads, events, activities, roster stay as built (text Arrow-backed): the store scans them as Arrow and
    # their pandas view of str / None is made only when read (batch.py)
    parsed.rejects, parsed.warnings = text_as_object(parsed.rejects), text_as_object(parsed.warnings)
    if parsed.rows_rejected:
        parsed.notes.append(f"{parsed.rows_rejected} row(s) rejected (see rejects)")
    if table.warnings:
        parsed.notes.append(f"{len(table.warnings)} cell(s) could not be read and were left empty (see warnings)")
    assert parsed.rows_read == parsed.rows_accepted + parsed.rows_rejected + parsed.rows_blank + parsed.rows_duplicate


def _actions_column(table: Table, section: FileMapping | None) -> int | None:
    """The column 关键动作记录 is read from unchanged (``raw_fields``: no mapping rule or constant sets it), so
    that it can be read before ``raw_fields``; None when there is none."""
    if section and ("key_actions" in {rule.to for rule in section.fields}
                    or "key_actions" in {_const(name) for name in section.constants}):
        return None
    return table.field_columns.get("key_actions")


def _actions_text(cells: pd.Series) -> tuple[pd.Series, Pieces | None]:
    text = present_text_arrow(cells)
    return text, action_pieces(text)


def _csv_table(src, stages: StageConfig, section: FileMapping | None, notes: list[str]) -> Table:
    """The Table of a CSV source; its UTF-8 bytes live only while the grid is read."""
    grid, encoding, sep = read_csv_grid(src.data, src.file_name)  # UTF-8 stays bytes: no Python text of the file
    notes.append(f"read as {encoding} text, {separator_name(sep)}-separated")
    return build_table(src.file_name, grid, stages, section)


_text_as_object = text_as_object  # the pandas view of a parsed frame, under the name the tests import


def _xlsx_table(file_name: str, data: bytes, stages: StageConfig, section: FileMapping | None,
                notes: list[str]) -> Table:
    """The first sheet whose header is recognised (most known headers in its first rows)."""
    book = read_workbook(data, file_name)
    mapped = section.column_targets() if section else {}
    for sheet in book.sheets:
        top = sheet.grid.head(20)
        if any(header_score(list(row), stages, mapped) >= 1 for row in top.itertuples(index=False)):
            if len(book.sheets) > 1:
                notes.append(f"sheet {sheet.name!r} used ({len(book.sheets)} sheets in the workbook)")
            if book.date1904:
                notes.append("workbook uses the 1904 date system")
            return build_table(file_name, sheet.grid, stages, section, sheet.merged, book.date1904,
                               sheet.missing_formulas)
    if all(sheet.grid.empty for sheet in book.sheets):
        raise ImportError_(f"{file_name}: the workbook is empty. Export the lead list with its header row and "
                           "try again.")
    names = ", ".join(repr(s.name) for s in book.sheets)
    raise ImportError_(f"{file_name}: no sheet has a recognised header (sheets: {names}). Required: "
                       f"{required_columns_message()}. If the file uses other column names, map them with a "
                       "mapping profile.")


def _choose_format(table: Table, section: FileMapping | None, fmt: str) -> str:
    chosen = section.format if section and section.format != "auto" else fmt
    fields = set(table.field_columns)
    if section:
        fields |= {f.to for f in section.fields} | {section and _const(c) for c in section.constants}
    detected = detect_from_fields(fields, len(table.wide_columns))
    kind = detected if chosen == "auto" else chosen
    if kind is None:
        found = ", ".join(h for h in table.headers if h) or "none"
        raise ImportError_(f"{table.file_name}: the columns found ({found}) do not make a lead list, event log "
                           f"or roster. Required: {required_columns_message()}. Rename the columns or map them "
                           "with a mapping profile.")
    need = {"roster": ("rep",), "events": ("lead_id", "stage"), "template": ("lead_id",),
            "wide": ("lead_id",), "leads": ("lead_id",)}[kind]
    if kind == "events" and "stage" not in fields and "current_stage" in fields:
        need = ("lead_id",)
    missing = [n for n in need if n not in fields]
    if missing:
        raise ImportError_(f"{table.file_name}: read as {kind} but column(s) {', '.join(missing)} are missing. "
                           f"Required: {required_columns_message()}.")
    if chosen == "auto":
        table.notes.append(f"format detected: {kind}")
    return kind


def _const(name: str) -> str:
    return match_header(name) or name


