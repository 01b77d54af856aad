"""XLSX workbooks via calamine: every sheet as a grid of text cells.

Two ways to the same grid. The fast one (``_arrow_sheets``): fastexcel, built on calamine, hands each sheet over
as Arrow text without a Python object per cell, and only a date cell's text is fixed (``2024-01-05 00:00:00`` ->
``2024-01-05``); it is taken only when nothing in the workbook could make its text differ from the exact way's
(``_ARROW_UNSURE``, ``SheetScan``). The exact one: python-calamine's cells as Python values, each converted by
``cell_text``. tests/ingest/test_xlsx_arrow.py holds the two equal.

One output item per sheet: ``Sheet(name, grid, merged, missing_formulas)``; one grid row = one worksheet row
(row 0 = Excel row 1), every cell a ``str`` ('' when empty), the columns Arrow-backed as a CSV's grid is
(``sheet_grid``: factorize, the converters and the row checks then take their Arrow paths). Numbers keep their
digits (13800138000, never 1.38e10 or 13800138000.0); date cells become ISO text. The workbook's date system
(1900/1904) is read from ``xl/workbook.xml`` so that plain numbers in date columns can be converted later.
"""

from __future__ import annotations

import datetime as dt
import gc
import io
import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from xml.etree import ElementTree

import fastexcel
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pac
import python_calamine as pc
from pandas.api.types import infer_dtype

from funnel.ingest.batch import ImportError_
from funnel.ingest.sources import OLE_MAGIC, ZIP_MAGIC


@dataclass
class Sheet:
    name: str
    grid: pd.DataFrame
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    missing_formulas: set[tuple[int, int]] = field(default_factory=set)  # (row, col), 0-based


@dataclass
class Workbook:
    sheets: list[Sheet]
    date1904: bool


