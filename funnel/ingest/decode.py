"""CSV text: decoding (BOM, UTF-8, GB18030), separator sniffing, and the grid of cells.

One output row of ``csv_grid`` = one record of the file (blank lines kept), every cell a ``str``.

A UTF-8 file is never made into Python text: ``utf8_bytes`` checks it is UTF-8 in C and hands the bytes on
(the BOM skipped without a copy), the separator is sniffed from its first lines, and Arrow reads the bytes
(``csv_grid_utf8``). Other encodings are decoded in Python and encoded to UTF-8 once (``decode_text``).
``read_csv_grid`` (what the import reads a CSV with) checks only the file's start before Arrow reads it and lets
Arrow's reader check the cells as it reads them, on its threads: the whole file is checked once, not twice.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from funnel.ingest.batch import ImportError_

SEPARATORS = (",", ";", "\t", "|")
_SEP_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}


def decode_text(data: bytes, file_name: str) -> tuple[str, str]:
    """Return (text, encoding name). BOM first (UTF-8-SIG, UTF-16 LE/BE), then UTF-8, then GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith(b"\xff\xfe"):
        candidates = ["utf-16-le"]
        data = data[2:]
    elif data.startswith(b"\xfe\xff"):
        candidates = ["utf-16-be"]
        data = data[2:]
    else:
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text[:4096]:
            continue  # binary content that happens to decode
        return text, encoding
    tried = ", ".join({"utf-8-sig": "UTF-8 with BOM", "utf-16-le": "UTF-16 LE", "utf-16-be": "UTF-16 BE",
                       "utf-8": "UTF-8", "gb18030": "GB18030/GBK"}[c] for c in candidates)
    raise ImportError_(f"{file_name}: the file could not be read as text (tried {tried}). "
                       "It may not be a CSV file; save it from Excel/WPS as CSV UTF-8 or as .xlsx and try again.")


def utf8_bytes(data: bytes, file_name: str) -> tuple[bytes | memoryview, str]:
    """(the file as UTF-8 bytes without a BOM, the encoding it was read as). What ``decode_text`` would read
    as UTF-8 (with or without BOM) is checked in C and kept as it is; anything else goes through
    ``decode_text`` (same order, same errors) and is encoded to UTF-8."""
    if not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        bom = data.startswith(b"\xef\xbb\xbf")
        view = memoryview(data)[3:] if bom else data
        if _valid_utf8(view) and "\x00" not in bytes(view[:4 * 4096]).decode("utf-8", errors="ignore")[:4096]:
            return view, "utf-8-sig" if bom else "utf-8"
    text, encoding = decode_text(data, file_name)
    return text.encode("utf-8"), encoding


class _NotUtf8(Exception):
    """The file's start read as UTF-8, a later byte did not (``read_csv_grid``)."""


_HEAD_BYTES = 64 * 1024


def read_csv_grid(data: bytes, file_name: str) -> tuple[pd.DataFrame, str, str]:
    """(grid, the encoding the file was read as, its separator): what ``utf8_bytes``, ``sniff_separator`` of
    ``head_text`` and ``csv_grid_utf8`` give, same errors. A file whose first 64 KiB read as UTF-8 (no NUL) is
    handed to Arrow unchecked and Arrow checks the cells it reads (``check_utf8``); one where it finds a byte
    that is not UTF-8 is then read the way of ``utf8_bytes`` (decoded as GB18030 and so on). At 1M leads this
    saves the whole-file check before the read (0.3 s of a 415 MB template CSV)."""
    if not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        bom = data.startswith(b"\xef\xbb\xbf")
        view = memoryview(data)[3:] if bom else data
        head = bytes(view[:_HEAD_BYTES])
        try:
            start = codecs.getincrementaldecoder("utf-8")().decode(head, final=len(view) <= _HEAD_BYTES)
        except UnicodeDecodeError:
            start = ""
        # (a start of whitespace only, which may be a blank file: checked whole below, as before)
        if "\x00" not in start[:4096] and start.strip():
            sep = sniff_separator(head_text(view))
            try:
                return csv_grid_utf8(view, sep, checked=False), "utf-8-sig" if bom else "utf-8", sep
            except _NotUtf8:
                pass
    utf8, encoding = utf8_bytes(data, file_name)
    sep = sniff_separator(head_text(utf8))
    return csv_grid_utf8(utf8, sep), encoding, sep


def _valid_utf8(data: bytes | memoryview) -> bool:
    """``data.decode("utf-8")`` would succeed (Arrow's check: same rules, no Python text made)."""
    buffer = pa.py_buffer(data)
    offsets = pa.array([0, len(buffer)], pa.int64()).buffers()[1]
    try:
        pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, buffer]).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def head_text(data: bytes | memoryview, lines: int = 30, start_bytes: int = 64 * 1024) -> str:
    """The first ``lines`` lines of UTF-8 ``data`` and more (a growing prefix decoded until it holds more
    than ``lines`` line breaks' worth, or all of it): what ``sniff_separator`` reads."""
    size = start_bytes
    while True:
        head = bytes(data[:size]).decode("utf-8", errors="ignore")  # only a character cut at the end is lost
        if len(head.splitlines()) > lines or size >= len(data):
            return head
        size *= 4


