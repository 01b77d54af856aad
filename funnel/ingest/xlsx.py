"""XLSX workbooks via python-calamine: every sheet as a grid of text cells we convert ourselves.

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
from contextlib import contextmanager
from dataclasses import dataclass, field
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pyarrow as pa
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
    tail = b""
    with zf.open(part) as stream:
        while chunk := stream.read(_CHUNK_BYTES):
            if b"<f" in tail + chunk[:1] or b"<f" in chunk:
                return True
            tail = chunk[-1:]
    return False


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
    found = set()
    for match in _CELL.finditer(xml):
        inner = match.group(3) or b""
        if b"<f" in inner and not _VALUE.search(inner):
            col = 0
            for ch in match.group(1):
                col = col * 26 + (ch - 64)
            found.add((int(match.group(2)) - 1, col - 1))
    return found
