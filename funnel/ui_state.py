"""The dashboard's view state <-> URL query parameters (pure, no Streamlit).

A copied link reopens the same view: every sidebar choice lives in the query string. Parameter names:

| param     | meaning                          | example                      | default            |
|-----------|----------------------------------|------------------------------|--------------------|
| `from`    | acquisition date from (incl.)    | `from=2024-03-01`            | all dates          |
| `to`      | acquisition date to (incl.)      | `to=2024-03-31`              | all dates          |
| `grain`   | period grain                     | `grain=week|month|quarter`   | `month`            |
| `source`  | source channel (repeatable)      | `source=行业展会&source=官网` | all                |
| `rep`, `manager`, `team` | same, repeatable  | `rep=李明`                   | all                |

(One parameter per filter dimension: ``Dimension.param`` of ``funnel.filters.DIMENSIONS``.)
| `as_of`   | as-of date                       | `as_of=2024-06-30`           | latest data date   |
| `stalled` | stalled threshold in days        | `stalled=10`                 | settings (7)       |
| `lang`    | label language                   | `lang=zh|en`                 | browser / settings |

A value that cannot be read never raises: it falls back to the default and yields a ``ParamNote`` the page
shows (in the user's language) so the user knows the link was partly ignored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from funnel.filters import DIMENSIONS, FunnelFilter
from funnel.metrics.context import GRAINS

LANGS = ("zh", "en")
DEFAULT_GRAIN = "month"
MAX_STALLED_DAYS = 3650
VIEW_PARAMS = ("from", "to", "grain", *(d.param for d in DIMENSIONS), "as_of", "stalled", "lang")  # all it owns


@dataclass(frozen=True)
class ParamNote:
    """One URL value that was not used: ``param``, the raw value, why (``problem`` code) and what was used."""

    param: str
    raw: str
    problem: str  # bad_date | bad_grain | bad_number | bad_lang | unknown_value | range_reversed
    fallback: str = ""


class ParsedView(NamedTuple):
    filter: FunnelFilter
    grain: str
    as_of: dt.date | None
    stalled_days: int | None
    lang: str | None
    notes: list[ParamNote]


def _values(params: Mapping[str, object], key: str) -> list[str]:
    raw = params.get(key)
    if raw is None:
        return []
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, Iterable):
        return [str(v) for v in raw]
    return [str(raw)]


def _last(params: Mapping[str, object], key: str) -> str | None:
    values = [v for v in _values(params, key)]
    return values[-1] if values else None


def parse_date(text: str) -> dt.date | None:
    """ISO date (``2024-03-01``; also ``2024/3/1``); None when it is not a real date."""
    text = text.strip().replace("/", "-")
    try:
        parts = [int(p) for p in text.split("-")]
        if len(parts) != 3:
            return None
        return dt.date(parts[0], parts[1], parts[2])
    except (ValueError, OverflowError):
        return None


def parse_query_params(params: Mapping[str, object],
                       known: Mapping[str, Iterable[str]] | None = None) -> ParsedView:
    """Read the view from query parameters (values are a string or a list of strings, as repeated keys give).

    ``known`` optionally maps dimension fields (``sources``, ``reps`` ...) to the values present in the data;
    a value not among them is dropped with a note (the view would otherwise be silently empty).
    Unknown parameter names are ignored.
    """
    notes: list[ParamNote] = []

    def read_date(key: str) -> dt.date | None:
        raw = _last(params, key)
        if raw is None or raw.strip() == "":
            return None
        value = parse_date(raw)
        if value is None:
            notes.append(ParamNote(key, raw, "bad_date"))
        return value

    date_from = read_date("from")
    date_to = read_date("to")
    if date_from and date_to and date_from > date_to:
        notes.append(ParamNote("from", f"{date_from.isoformat()} > {date_to.isoformat()}", "range_reversed"))
        date_from, date_to = None, None

    grain = DEFAULT_GRAIN
    raw_grain = _last(params, "grain")
    if raw_grain is not None and raw_grain.strip() != "":
        if raw_grain.strip().lower() in GRAINS:
            grain = raw_grain.strip().lower()
        else:
            notes.append(ParamNote("grain", raw_grain, "bad_grain", DEFAULT_GRAIN))

    as_of = read_date("as_of")

    stalled: int | None = None
    raw_stalled = _last(params, "stalled")
    if raw_stalled is not None and raw_stalled.strip() != "":
        try:
            number = int(raw_stalled.strip())
            if not 0 <= number <= MAX_STALLED_DAYS:
                raise ValueError
            stalled = number
        except ValueError:
            notes.append(ParamNote("stalled", raw_stalled, "bad_number"))

    lang: str | None = None
    raw_lang = _last(params, "lang")
    if raw_lang is not None and raw_lang.strip() != "":
        if raw_lang.strip().lower()[:2] in LANGS:
            lang = raw_lang.strip().lower()[:2]
        else:
            notes.append(ParamNote("lang", raw_lang, "bad_lang"))

    multi: dict[str, tuple[str, ...]] = {}
    for dim in DIMENSIONS:
        param, field_name = dim.param, dim.field
        values: list[str] = []
        allowed = set(known[field_name]) if known is not None and field_name in known else None
        for value in _values(params, param):
            if value == "" or value in values:
                continue
            if allowed is not None and value not in allowed:
                notes.append(ParamNote(param, value, "unknown_value"))
                continue
            values.append(value)
        multi[field_name] = tuple(values)

    flt = FunnelFilter(date_from=date_from, date_to=date_to, **multi)
    return ParsedView(flt, grain, as_of, stalled, lang, notes)


def filter_to_query_params(flt: FunnelFilter, grain: str = DEFAULT_GRAIN, as_of: dt.date | None = None,
                           stalled_days: int | None = None, lang: str | None = None) -> dict[str, object]:
    """The view as query parameters; defaults (None, empty, month) are left out so links stay short.

    Round trip: ``parse_query_params(filter_to_query_params(f, ...))`` gives back the same values.
    """
    out: dict[str, object] = {}
    if flt.date_from is not None:
        out["from"] = flt.date_from.isoformat()
    if flt.date_to is not None:
        out["to"] = flt.date_to.isoformat()
    if grain != DEFAULT_GRAIN:
        out["grain"] = grain
    for dim in DIMENSIONS:
        values = list(flt.values(dim))
        if values:
            out[dim.param] = values if len(values) > 1 else values[0]
    if as_of is not None:
        out["as_of"] = as_of.isoformat()
    if stalled_days is not None:
        out["stalled"] = str(int(stalled_days))
    if lang is not None:
        out["lang"] = lang
    return out


def lang_from_locale(locale: str | None) -> str | None:
    """``zh-CN`` / ``zh_TW`` / ``zh`` -> zh; any other known locale -> en; None when the browser sent none."""
    if not locale:
        return None
    return "zh" if str(locale).lower().startswith("zh") else "en"