def sniff_separator(text: str) -> str:
    """The separator among , ; tab | that splits the first lines most consistently (quotes ignored)."""
    lines = [line for line in _first_lines(text, 30) if line.strip()]
    best, best_score = ",", (0, 0)
    for sep in SEPARATORS:
        counts = [_count_outside_quotes(line, sep) for line in lines]
        positive = [c for c in counts if c > 0]
        if not positive:
            continue
        mode, n_lines = Counter(positive).most_common(1)[0]
        score = (n_lines, mode)
        if score > best_score:
            best, best_score = sep, score
    return best


def _first_lines(text: str, n: int, start_chars: int = 64 * 1024) -> list[str]:
    """``text.splitlines()[:n]`` without splitting all of a big file: a growing prefix until it holds n
    complete lines (n + 1 pieces: the n-th line's break lies inside the prefix)."""
    size = start_chars
    while True:
        lines = text[:size].splitlines()
        if len(lines) > n or size >= len(text):
            return lines[:n]
        size *= 4


def _count_outside_quotes(line: str, sep: str) -> int:
    count, quoted = 0, False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char == sep and not quoted:
            count += 1
    return count


def separator_name(sep: str) -> str:
    return _SEP_NAMES.get(sep, repr(sep))


def csv_grid(text: str, sep: str) -> pd.DataFrame:
    """All records as a DataFrame of str (columns 0..n-1, '' for a missing cell); short rows padded.

    Fast path: Arrow's CSV reader, the columns kept Arrow-backed (pandas' ``str`` dtype, no Python objects).
    It refuses rows whose length differs from the first; those files go through pandas' C parser, and files
    that one refuses too (a title row, rows longer than the first) through the csv module. The three give the
    same cells where they accept a file (tests/ingest/test_csv_grid.py).
    """
    # UTF-8 bytes, not a StringIO: pandas re-encodes a StringIO through a buffer that is copied on every
    # chunk read (quadratic: 220 s for a 400 MB file of Chinese text).
    return csv_grid_utf8(text.encode("utf-8"), sep, text)


def csv_grid_utf8(data: bytes | memoryview, sep: str, text: str | None = None, checked: bool = True) -> pd.DataFrame:
    """``csv_grid`` of the UTF-8 bytes ``data`` (``text``: the same decoded, when at hand; else made only for a
    file Arrow refuses, or one that may be all whitespace). ``checked`` False: ``data`` is not known to be UTF-8
    past its start (``read_csv_grid``, which checked that its start is not whitespace only); raises _NotUtf8
    when it is not."""
    if checked and _blank(data, text):
        return pd.DataFrame()
    grid = arrow_grid(data, sep, check_utf8=not checked)
    if grid is None and not checked and not _valid_utf8(data):  # Arrow refused it: a ragged row, or not UTF-8
        raise _NotUtf8
    if grid is None:
        grid = pandas_grid(bytes(data).decode("utf-8") if text is None else text, bytes(data), sep)
    if bytes(data[-1:]) in (b"\n", b"\r") and len(grid) and (grid.iloc[-1] == "").all() and grid.shape[1] == 1:
        grid = grid.iloc[:-1]
    grid.columns = range(grid.shape[1])
    return grid


def _blank(data: bytes | memoryview, text: str | None) -> bool:
    """``not text.strip()``: decided from the first bytes that are not ASCII whitespace; the whole text is
    decoded only when those are Unicode whitespace (a file of ideographic spaces)."""
    if text is not None:
        return not text.strip()
    if bytes(data[:4096]).decode("utf-8", errors="ignore").strip():  # only a character cut at the end is lost
        return False
    return not bytes(data).decode("utf-8").strip()


def arrow_grid(data: bytes, sep: str, check_utf8: bool = False) -> pd.DataFrame | None:
    """The grid read by Arrow, or None when a row's length differs from the first row's (or, ``check_utf8``, a
    cell is not UTF-8)."""
    width = len(next(csv.reader(io.StringIO(_first_record(data), newline=""), delimiter=sep, quotechar='"'), []))
    try:
        table = pa_csv.read_csv(
            pa.BufferReader(pa.py_buffer(data)), read_options=pa_csv.ReadOptions(autogenerate_column_names=True),
            parse_options=pa_csv.ParseOptions(delimiter=sep, quote_char='"', double_quote=True, escape_char=False,
                                              newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(column_types={f"f{i}": pa.large_string() for i in range(max(width, 1))},
                                                  strings_can_be_null=False, quoted_strings_can_be_null=False,
                                                  check_utf8=check_utf8))
    except pa.ArrowInvalid:
        return None
    # large_string as pandas keeps it (no copy in to_pandas); a column past ``width`` is inferred: a string
    # is taken as before, another type means the first record was misjudged
    if any(not (pa.types.is_large_string(t) or pa.types.is_string(t)) for t in table.schema.types):
        return None
    grid = table.to_pandas()
    return grid if all(str(t) == "str" for t in grid.dtypes) else grid.astype("str")


def _first_record(data: bytes, size: int = 64 * 1024) -> str:
    """The text of the first lines (enough for the first record unless a quoted cell spans more)."""
    return bytes(data[:size]).decode("utf-8", errors="ignore")


def pandas_grid(text: str, data: bytes, sep: str) -> pd.DataFrame:
    """pandas' C parser into object columns; the csv module for files it refuses."""
    try:
        grid = pd.read_csv(io.BytesIO(data), sep=sep, header=None, dtype=object, keep_default_na=False,
                           na_filter=False, skip_blank_lines=False, engine="c", quotechar='"', encoding="utf-8")
        grid = grid.fillna("")
    except (pd.errors.ParserError, ValueError):
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep, quotechar='"'))
        width = max((len(r) for r in rows), default=0)
        grid = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)
    return grid.astype(object)
