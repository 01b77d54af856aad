"""关键动作记录 text, vectorised: split into actions, leading dates read, feedback words found.

``split_actions(texts)`` -> ``Pieces``: per piece the index of its text (a null text has no pieces), and a code into the distinct stripped
pieces; in text order then piece order, the non-empty pieces exactly as ``re.split(r"[;；\\r\\n]+", text)`` +
``str.strip()`` per piece would give them. From ``DUCKDB_MIN_TEXTS`` texts the split runs in an in-memory
DuckDB connection (one multi-threaded pass over the Arrow text; 0.7 s CPU at 1M leads against 1.7 s for
Arrow's regex split, which splits fewer texts); the text work after it runs once per distinct piece (one in
ten at 1M leads), and the yearless placement once per lead (``yearless.place_yearless_by_lead``).

``read_actions(pieces, lead, acquired, anchors, limit)`` -> ``ActionColumns``: per piece its date
(datetime64[us], NaT when none), content and feedback (Arrow text taken from the distinct pieces by their codes:
no Python ``str`` per piece, and the store scans them without a conversion), the yearless problem of a date it could not place
(``yearless.PLACED`` when none: the caller warns about the others) and ``done`` False for the pieces this path
does not decide (a character outside ``PLAIN_RANGES``, a written year out of range or impossible, an
impossible time): the caller hands those to the per-row ``split_leading_date`` / ``feedback_value``, which give
the warnings. For every piece it decides, the result equals the per-row functions'
(tests/ingest/test_ingest_fast_paths.py checks it on generated text).

Why the plain-character gate: Python's ``re`` reads ``\\d`` as any Unicode digit and ``fold`` (NFKC +
casefold) rewrites full-width letters, while RE2 and ``ascii_lower`` do neither. On the plain characters
(printable ASCII, CJK ideographs, CJK and full-width punctuation) both sides agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from funnel.ingest.dates import _YEARLESS
from funnel.ingest.values import FEEDBACK_WORDS
from funnel.ingest.yearless import NO_DAY, PLACED, place_yearless_by_lead
from funnel.ingest.yearless import days_of as _days
from funnel.ingest.yearless import valid_day as _valid_day

SPLIT_PATTERN = r"[;；\r\n]+"
# The same split in DuckDB: every separator made ';', split on it; the empty pieces a run of separators
# leaves are dropped after stripping, as the regex's '+' drops them.
_SPLIT_SQL = """
select i, piece from (
    select i, unnest(string_split(replace(replace(replace(t, '；', ';'), chr(13), ';'), chr(10), ';'), ';')) as piece
    from texts)