def cell_text(value: object) -> str:
    """One cell as text: integers without '.0', dates ISO, booleans TRUE/FALSE."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value != value:
            return ""
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S") if (value.hour or value.minute or value.second) \
            else value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    return str(value)


_TYPE_OF = np.frompyfunc(type, 1, 1)


def text_columns(rows: list[list]) -> list[np.ndarray]:
    """The ``cell_text`` of every cell, one object array per column (short rows padded with ''): text cells as
    they are, other cells once per distinct (type, value)."""
    lengths = set(map(len, rows))  # in C: a generator over 100k rows cost about 0.1 s
    width = max(lengths, default=0)
    if len(lengths) > 1:  # calamine gives even rows; a damaged sheet may not
        rows = [list(r) + [None] * (width - len(r)) for r in rows]
    if width == 0:
        return []
    cells = np.array(rows, dtype=object)  # (rows, width): calamine's cells are scalars, never sequences
    return [_column_text(np.ascontiguousarray(cells[:, c])) for c in range(width)]


def _column_text(cells: np.ndarray) -> np.ndarray:
    if infer_dtype(cells, skipna=False) == "string":  # text only (most columns): one pass in C
        return cells
    types = _TYPE_OF(cells)
    other = types != str
    if not other.any():
        return cells
    out = cells.copy()
    for kind in pd.unique(types[other]):
        mask = types == kind
        codes, uniques = pd.factorize(cells[mask])
        texts = np.array(_texts(kind, uniques) + [""], dtype=object)
        out[mask] = texts[codes]  # code -1 (None, NaN) -> ''
    return out


def _object_grid(columns: list[np.ndarray], height: int) -> pd.DataFrame:
    if not columns:
        return pd.DataFrame([[] for _ in range(height)], dtype=object)
    return pd.DataFrame(dict(enumerate(columns)), columns=range(len(columns)), dtype=object)


def sheet_grid(rows: list[list]) -> pd.DataFrame:
    """The grid of ``cell_text`` values with its columns as Arrow-backed text (pandas' ``str`` dtype, as
    ``decode.arrow_grid`` reads a CSV), each column handed to Arrow straight from its texts; of object dtype
    when the sheet is empty or Arrow cannot hold a cell."""
    columns = text_columns(rows)
    if not columns or not len(rows):
        return _object_grid(columns, len(rows))
    try:
        table = pa.table({str(i): pa.array(cells, type=pa.large_string()) for i, cells in enumerate(columns)})
    except (pa.ArrowException, UnicodeError):
        return _object_grid(columns, len(rows))
    del columns
    out = table.to_pandas()
    out.columns = range(len(out.columns))
    return out


def _texts(kind: type, uniques: np.ndarray) -> list[str]:
    """``cell_text`` of distinct values of one type; floats (phone numbers, amounts: tens of thousands of distinct
    values at 100k rows) whole-column: whole numbers below 1e16 as int64 digits, the rest by ``cell_text``."""
    if kind is not float or not len(uniques):
        return [cell_text(u) for u in uniques]
    values = uniques.astype(np.float64)
    whole = (np.floor(values) == values) & (np.abs(values) < 1e16)
    texts = np.empty(len(values), dtype=object)
    texts[whole] = values[whole].astype(np.int64).astype(str).astype(object)
    texts[~whole] = [cell_text(u) for u in uniques[~whole]]
    return texts.tolist()


def read_workbook(data: bytes, file_name: str) -> Workbook:
    """All sheets of an XLSX file; ImportError_ for encrypted, old .xls, or damaged files."""
    if data.startswith(OLE_MAGIC):
        if "EncryptionInfo".encode("utf-16-le") in data or b"EncryptedPackage" in data \
                or "EncryptedPackage".encode("utf-16-le") in data:
            raise ImportError_(f"{file_name}: the workbook is password-protected (encrypted). "
                               "Open it in Excel/WPS, remove the password (File > Info > Protect Workbook), "
                               "save it and import it again.")
        raise ImportError_(f"{file_name}: this is an old Excel 97-2003 (.xls) file or an encrypted workbook, "
                           "not an .xlsx file. Open it in Excel/WPS and save it as .xlsx (or CSV UTF-8).")
    if not data.startswith(ZIP_MAGIC):
        raise ImportError_(f"{file_name}: the file is named like an Excel workbook but is not one (no XLSX "
                           "content found). Save it from Excel/WPS as .xlsx or CSV and try again.")
    try:
        book = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as err:  # calamine raises several error types for damaged files
        raise ImportError_(f"{file_name}: the workbook is damaged and could not be opened ({err}). "
                           "Open it in Excel/WPS, save it again as .xlsx, and import the new file.") from err
    date1904, sheet_xml = _workbook_xml_facts(data)
    if not date1904:  # (fastexcel's dates of a 1904 workbook were not checked against calamine's: the exact way)
        sheets = _arrow_sheets(data, sheet_xml)
        if sheets is not None:
            return Workbook(sheets, date1904)
    sheets = []
    # The formula scan inflates the sheet's XML a second time (0.5-1 s at 100k rows): it runs in a thread while
    # calamine loads the sheet (zlib lets other threads run while it inflates).
    with ThreadPoolExecutor(max_workers=1) as pool:
        for index, name in enumerate(book.sheet_names):
            scan = pool.submit(_missing_formula_cells, data, sheet_xml.get(name))
            with _collector_paused():
                try:
                    sheet = book.get_sheet_by_index(index)
                    rows = sheet.to_python(skip_empty_area=False)
                    merged = list(sheet.merged_cell_ranges or [])
                except Exception as err:
                    raise ImportError_(f"{file_name}: sheet {name!r} could not be read ({err}). "
                                       "Save the workbook again as .xlsx and retry.") from err
                grid = sheet_grid(rows)
                del rows
            sheets.append(Sheet(name, grid, merged, scan.result()))
    return Workbook(sheets, date1904)


@contextmanager
def _collector_paused():
    """Python's cycle collector off while a sheet's cells are Python objects: the 100k row lists (1.8M cells)
    made it walk them again and again, about a sixth of reading and converting them (0.45 of 2.55 s CPU at
    100k rows). What is made there is freed by reference counts; a cycle, if any, is collected once it is on
    again (after, unless it was off before)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
       "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}


