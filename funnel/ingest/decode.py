"""CSV text: decoding in Python (BOM, UTF-8, GB18030), separator sniffing, and the grid of cells.

One output row of ``csv_grid`` = one record of the file (blank lines kept), every cell a ``str``.
"""

from __future__ import annotations

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
    if not text.strip():
        return pd.DataFrame()
    # UTF-8 bytes, not a StringIO: pandas re-encodes a StringIO through a buffer that is copied on every
    # chunk read (quadratic: 220 s for a 400 MB file of Chinese text).
    data = text.encode("utf-8")
    grid = arrow_grid(data, sep)
    if grid is None:
        grid = pandas_grid(text, data, sep)
    if text.endswith(("\n", "\r")) and len(grid) and (grid.iloc[-1] == "").all() and grid.shape[1] == 1:
        grid = grid.iloc[:-1]
    grid.columns = range(grid.shape[1])
    return grid


def arrow_grid(data: bytes, sep: str) -> pd.DataFrame | None:
    """The grid read by Arrow, or None when a row's length differs from the first row's."""
    width = len(next(csv.reader(io.StringIO(_first_record(data), newline=""), delimiter=sep, quotechar='"'), []))
    try:
        table = pa_csv.read_csv(
            io.BytesIO(data), read_options=pa_csv.ReadOptions(autogenerate_column_names=True),
            parse_options=pa_csv.ParseOptions(delimiter=sep, quote_char='"', double_quote=True, escape_char=False,
                                              newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(column_types={f"f{i}": pa.string() for i in range(max(width, 1))},
                                                  strings_can_be_null=False, quoted_strings_can_be_null=False,
                                                  check_utf8=False))
    except pa.ArrowInvalid:
        return None
    if any(not pa.types.is_string(t) for t in table.schema.types):  # the first record was misjudged
        return None
    grid = table.to_pandas()
    return grid if all(str(t) == "str" for t in grid.dtypes) else grid.astype("str")


def _first_record(data: bytes, size: int = 64 * 1024) -> str:
    """The text of the first lines (enough for the first record unless a quoted cell spans more)."""
    return data[:size].decode("utf-8", errors="ignore")


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
