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


# Chinese sentences use full-width punctuation (，；：！？（）). The label catalogues are written with the
# ASCII forms and pass through ``zh_punct`` once, at import, so the rule holds for every label.
_HALF_TO_FULL = {",": "\uff0c", ";": "\uff1b", ":": "\uff1a", "!": "\uff01", "?": "\uff1f", "(": "\uff08",
                 ")": "\uff09"}
_ASCII_NEIGHBOUR = re.compile(r"[A-Za-z0-9_.\[\]\"'()/=<>%+\-]")


def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return (0x3000 <= code <= 0x303F or 0x4E00 <= code <= 0x9FFF or 0xFF00 <= code <= 0xFFEF
            or ch in "“”‘’「」『』…—–")


def zh_punct(text: str) -> str:
    """``text`` (a Chinese sentence or template) with , ; : ! ? ( ) made full-width where they punctuate
    Chinese: a mark next to a Chinese character or a ``{placeholder}`` (and not between two ASCII
    characters, as in ``09:00``, ``1,998``, ``http://``), a ``(`` next to one, and the ``)`` closing such a
    ``(`` (``（可用 week/month/quarter）``). Spaces around a converted mark are dropped."""
    out: list[str] = []
    opened: list[bool] = []  # per open "(": was it converted?
    n = len(text)
    for i, ch in enumerate(text):
        full = _HALF_TO_FULL.get(ch)
        if full is None:
            out.append(ch)
            continue
        j = i - 1
        while j >= 0 and text[j] == " ":
            j -= 1
        k = i + 1
        while k < n and text[k] == " ":
            k += 1
        before = text[j] if j >= 0 else ""
        after = text[k] if k < n else ""
        chinese = any(c and (_is_cjk(c) or c in "{}") for c in (before, after))
        if ch == "(":
            convert = chinese
            opened.append(convert)
        elif ch == ")":
            convert = opened.pop() if opened else chinese
        else:
            ascii_both = all(c and _ASCII_NEIGHBOUR.match(c) for c in (before, after))
            convert = chinese and not ascii_both
        if not convert:
            out.append(ch)
            continue
        while out and out[-1] == " ":  # no space before a full-width mark
            out.pop()
        out.append(full)
    # nor after one
    return re.sub("([\uff0c\uff1b\uff1a\uff01\uff1f\uff08\uff09]) +", r"\1", "".join(out))


_NOUNS = "lead|file|row|deal|period|rep|reason|interval|day|action|import"
_ONE_NOUN = re.compile(rf"(?<![\d.,])\b1 ((?:more |open |lost |stalled |won |new |completed )?)({_NOUNS})s\b")
_ONE_VERB = re.compile(rf"(?<![\d.,])\b(1 (?:(?:more |open |lost |stalled |won |new |completed )?)(?:{_NOUNS})) "
                       r"(have|are|were|appear)\b")
_SINGULAR_VERB = {"have": "has", "are": "is", "were": "was", "appear": "appears"}


def en_plural(text: str) -> str:
    """English text with counts of one in the singular: '1 leads have' -> '1 lead has', '1 days' -> '1 day'
    (never '21 days' or '1.5 days'). For labels filled with counts."""
    text = _ONE_NOUN.sub(r"1 \1\2", text)
    return _ONE_VERB.sub(lambda m: f"{m.group(1)} {_SINGULAR_VERB[m.group(2)]}", text)