def _workbook_xml_facts(data: bytes) -> tuple[bool, dict[str, str]]:
    """(date1904, sheet name -> part path) from workbook.xml and its relationships; defaults when unreadable."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            root = ElementTree.fromstring(zf.read("xl/workbook.xml"))
            rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except Exception:
        return False, {}
    pr = root.find("m:workbookPr", _NS)
    date1904 = pr is not None and pr.get("date1904", "").lower() in ("1", "true")
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    paths = {}
    for sheet in root.iterfind("m:sheets/m:sheet", _NS):
        target = targets.get(sheet.get(f"{{{_NS['r']}}}id"), "")
        paths[sheet.get("name")] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    return date1904, paths


_CELL = re.compile(rb'<c r="([A-Z]+)(\d+)"[^>]*?(?:/>|>(.*?)</c>)', re.S)
_VALUE = re.compile(rb"<v>[^<]+</v>|<is>")


_CHUNK_BYTES = 1 << 22


def _has_formula(zf: zipfile.ZipFile, part: str) -> bool:
    """Whether the part's XML holds a ``<f`` tag, inflated a chunk at a time (the 100k-row sheet is 120 MB)."""
    with zf.open(part) as stream:
        return any(b"<f" in window for window, _ in _windows(stream))


def _windows(stream, keep: int = 64) -> Iterator[tuple[bytes, bytes]]:
    """The stream inflated ``_CHUNK_BYTES`` at a time: (the chunk behind the last ``keep`` bytes of the one before,
    the chunk), so that a mark of up to ``keep`` bytes split between two chunks is seen whole in a window."""
    tail = b""
    while chunk := stream.read(_CHUNK_BYTES):
        yield tail + chunk, chunk
        tail = chunk[-keep:]


def _missing_formula_cells(data: bytes, part: str | None) -> set[tuple[int, int]]:
    """Cells holding a formula but no saved result (calamine reads them as empty)."""
    if not part:
        return set()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            if not _has_formula(zf, part):
                return set()
            xml = zf.read(part)
    except Exception:
        return set()
    return _formula_cells(xml)


def _formula_cells(xml: bytes) -> set[tuple[int, int]]:
    """(row, col), 0-based, of the cells of a sheet's XML that hold a formula and no saved value."""
    found = set()
    for match in _CELL.finditer(xml):
        inner = match.group(3) or b""
        if b"<f" in inner and not _VALUE.search(inner):
            found.add((int(match.group(2)) - 1, _column(match.group(1))))
    return found


# --- the Arrow way: fastexcel ---------------------------------------------------------------------------------------

# A cell of fastexcel's text that the exact way (``cell_text`` of python-calamine's value) could write otherwise: a
# boolean (``true``; ours ``TRUE``), a float Python writes with an exponent (``1e+16``, ``1.5e-07``; fastexcel
# ``10000000000000000``, ``0.00000015``), ``-0`` (ours ``0``), a date with fractional seconds (ours drops them), a
# time of day or a short duration (fastexcel dates them in 1899-1909; ours ``10:30:00``, ``1 day, 6:00:00``), a
# number in a date format past the year 9999 (fastexcel ``+10000-01-01 00:00:00``; ours the number; further out it
# gives no text at all, a conversion error: ``_arrow_sheets``). Any such cell, or a text cell that reads like one,
# sends the workbook the exact way. (Longer durations are told by their format: ``_styles_unsure``.)
_ARROW_UNSURE = (r"^(?:true|false|-0|-?\d{17,}|-?0\.0000\d*|[+-]\d{4,}-.*"
                 r"|(?:18\d\d|190\d)-\d\d-\d\d \d\d:\d\d:\d\d.*|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)$")
