"""Text normalisation shared by header matching, stage names, people and loss reasons (pure)."""

from __future__ import annotations

import re
import unicodedata

# Spellings that mean "no value" in real exports (compared after fold()).
MISSING_TOKENS = frozenset({"", "-", "--", "—", "——", "–", "无", "n/a", "na", "none", "null", "nan", "/", "#n/a"})

_SPACES = re.compile(r"\s+")


def fold(value: str) -> str:
    """Fold width (NFKC), case and inner whitespace: the comparison key for names and headers."""
    text = unicodedata.normalize("NFKC", value)
    return _SPACES.sub(" ", text).strip().casefold()


def is_missing(value: object) -> bool:
    """True for None, NaN and every spelling of 'empty' listed in MISSING_TOKENS."""
    if value is None:
        return True
    if isinstance(value, float) and value != value:
        return True
    return fold(str(value)) in MISSING_TOKENS


def clean_text(value: object) -> str | None:
    """Trimmed text with width folded (NFKC) and runs of spaces collapsed; None when missing."""
    if is_missing(value):
        return None
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", str(value))).strip() or None


def clean_person(value: object) -> str | None:
    """A person's name as normalised on import: clean_text without the trailing '*' marks (李明* -> 李明)."""
    text = clean_text(value)
    if text is None:
        return None
    return text.rstrip("*＊ ").strip() or None
