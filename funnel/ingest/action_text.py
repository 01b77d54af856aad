"""关键动作记录 text, vectorised in Arrow: split into actions, leading dates read, feedback words found.

``split_actions(texts)`` -> (parent positions, stripped non-empty pieces), in text order then piece order,
exactly as ``re.split(r"[;；\\r\\n]+", text)`` + ``str.strip()`` per piece would give them.

``read_actions(pieces, acquired, anchors, limit)`` -> ``ActionColumns``: per piece its date (datetime64[us], NaT when none),
content, feedback, and ``done`` False for the pieces this path does not decide (a character outside
``PLAIN_RANGES``, a date it cannot place, an impossible date): the caller hands those to the per-row
``split_leading_date`` / ``feedback_value``, which give the warnings. For every piece it decides, the result
equals the per-row functions' (tests/ingest/test_ingest_fast_paths.py checks it on generated text).

Why the plain-character gate: Python's ``re`` reads ``\\d`` as any Unicode digit and ``fold`` (NFKC +
casefold) rewrites full-width letters, while RE2 and ``ascii_lower`` do neither. On the plain characters
(printable ASCII, CJK ideographs, CJK and full-width punctuation) both sides agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from funnel.ingest.dates import _YEARLESS
from funnel.ingest.values import FEEDBACK_WORDS
from funnel.ingest.yearless import NO_DAY, PLACED, day_numbers, place_yearless
from funnel.ingest.yearless import days_of as _days
from funnel.ingest.yearless import valid_day as _valid_day

SPLIT_PATTERN = r"[;；\r\n]+"
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


@dataclass
class ActionColumns:
    at: np.ndarray          # datetime64[us]
    content: np.ndarray     # object: str or None
    feedback: np.ndarray    # object: positive / neutral / negative / None
    done: np.ndarray        # bool: False = decide per row


def split_actions(texts: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """(index into ``texts`` (no nulls) of each piece, the stripped non-empty pieces)."""
    lists = pc.split_pattern_regex(texts, SPLIT_PATTERN)
    parents = pc.list_parent_indices(lists).to_numpy()
    pieces = pc.utf8_trim(pc.list_flatten(lists), characters=PY_WHITESPACE)
    keep = pc.greater(pc.binary_length(pieces), 0)
    return parents[keep.to_numpy(zero_copy_only=False)], pieces.filter(keep)


def read_actions(pieces: pa.Array, acquired: np.ndarray, anchors: list[np.ndarray] = (),
                 limit: int = NO_DAY) -> ActionColumns:
    """Dates, content and feedback of plain pieces. A date written without a year is placed by
    ``yearless.place_yearless`` from ``acquired`` and ``anchors`` (datetime64 per piece, NaT = none) and
    ``limit`` (a day number for the file). Text work runs once per distinct piece."""
    encoded = pc.dictionary_encode(pieces)
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    distinct = _read_distinct(encoded.dictionary)
    y, m, d, hour, minute = (distinct[name][codes] for name in ("y", "m", "d", "H", "M"))
    matched = distinct["matched"][codes]
    time_ok = (hour <= 23) & (minute <= 59)
    at = np.full(len(codes), np.datetime64("NaT"), dtype="datetime64[us]")
    decided = ~matched
    # written with a year: taken as written
    rows = np.flatnonzero(matched & (y > 0) & time_ok)
    ok = (y[rows] >= MIN_YEAR) & (y[rows] <= MAX_YEAR) & _valid_day(y[rows], m[rows], d[rows])
    rows = rows[ok]
    at[rows] = _stamp(_days(y[rows], m[rows], d[rows]), hour[rows], minute[rows])
    decided[rows] = True
    # without a year: placed from the lead's dates (the per-row path warns about those not placed)
    rows = np.flatnonzero(matched & (y == 0) & time_ok)
    day, problem = place_yearless(m[rows], d[rows], day_numbers(np.asarray(acquired)[rows]),
                                  [day_numbers(np.asarray(a)[rows]) for a in anchors], limit)
    placed = problem == PLACED
    at[rows[placed]] = _stamp(day[placed], hour[rows][placed], minute[rows][placed])
    decided[rows[placed]] = True
    done = distinct["plain"][codes] & decided
    at[~done] = np.datetime64("NaT")
    return ActionColumns(at, distinct["content"][codes], distinct["feedback"][codes], done)


def _read_distinct(pieces: pa.Array) -> dict[str, np.ndarray]:
    """Per distinct piece: plain?, date matched?, the date's parts (0 when absent), the content a dated (or
    undated) piece keeps and its feedback."""
    out = {"plain": pc.match_substring_regex(pieces, _PLAIN_PATTERN).to_numpy(zero_copy_only=False)}
    parts = pc.extract_regex(pieces, _DATE_PATTERN)
    matched = parts.is_valid()
    out["matched"] = matched.to_numpy(zero_copy_only=False)
    for name in ("y", "m", "d", "H", "M"):
        out[name] = _ints(parts.field(name))
    rest = pc.utf8_trim(parts.field("rest"), characters=PY_WHITESPACE)
    content = pc.if_else(matched, rest, pieces)
    content = pc.if_else(pc.equal(pc.binary_length(content), 0), None, content)
    out["content"] = content.to_numpy(zero_copy_only=False)
    out["feedback"] = _feedback(content)
    return out


def _ints(values: pa.Array) -> np.ndarray:
    """Digits as int64 (0 for an empty or missing group)."""
    text = pc.if_else(pc.equal(pc.fill_null(values, ""), ""), "0", pc.fill_null(values, "0"))
    return pc.cast(text, pa.int64()).to_numpy(zero_copy_only=False)


def _stamp(days: np.ndarray, hour: np.ndarray, minute: np.ndarray) -> np.ndarray:
    """datetime64[us] from days since the epoch and a time of day."""
    return (days * 86_400_000_000 + hour * 3_600_000_000 + minute * 60_000_000).astype(np.int64) \
        .view("datetime64[us]")


def _feedback(content: pa.Array) -> np.ndarray:
    """feedback_value of each plain content, in FEEDBACK_WORDS order (None content -> None); once per distinct
    content."""
    encoded = pc.dictionary_encode(content)
    distinct = pc.ascii_lower(encoded.dictionary)
    out = np.full(len(distinct) + 1, None, dtype=object)  # the extra slot: None content
    decided = np.zeros(len(distinct) + 1, dtype=bool)
    for value, words in FEEDBACK_WORDS:
        hit = np.zeros(len(distinct) + 1, dtype=bool)
        for word in words:
            hit[:-1] |= pc.match_substring(distinct, word).to_numpy(zero_copy_only=False)
        hit &= ~decided
        out[hit] = value
        decided |= hit
    codes = pc.fill_null(encoded.indices, len(distinct)).to_numpy(zero_copy_only=False)
    return out[codes]
