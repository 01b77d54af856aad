"""``funnel.text`` functions over arrays of distinct cell values, vectorised in Arrow where that is exact.

A value is *simple* when every character is printable ASCII, a CJK ideograph or common CJK punctuation
(``SIMPLE_RANGES``): NFKC leaves those unchanged, casefold equals ASCII lower-casing, and the only whitespace
is the space, so ``fold`` / ``clean_text`` reduce to collapsing spaces, trimming and lower-casing. Other
values (full-width forms, tabs, control characters, non-str) go through the per-value function. Every
function returns exactly what mapping its per-value counterpart over the values gives
(tests/ingest/test_ingest_fast_paths.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from funnel.ingest.action_text import PY_WHITESPACE
from funnel.text import MISSING_TOKENS, clean_person, clean_text, fold, is_missing

SIMPLE_RANGES = ((0x20, 0x7E), (0x4E00, 0x9FFF), (0x3001, 0x3003), (0x3008, 0x3011), (0x3014, 0x301F),
                 (0x2018, 0x2019), (0x201C, 0x201D), (0x2014, 0x2014), (0x00B7, 0x00B7))
_SIMPLE = "^[" + "".join(f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in SIMPLE_RANGES) + "]*$"
_MISSING = pa.array(sorted(MISSING_TOKENS))
assert not any(" " in token for token in MISSING_TOKENS)  # missing_many compares trimmed text, not collapsed


def arrow_backed(values) -> bool:
    """A pandas Series / Index / array of text held in Arrow (pandas' ``str`` dtype as read from a CSV)."""
    dtype = getattr(values, "dtype", None)
    return isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"


Simple = tuple[pa.Array, np.ndarray]  # what simple_text gives


def simple_text(values: np.ndarray, known: Simple | None = None) -> Simple:
    """(the values as Arrow text, '' where not simple; the simple mask). ``known``: this result for these values,
    computed before (``Table.simple``: a column's distinct values are read by several functions)."""
    if known is not None:
        return known
    if arrow_backed(values):  # already Arrow: no Python objects made (a missing value is null, as below)
        texts = pa.array(getattr(values, "array", values)).cast(pa.large_string())
        texts = texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts
        simple = pc.fill_null(pc.match_substring_regex(texts, _SIMPLE), False)
        return pc.if_else(simple, texts, ""), simple.to_numpy(zero_copy_only=False)
    values = np.asarray(values, dtype=object)
    try:  # all str (None and NaN allowed): converted in C
        texts = pa.array(values, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        is_str = np.fromiter((type(v) is str for v in values), dtype=bool, count=len(values))
        texts = pa.array(np.where(is_str, values, None), type=pa.large_string(), from_pandas=True)
    simple = pc.fill_null(pc.match_substring_regex(texts, _SIMPLE), False)
    return pc.if_else(simple, texts, ""), simple.to_numpy(zero_copy_only=False)


def collapsed_spaces(texts: pa.Array) -> pa.Array:
    """Runs of spaces as one, trimmed (simple text has no other whitespace). Trimmed first: then only the
    values holding two spaces in a row go through the regex (few; it was most of the cost)."""
    trimmed = pc.utf8_trim(texts, characters=" ")
    double = pc.fill_null(pc.match_substring(trimmed, "  "), False)
    if not pc.any(double).as_py():
        return trimmed
    return pc.replace_with_mask(trimmed, double, pc.replace_substring_regex(trimmed.filter(double), "  +", " "))


def _objects(values: pa.Array) -> np.ndarray:
    out = values.to_numpy(zero_copy_only=False).astype(object)
    out[pc.is_null(values).to_numpy(zero_copy_only=False)] = None
    return out


def fold_many(values: np.ndarray) -> np.ndarray:
    """``fold(str(v))`` for each value."""
    texts, simple = simple_text(values)
    out = _objects(pc.ascii_lower(collapsed_spaces(texts)))
    for i in np.flatnonzero(~simple):
        out[i] = fold(str(values[i]))
    return out


def missing_many(values: np.ndarray, known: Simple | None = None) -> np.ndarray:
    """``is_missing(v)`` for each value (None and NaN are missing too)."""
    texts, simple = simple_text(values, known)
    # no missing spelling holds a space (_MISSING), so a value with one inside is not missing: trimmed suffices
    out = pc.is_in(pc.ascii_lower(pc.utf8_trim(texts, characters=" ")), value_set=_MISSING) \
        .to_numpy(zero_copy_only=False)
    for i in np.flatnonzero(~simple):
        out[i] = is_missing(values[i])
    return out


def clean_text_many(values: np.ndarray) -> np.ndarray:
    """``clean_text(v)`` for each value."""
    return _objects(clean_text_arrow(values))


def clean_person_many(values: np.ndarray) -> np.ndarray:
    """``clean_person(v)`` for each value (trailing ``*`` marks dropped)."""
    return _objects(clean_person_arrow(values))


def clean_text_arrow(values: np.ndarray, known: Simple | None = None) -> pa.Array:
    """``clean_text(v)`` for each value, as Arrow text (None as null)."""
    return _clean_arrow(values, clean_text, person=False, known=known)


def clean_person_arrow(values: np.ndarray, known: Simple | None = None) -> pa.Array:
    """``clean_person(v)`` for each value, as Arrow text (None as null)."""
    return _clean_arrow(values, clean_person, person=True, known=known)


def _clean_arrow(values: np.ndarray, one, person: bool, known: Simple | None = None) -> pa.Array:
    texts, simple = simple_text(values, known)
    cleaned = collapsed_spaces(texts)
    missing = pc.is_in(pc.ascii_lower(cleaned), value_set=_MISSING)
    if person:  # clean_person: rstrip("*＊ ") then strip() (simple text: '*' and ' ' only)
        cleaned = pc.utf8_trim(pc.utf8_rtrim(cleaned, characters="* "), characters=" ")
    empty = pc.or_(missing, pc.equal(pc.binary_length(cleaned), 0))
    return with_values(pc.if_else(empty, None, cleaned), ~simple, _each_once(one, values, np.flatnonzero(~simple)))


def _each_once(one, values, positions: np.ndarray) -> list:
    """``[one(values[i]) for i in positions]``, ``one`` called once per value (a column's cells, not only its
    distinct values, may come here; keyed with the type: 1 and 1.0 read differently)."""
    done: dict = {}
    out = []
    for i in positions:
        value = values[i]
        key = (type(value), value)
        if key not in done:
            done[key] = one(value)
        out.append(done[key])
    return out


def with_values(texts: pa.Array, where: np.ndarray, values: list) -> pa.Array:
    """``texts`` with the positions ``where`` holds set to ``values`` (str or None, in order)."""
    if not len(values):
        return texts
    return pc.replace_with_mask(texts, pa.array(where), pa.array(values, type=texts.type))


def present_text_many(values: np.ndarray) -> np.ndarray:
    """``None if clean_text(v) is None else str(v).strip()`` for each value (text kept as written)."""
    texts, simple = simple_text(values)
    stripped = pc.utf8_trim(texts, characters=" ")
    missing = pc.is_in(pc.ascii_lower(pc.replace_substring_regex(stripped, "  +", " ")), value_set=_MISSING)
    out = _objects(pc.if_else(missing, None, stripped))
    for i in np.flatnonzero(~simple):
        out[i] = None if clean_text(values[i]) is None else str(values[i]).strip()
    return out


# Longer than this after strip(), a value is never a missing-value spelling (see values.maybe_missing).
MISSING_MAX_CHARS = 8


def present_text_arrow(values: pd.Series) -> pd.Series:
    """``None if clean_text(v) is None else str(v).strip()`` for each value, as Arrow-backed text, without
    dedupe (for long free text: 关键动作记录). Only values of at most MISSING_MAX_CHARS after strip() can be
    missing; those are checked with ``missing_many``."""
    try:
        if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":  # already Arrow
            texts = pa.array(values.array).cast(pa.large_string())  # chunks kept: the action split reads them
        else:
            texts = pa.array(values.to_numpy(dtype=object), type=pa.large_string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        texts = pa.array([None if v is None else str(v) for v in values], type=pa.large_string())
        texts = pc.if_else(pa.array(values.isna().to_numpy()), None, texts)
    stripped = pc.utf8_trim(texts, characters=PY_WHITESPACE)
    short = np.flatnonzero(pc.fill_null(pc.less_equal(pc.utf8_length(stripped), MISSING_MAX_CHARS), True)
                           .to_numpy(zero_copy_only=False))
    if len(short):
        missing = np.zeros(len(values), dtype=bool)
        missing[short] = missing_many(texts.take(pa.array(short)).to_numpy(zero_copy_only=False))
        if missing.any():  # (a copy of all the text: 300 MB at 1M leads)
            stripped = pc.if_else(pa.array(missing), None, stripped)
    return pd.Series(pd.arrays.ArrowExtensionArray(stripped), index=values.index)
