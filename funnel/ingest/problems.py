"""The problems ingest reports, by code: a bad cell kept with its field emptied (a warning) or an unusable
row (a reject). Each warning / reject row carries ``code`` and ``params`` (a JSON object of the values:
row, key, stage, column, dates...) beside the English sentence it always had (``problem`` / ``reason``:
the command line prints it, older versions stored only it). The words of every code, in Chinese and
English, are the ``imp.`` keys of ``funnel.i18n``; ``funnel.messages.problem_text`` renders a row in the
UI's language.

Parsers hand back their problems as English sentences (``funnel.ingest.dates``, ``values``, ``yearless``);
``warning(...)`` names the code of such a sentence by exact lookup (``code_of``), so the parsers stay as
they are. A param called ``problem`` holds the code of a nested problem (an action's date).
"""

from __future__ import annotations

import json
from functools import lru_cache

from funnel.i18n import LABELS

CODES: tuple[str, ...] = (
    # cells (warnings)
    "date_impossible", "date_out_of_range", "excel_date_out_of_range", "not_a_date", "yearless_unplaced",
    "yearless_too_late", "action_date", "date_far", "stage_unknown", "status_unknown", "not_a_number",
    "formula_no_result", "column_duplicate", "cells_beyond_header",
    # rows (rejects)
    "no_lead_id", "no_lead_id_event", "superseded", "event_stage_unknown", "event_no_stage", "no_rep",
)


def english(code: str, **params: object) -> str:
    """The sentence ingest writes for ``code`` (a nested ``problem`` code written out too)."""
    key = f"imp.{code}.cli" if f"imp.{code}.cli" in LABELS else f"imp.{code}"
    if "problem" in params:
        params = {**params, "problem": english(str(params["problem"]))}
    return LABELS[key][1].format(**params)


@lru_cache(maxsize=1)
def _by_sentence() -> dict[str, tuple[str, dict]]:
    fixed = {english(code): (code, {}) for code in CODES if "{" not in LABELS[f"imp.{code}"][1]}
    nested = {"excel_date_out_of_range": "date_out_of_range"}  # the parser writes the Excel case this way only
    fixed.update({english(c, problem=p): (c, {"problem": p}) for c, p in nested.items()})
    return fixed


def code_of(sentence: str) -> tuple[str | None, dict]:
    """(code, params) of a parser's fixed problem sentence; (None, {}) for one not known."""
    return _by_sentence().get(sentence, (None, {}))


def _params(params: dict) -> str | None:
    return json.dumps({k: str(v) for k, v in params.items()}, ensure_ascii=False) if params else None


def warning(row_number: int, column_name: str, raw_value: str, code: str | None = None,
            sentence: str | None = None, **params: object) -> dict:
    """One warning row (WARNING_FIELDS): by ``code`` and its params, or by a parser's ``sentence``."""
    if code is None:
        code, params = code_of(sentence or "")
    problem = english(code, **params) if code is not None else sentence
    return {"row_number": row_number, "column_name": column_name, "raw_value": raw_value, "problem": problem,
            "code": code, "params": _params(params)}


def reject_reason(code: str, **params: object) -> tuple[str, str, str | None]:
    """(reason sentence, code, params JSON) of a rejected row."""
    return english(code, **params), code, _params(params)