# A fraction: fastexcel writes a float rounded to 9 decimals, trailing zeros cut (``536870912.75225997``, Python's
# shortest form ``536870912.75226``). Its text is Python's when it is the shortest form of its own float and the
# file saved no number with more than 9 decimals (``_MANY_DECIMALS``: then the rounding lost nothing).
_FRACTION = r"^-?\d+\.\d+$"
_SPECIAL = _ARROW_UNSURE.removesuffix(")$") + "|" + _FRACTION.removeprefix("^").removesuffix("$") + ")$"  # either
# In a sheet's XML: a text that holds a midnight time (inline text, a formula's text result: a number's ``<v>`` never
# does), which the Arrow way could not tell from a date cell; an ISO date cell (t="d"); an attribute in single quotes
# (the scan reads the double-quoted forms Excel, WPS and the common writers use).
_SHEET_UNSURE = (b"00:00:00", b' t="d"', b"='")
# A number saved with more than 9 decimals or an exponent (``0.30000000000000004``, ``1.5E-3``): fastexcel's 9
# decimals may have lost what Python's shortest form shows (it writes ``0.3``).
_MANY_DECIMALS = re.compile(rb"<v>-?[0-9]*\.[0-9]{10}|<v>-?[0-9.]+[Ee]")
_SHARED_UNSURE = b"00:00:00"  # in the shared strings: a text cell that may read like a date at midnight
_MARK_BYTES = 64  # more than the longest of those marks and a number's <v>: what a chunk keeps of the one before
_MERGE = re.compile(rb'<mergeCell ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')


@dataclass
class SheetScan:
    """What the Arrow way needs from a sheet's XML besides its cells: formulas without a saved value, the merged
    ranges, and whether a cell could make fastexcel's text differ from the exact way's (``unsure``)."""

    missing_formulas: set[tuple[int, int]]
    merged: list[tuple[tuple[int, int], tuple[int, int]]]
    unsure: bool


def _scan_sheet(data: bytes, part: str) -> SheetScan | None:
    """The sheet's XML inflated a chunk at a time (a thread beside fastexcel's load: zlib and fastexcel let it
    run), once: formula tags, the unsure marks, the merged ranges at the end. None when it cannot be read."""
    formulas = unsure = False
    merges = None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            with zf.open(part) as stream:
                for n, (window, chunk) in enumerate(_windows(stream, _MARK_BYTES)):
                    # a prefixed root (<x:worksheet>, .NET writers) has prefixed cells too: the marks would miss them
                    unsure = unsure or (n == 0 and b"<worksheet" not in window)
                    formulas = formulas or b"<f" in window
                    unsure = unsure or any(mark in window for mark in _SHEET_UNSURE) or bool(_MANY_DECIMALS.search(window))
                    if merges is not None:
                        merges += chunk
                    elif (at := window.find(b"<mergeCells")) >= 0:
                        merges = bytearray(window[at:])
            missing = _formula_cells(zf.read(part)) if formulas else set()
    except Exception:  # noqa: BLE001 - unreadable here: the exact way reads it (or says what is wrong)
        return None
    found = _MERGE.findall(bytes(merges or b""))
    unsure = unsure or len(found) != (merges or b"").count(b"<mergeCell ")  # one written some other way
    merged = [((int(r0) - 1, _column(c0)), (int(r1 or r0) - 1, _column(c1 or c0))) for c0, r0, c1, r1 in found]
    return SheetScan(missing, merged, unsure)


def _column(letters: bytes) -> int:
    col = 0
    for ch in letters:
        col = col * 26 + (ch - 64)
    return col - 1


# An elapsed-time format ([h]:mm, [mm]:ss; built-in 46): calamine reads its cells as durations, fastexcel as dates.
_DURATION_FORMAT = re.compile(rb'formatCode="[^"]*\[(?:h|hh|m|mm|s|ss)\]|numFmtId="46"', re.I)


def _styles_unsure(zf: zipfile.ZipFile) -> bool:
    """Whether the workbook's styles hold a duration format (``_DURATION_FORMAT``)."""
    names = [n for n in zf.namelist() if n.lower().endswith("styles.xml")]
    return any(_DURATION_FORMAT.search(zf.read(name)) for name in names)


