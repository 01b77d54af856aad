"""Cell values other than dates: status words, numbers (days, amounts), feedback words, phone text.

Each function maps one cell as written to (value, problem) where problem is None when the cell is fine.
"""

from __future__ import annotations

import re

from funnel.text import MISSING_TOKENS, clean_text, fold, is_missing

STATUS_WORDS: dict[str, str] = {
    "未跟进": "untouched", "跟进中": "active", "已成交": "won", "已流失": "lost",
    "untouched": "untouched", "active": "active", "won": "won", "lost": "lost",
    "new": "untouched", "not contacted": "untouched", "open": "active", "in progress": "active",
    "ongoing": "active", "closed won": "won", "closed - won": "won", "closed lost": "lost",
    "closed - lost": "lost", "成交": "won", "流失": "lost", "进行中": "active", "未联系": "untouched",
}
STATUS_HELP = "expected 未跟进/跟进中/已成交/已流失 or untouched/active/won/lost"


def status_value(raw: object, extra: dict[str, str] | None = None) -> tuple[str | None, str | None]:
    """A status cell -> untouched/active/won/lost (a mapping profile's table first)."""
    if is_missing(raw):
        return None, None
    key = fold(str(raw))
    if extra and key in extra:
        return extra[key], None
    key = re.sub(r"[\s_]+", " ", key)
    if key in STATUS_WORDS:
        return STATUS_WORDS[key], None
    return None, f"unknown status ({STATUS_HELP})"


_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")


def number_value(raw: object) -> tuple[float | None, str | None]:
    """A number as written: ``1,234.5``, ``¥80万``, ``80 万元``, ``12天``, ``3.5e3`` -> float."""
    if is_missing(raw):
        return None, None
    text = fold(str(raw)).replace(",", "").replace(" ", "")
    text = text.lstrip("¥￥$").rstrip("元天日days").rstrip("d") if text else text
    scale = 1.0
    if text.endswith("万"):
        scale, text = 10_000.0, text[:-1]
    elif text.endswith("亿"):
        scale, text = 100_000_000.0, text[:-1]
    try:
        return float(text) * scale, None
    except ValueError:
        return None, "not a number"


FEEDBACK_WORDS = (("negative", ("消极", "negative", "负面")), ("positive", ("积极", "positive", "正面")),
                  ("neutral", ("中性", "neutral")))


def feedback_value(text: str) -> str | None:
    """positive / neutral / negative when the activity text says so, else None."""
    folded = fold(text)
    for value, words in FEEDBACK_WORDS:
        if any(word in folded for word in words):
            return value
    return None


def contact_text(raw: object) -> str | None:
    """Contact details as text: digits of a number kept, leading zeros and +86 kept."""
    return clean_text(raw)


_MISSING_FIRST = frozenset(c for t in MISSING_TOKENS if t for c in (t[0], t[0].upper(), chr(ord(t[0]) + 0xFEE0)
                                                                      if "!" <= t[0] <= "~" else t[0]))


def maybe_missing(value: object) -> bool:
    """Cheap pre-check: False for values that cannot be a missing-value spelling (long, or wrong first char)."""
    text = str(value).strip()
    return not text or (len(text) <= 8 and (text[0] in _MISSING_FIRST or not text[0].isascii()))