where piece <> ''
"""
# DuckDB's split costs a connection (about 35 ms) and saves about 1 us per text against Arrow's regex split
DUCKDB_MIN_TEXTS = 50_000
# Exactly the characters str.strip() and re's \s treat as whitespace (all below U+3001; the test checks).
PY_WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
# Ranges of characters the vector path decides alone (see the module docstring; the test checks each one).
PLAIN_RANGES = ((0x20, 0x7E), (0x4E00, 0x9FFF), (0x3001, 0x3003), (0x3008, 0x3011), (0x3014, 0x301F),
                (0xFF01, 0xFF0F), (0xFF1A, 0xFF20), (0xFF3B, 0xFF40), (0xFF5B, 0xFF5E),
                (0x2018, 0x2019), (0x201C, 0x201D), (0x2014, 0x2014), (0x2026, 0x2026), (0x00B7, 0x00B7))


def _re2_char(code: int) -> str:
    return f"\\x{{{code:x}}}"


def _re2_class(chars: str) -> str:
    return "[" + "".join(_re2_char(ord(c)) for c in chars) + "]"


_PLAIN_PATTERN = "^[" + "".join(f"{_re2_char(a)}-{_re2_char(b)}" for a, b in PLAIN_RANGES) + "]*$"
# The per-row pattern in RE2 syntax: \s as Python's whitespace, \d as ASCII digits (plain text has no others),
# and the rest of the piece captured so that its start is the per-row match's end.
_DATE_PATTERN = (_YEARLESS.pattern.replace("\\s", _re2_class(PY_WHITESPACE)).replace("\\d", "[0-9]")
                 + "(?P<rest>(?s:.*))$")
MIN_YEAR, MAX_YEAR = 1900, 2199  # explicit years outside go per row (the per-row path names the problem)
# What a distinct piece is, for the vector path
_SLOW, _UNDATED, _DATED, _YEARLESS_DATE = 0, 1, 2, 3


@dataclass
class Pieces:
    parents: np.ndarray   # int64: the index in ``texts`` of each piece
    codes: np.ndarray     # int64: the index in ``distinct`` of each piece
    distinct: pa.Array    # the distinct stripped pieces (large_string; none empty)

    def __len__(self) -> int:
        return len(self.codes)

    def text(self, positions: np.ndarray) -> list[str]:
        """The stripped pieces at ``positions`` as Python text."""
        return self.distinct.take(pa.array(self.codes[positions])).to_pylist()


@dataclass
class ActionColumns:
    at: np.ndarray          # datetime64[us]
    content: pa.Array       # large_string, null for none
    feedback: pa.Array      # large_string: positive / neutral / negative, null for none
    problem: np.ndarray     # int8: yearless.PLACED, or why a yearless date was not placed (decided, warned)
    done: np.ndarray        # bool: False = decide per row
    content_key: np.ndarray  # int64 per piece: its content's position in ``content_texts``, -1 for none
    content_texts: pa.Array  # the distinct contents (large_string): equal keys, equal texts
    feedback_code: np.ndarray  # int8 per piece: its feedback's position in FEEDBACK_TEXT


def split_actions(texts: pa.Array | pa.ChunkedArray) -> Pieces:
    """The pieces of ``texts`` (a null text has none), dictionary-encoded."""
    parents, pieces = _split_duckdb(texts) if len(texts) >= DUCKDB_MIN_TEXTS else _split_arrow(texts)
    codes, distinct = _encoded(pieces)
    distinct = pc.utf8_trim(distinct.cast(pa.large_string()), characters=PY_WHITESPACE)
    present = pc.greater(pc.binary_length(distinct), 0).to_numpy(zero_copy_only=False)
    keep = present[codes]
    if not keep.all():
        parents, codes = parents[keep], codes[keep]
    return Pieces(parents, codes, distinct)


def _encoded(pieces: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """(int64 code of each piece, the distinct pieces). Chunks are encoded as they are (no combined copy of the
    5M pieces): Arrow gives every chunk the same final dictionary, which is checked (else combined first)."""
    encoded = pc.dictionary_encode(pieces)
    if isinstance(encoded, pa.ChunkedArray):
        chunks = encoded.chunks
        if not chunks:
            return np.zeros(0, dtype=np.int64), pa.array([], pieces.type)
        shared = {tuple(b.address for b in c.dictionary.buffers() if b is not None) for c in chunks}
        if len(shared) > 1:
            return _encoded(pieces.combine_chunks())
        codes = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in chunks]).astype(np.int64)
        return codes, chunks[0].dictionary
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64, copy=False), encoded.dictionary


def _split_duckdb(texts: pa.Array) -> tuple[np.ndarray, pa.Array | pa.ChunkedArray]:
    """(index of the text, piece) of every non-empty unstripped piece, in text and piece order (the pieces as
    DuckDB hands them: chunks of text)."""
    con = duckdb.connect()
    try:
        con.register("texts", pa.table({"i": np.arange(len(texts), dtype=np.int64), "t": texts}))
        result = con.sql(_SPLIT_SQL).to_arrow_table()
    finally:
        con.close()
    parents = result.column("i").to_numpy()
    if (parents[1:] < parents[:-1]).any():  # DuckDB keeps the insertion order; should it not, Arrow's split
        return _split_arrow(texts)
    return parents, result.column("piece")


def _split_arrow(texts: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    if isinstance(texts, pa.ChunkedArray):  # the parent indices are per array, not per chunk
        texts = texts.combine_chunks()
    lists = pc.split_pattern_regex(texts, SPLIT_PATTERN)
    parents = pc.list_parent_indices(lists).to_numpy()
    pieces = pc.list_flatten(lists)
    keep = pc.greater(pc.binary_length(pieces), 0)
    return parents[keep.to_numpy(zero_copy_only=False)], pieces.filter(keep)


def read_actions(pieces: Pieces, lead: np.ndarray, acquired: np.ndarray, anchors: list[np.ndarray] = (),
                 limit: int = NO_DAY) -> ActionColumns:
    """Dates, content and feedback of plain pieces. A date written without a year is placed by
    ``yearless.place_yearless_by_lead`` from the piece's lead (``lead``: its index into ``acquired`` and each of
    ``anchors``, day numbers per lead, NO_DAY = none) and ``limit`` (a day number for the file)."""
    distinct = _read_distinct(pieces.distinct)
    codes = pieces.codes
    kind = distinct["kind"][codes]
    # every piece placed as if yearless (month_day 0, no date, for the others): no subsets of 5M pieces
    day, problem = place_yearless_by_lead(distinct["month_day"][codes], lead, acquired, anchors, limit)
    placed = day != NO_DAY
    stamp = np.multiply(day, 86_400_000_000, out=day, where=placed)  # NO_DAY stays: it is NaT
    np.add(stamp, distinct["time"][codes], out=stamp, where=placed)
    dated = np.flatnonzero(kind == _DATED)
    stamp[dated] = distinct["stamp"][codes[dated]]
    problem[kind != _YEARLESS_DATE] = PLACED
    values, index, feedback = distinct["content"], codes, distinct["feedback"][codes]
    unplaced = np.flatnonzero(problem != PLACED)
    if len(unplaced):  # kept with the whole piece as its content, as the per-row path keeps it: the content
        # taken from the distinct pieces, placed after the distinct contents
        values = pa.concat_arrays([values, pieces.distinct.cast(pa.large_string())])
        index = codes.copy()
        index[unplaced] += len(distinct["content"])
        unique, inverse = np.unique(codes[unplaced], return_inverse=True)
        feedback[unplaced] = _feedback(pieces.distinct.take(pa.array(unique)))[inverse]
    texts, value_key = _text_keys(values)
    return ActionColumns(stamp.view("datetime64[us]"), values.take(pa.array(index)),
                         FEEDBACK_TEXT.take(pa.array(feedback)), problem, kind != _SLOW, value_key[index], texts,
                         feedback)


def _text_keys(values: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """(the distinct texts of ``values``, each value's position among them; -1 for null): equal texts, equal
    keys, found once per distinct piece's content instead of over the 5M contents of a file."""
    encoded = pc.dictionary_encode(values)
    return encoded.dictionary, pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def with_text_keys(keys: np.ndarray, texts: pa.Array, positions: np.ndarray,
                   values: list) -> tuple[np.ndarray, pa.Array]:
    """``keys`` into ``texts`` (``ActionColumns.content_key`` / ``content_texts``) with the pieces at ``positions``
    given the contents ``values`` (str or None; the per-row readings): (keys, texts) as ``_text_keys`` would give
    them for the patched contents (equal texts, equal keys)."""
    encoded = pc.dictionary_encode(pa.concat_arrays([texts, pa.array(values, type=texts.type)]))
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    renumber = np.append(codes[:len(texts)], -1)  # a former key -> its key now (-1, none, stays -1)
    keys = renumber[keys]
    keys[positions] = codes[len(texts):]
    return keys, encoded.dictionary


def _read_distinct(pieces: pa.Array) -> dict[str, np.ndarray]:
    """Per distinct piece: its kind (_SLOW, _UNDATED, _DATED, _YEARLESS_DATE); for a dated one its stamp
    (microseconds since the epoch), for a yearless one its month * 100 + day and time of day (microseconds); the
    content a dated (or undated) piece keeps and its feedback."""
    plain = pc.match_substring_regex(pieces, _PLAIN_PATTERN).to_numpy(zero_copy_only=False)
    parts = pc.extract_regex(pieces, _DATE_PATTERN)
    matched = parts.is_valid().to_numpy(zero_copy_only=False)
    y, m, d, hour, minute = (_ints(parts.field(name)) for name in ("y", "m", "d", "H", "M"))
    time_ok = (hour <= 23) & (minute <= 59)
    dated = matched & (y > 0) & time_ok & (y >= MIN_YEAR) & (y <= MAX_YEAR) & _valid_day(y, m, d)
    yearless = matched & (y == 0) & time_ok
    kind = np.where(~matched, _UNDATED, np.where(dated, _DATED, np.where(yearless, _YEARLESS_DATE, _SLOW)))
    kind[~plain] = _SLOW
    time = hour * 3_600_000_000 + minute * 60_000_000
    stamp = np.where(dated, _days(np.where(dated, y, 2000), np.where(dated, m, 1), np.where(dated, d, 1))
                     * 86_400_000_000 + time, 0)
    rest = pc.utf8_trim(parts.field("rest"), characters=PY_WHITESPACE)
    content = pc.if_else(parts.is_valid(), rest, pieces)
    content = pc.if_else(pc.equal(pc.binary_length(content), 0), None, content)
    month_day = np.where(kind == _YEARLESS_DATE, m * 100 + d, 0).astype(np.int16)  # 0: not placed as yearless
    return {"kind": kind.astype(np.int8), "stamp": stamp, "month_day": month_day, "time": time,
            "content": content.cast(pa.large_string()), "feedback": _feedback(content)}


def _ints(values: pa.Array) -> np.ndarray:
    """Digits as int64 (0 for an empty or missing group)."""
    text = pc.if_else(pc.equal(pc.fill_null(values, ""), ""), "0", pc.fill_null(values, "0"))
    return pc.cast(text, pa.int64()).to_numpy(zero_copy_only=False)


# feedback as a code: the index of its value here (the last: None)
FEEDBACK_TEXT = pa.array([value for value, _ in FEEDBACK_WORDS] + [None], type=pa.large_string())
NO_FEEDBACK = len(FEEDBACK_WORDS)


def _feedback(content: pa.Array) -> np.ndarray:
    """feedback_value of each plain content as its code into FEEDBACK_TEXT (int8), in FEEDBACK_WORDS order (None
    content -> None); once per distinct content."""
    encoded = pc.dictionary_encode(content)
    distinct = pc.ascii_lower(encoded.dictionary)
    out = np.full(len(distinct) + 1, NO_FEEDBACK, dtype=np.int8)  # the extra slot: None content
    decided = np.zeros(len(distinct) + 1, dtype=bool)
    for code, (_, words) in enumerate(FEEDBACK_WORDS):
        hit = np.zeros(len(distinct) + 1, dtype=bool)
        for word in words:
            hit[:-1] |= pc.match_substring(distinct, word).to_numpy(zero_copy_only=False)
        hit &= ~decided
        out[hit] = code
        decided |= hit
    codes = pc.fill_null(encoded.indices, len(distinct)).to_numpy(zero_copy_only=False)
    return out[codes]