def _workbook_unsure(data: bytes) -> bool | None:
    """Whether the styles hold a duration format or the shared strings a text that may read like a date at
    midnight (None: unreadable)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            if _styles_unsure(zf):
                return True
            for name in [n for n in zf.namelist() if n.lower().endswith("sharedstrings.xml")]:
                with zf.open(name) as stream:
                    if any(_SHARED_UNSURE in window for window, _ in _windows(stream)):
                        return True
    except Exception:  # noqa: BLE001
        return None
    return False


def _arrow_sheets(data: bytes, sheet_xml: dict[str, str]) -> list[Sheet] | None:
    """Every sheet by the Arrow way, or None where it cannot vouch for the exact way's text (module docstring)."""
    try:
        reader = fastexcel.read_excel(data)
        names = list(reader.sheet_names)
    except BaseException as err:  # noqa: BLE001 - the exact way says what is wrong (a Rust panic too)
        if isinstance(err, (KeyboardInterrupt, SystemExit)):
            raise
        return None
    if not names or any(name not in sheet_xml for name in names):
        return None
    sheets = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        whole = pool.submit(_workbook_unsure, data)
        for index, name in enumerate(names):
            scan = pool.submit(_scan_sheet, data, sheet_xml[name])
            try:
                sheet = reader.load_sheet(index, header_row=None, dtypes="string", skip_rows=0)
                columns = sheet.available_columns()
                table, errors = sheet.to_arrow_with_errors()  # a cell it gave no text (a date past 9999): an error
            except BaseException as err:  # noqa: BLE001 - an empty or odd sheet (a Rust panic too): the exact way
                scan.result()
                if isinstance(err, (KeyboardInterrupt, SystemExit)):
                    raise
                return None
            facts = scan.result()
            sure = facts and not facts.unsure and columns and not (errors and errors.errors)
            grid = _arrow_grid(table, columns[0].absolute_index) if sure else None
            if grid is None:
                return None
            sheets.append(Sheet(name, grid, facts.merged, facts.missing_formulas))
        if whole.result() is not False:
            return None
    return sheets


def _arrow_grid(table: pa.RecordBatch | pa.Table, first_column: int) -> pd.DataFrame | None:
    """fastexcel's text of a sheet as ``sheet_grid`` gives it: '' for an empty cell, a date at midnight without
    its time, the ``first_column`` empty columns left of the sheet's first used one put back. None when a cell is
    one ``_ARROW_UNSURE`` names or a fraction not in Python's shortest form (``_FRACTION``)."""
    if not table.num_rows or not table.num_columns:
        return None
    columns = {}
    for i in range(first_column):
        columns[str(i)] = pa.array([""] * table.num_rows, pa.large_string())
    for i, cells in enumerate(table.columns, start=first_column):
        cells = pac.fill_null(cells.cast(pa.large_string()), "")
        special = pac.match_substring_regex(cells, _SPECIAL)  # one pass; the few it finds are looked at closer
        if pac.any(special).as_py():
            special = pac.filter(cells, special)
            if pac.any(pac.match_substring_regex(special, _ARROW_UNSURE)).as_py():
                return None
            if any(repr(float(text)) != text for text in pac.unique(special).to_pylist()):  # fractions only here
                return None
        # a date cell at midnight (a text cell holding such a time sent the workbook the exact way: ``_SHEET_UNSURE``,
        # ``_SHARED_UNSURE``)
        midnight = pac.and_(pac.ends_with(cells, " 00:00:00"), pac.equal(pac.utf8_length(cells), 19))
        if pac.any(midnight).as_py():
            cells = pac.if_else(midnight, pac.utf8_slice_codeunits(cells, 0, 10), cells)
        columns[str(i)] = cells
    out = pa.table(columns).to_pandas()
    out.columns = range(len(out.columns))
    return out
