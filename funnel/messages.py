"""The import's messages in the user's language.

A warning or a rejected row carries its problem by code (``funnel.ingest.problems``): ``problem_text(code,
params, sentence, lang)`` renders it from the ``imp.`` keys of ``funnel.i18n``. What has no code (a note on
a file, a file that cannot be imported, and the warnings and rejects stored by versions before the codes)
is matched by its sentence, below.

Ingest stays free of the UI: it writes English sentences (the command line prints them as they are, and
the database keeps them in ``imports.message``, ``rejects.reason`` and ``import_warnings.problem``). Each
sentence comes from one template of ``CATALOG`` (the ``imp.`` keys and ``IMPORT_SENTENCES`` of
``funnel.i18n``, which hold every word); ``translate(text, lang)`` recognises the template (its
``{name}`` parts match any text), and fills the Chinese template with the same values, each value itself
translated when it is a known sentence. So the validation report, the import history of past imports
and the downloads all speak the UI's language, and the warning structure (row, column, value, problem)
is untouched. A sentence no template matches is shown as written.

Some sentences have a third, English dashboard form: the command line's wording names a flag
(``--mapping``) or asks to raise a limit the dashboard user cannot raise.

``CATALOG``: (English as ingest writes it, Chinese, English on the dashboard or None). A test imports
messy files and checks that no English sentence is left in the Chinese report.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

from funnel.i18n import IMPORT_SENTENCES, LABELS
from funnel.ingest.headers import required_columns_message
from funnel.ingest.problems import CODES

REQUIRED = required_columns_message()


def _coded_sentences() -> tuple[tuple[str, str, str | None], ...]:
    """The warnings and rejects by code, as sentences: what older versions stored (matched as the fallback)."""
    out = []
    for code in CODES:
        zh, en = LABELS[f"imp.{code}"]
        cli = LABELS.get(f"imp.{code}.cli", (zh, en))[1]
        out.append((cli, zh, None if cli == en else en))
    return tuple(out)


CATALOG: tuple[tuple[str, str, str | None], ...] = (
    *_coded_sentences(),
    *IMPORT_SENTENCES,
    (REQUIRED, LABELS["imp.required_columns"][0], None),
)


pattern_source: dict[re.Pattern, str] = {}  # compiled pattern -> its English template


@lru_cache(maxsize=1)
def _compiled() -> tuple[tuple[re.Pattern, str, str | None], ...]:
    out = []
    for english, chinese, dashboard in CATALOG:
        # a value never holds "; " (the separator of joined sentences), so a sentence cannot swallow the next
        pattern = "".join(f"(?P<{part[1:-1]}>(?:(?!; ).)+?)" if part.startswith("{") else re.escape(part)
                          for part in re.split(r"(\{\w+\})", english) if part)
        compiled = re.compile(f"^{pattern}$", re.S)
        pattern_source[compiled] = english
        out.append((compiled, chinese, dashboard))
    return tuple(out)


def _one(text: str, lang: str) -> str | None:
    """The translation of one whole sentence, or None when no template matches."""
    for pattern, chinese, dashboard in _compiled():
        match = pattern.match(text)
        if match:
            target = chinese if lang == "zh" else (dashboard or pattern_source[pattern])
            values = {name: translate(value, lang) for name, value in match.groupdict().items()}
            return target.format(**values)
    return None


def problem_text(code: object, params: object, sentence: object, lang: str) -> object:
    """A warning's problem or a reject's reason in ``lang``: by its code and params when it has a code,
    else (a row stored before the codes) by matching its English ``sentence``."""
    if not isinstance(code, str) or f"imp.{code}" not in LABELS or lang not in ("zh", "en"):
        return translate(sentence, lang)
    values = json.loads(params) if isinstance(params, str) and params else {}
    if "problem" in values:  # the code of a nested problem (an action's date)
        values["problem"] = problem_text(values["problem"], None, None, lang)
    zh, en = LABELS[f"imp.{code}"]
    return (zh if lang == "zh" else en).format(**values)  # no en_plural: the English stays as ingest wrote it


def problem_texts(frame, sentence_column: str, lang: str) -> list:
    """``problem_text`` of every row of a warnings / rejects frame (WARNING_FIELDS / REJECT_FIELDS)."""
    return [problem_text(c, p, s, lang) for c, p, s in zip(frame["code"], frame["params"], frame[sentence_column])]


def translate(text: object, lang: str) -> object:
    """``text`` (an import sentence, or several joined by "; ") in ``lang``; anything else unchanged."""
    if not isinstance(text, str) or not text or lang not in ("zh", "en"):
        return text
    whole = _one(text, lang)
    if whole is not None:
        return whole
    parts = text.split("; ")
    if len(parts) == 1:
        return text
    out, i = [], 0
    while i < len(parts):  # the shortest run of parts that is one sentence (a sentence may hold "; ")
        for j in range(i + 1, len(parts) + 1):
            piece = _one("; ".join(parts[i:j]), lang)
            if piece is not None:
                out.append(piece)
                i = j
                break
        else:
            out.append(parts[i])
            i += 1
    return ("；" if lang == "zh" else "; ").join(out)
