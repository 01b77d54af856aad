"""CSV text: decoding in Python (BOM, UTF-8, GB18030), separator sniffing, and the grid of cells.

One output row of ``csv_grid`` = one record of the file (blank lines kept), every cell a ``str``.
"""

from __future__ import annotations

import csv
import io
from collections import Counter

import pandas as pd

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

    Fast path: pandas' C parser. Files whose rows differ in length in a way it refuses (a title row,
    rows longer than the first) go through the csv module instead.
    """
    if not text.strip():
        return pd.DataFrame()
    try:
        # UTF-8 bytes, not a StringIO: pandas re-encodes a StringIO through a buffer that is copied on every
        # chunk read (quadratic: 220 s for a 400 MB file of Chinese text).
        grid = pd.read_csv(io.BytesIO(text.encode("utf-8")), sep=sep, header=None, dtype=object,
                           keep_default_na=False, na_filter=False, skip_blank_lines=False, engine="c",
                           quotechar='"', encoding="utf-8")
        grid = grid.fillna("")
    except (pd.errors.ParserError, ValueError):
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep, quotechar='"'))
        width = max((len(r) for r in rows), default=0)
        grid = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)
    if text.endswith(("\n", "\r")) and len(grid) and (grid.iloc[-1] == "").all() and grid.shape[1] == 1:
        grid = grid.iloc[:-1]
    grid.columns = range(grid.shape[1])
    return grid.astype(object)
