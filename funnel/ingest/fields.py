"""Canonical fields of a Table: the raw text per field (mapping constants and conditions applied), and its
conversion to typed values with one warning per bad cell.

``raw_fields`` output: one row per data row, one column per canonical field present (text as written).
``convert_fields`` output: one row per data row, typed values (dates datetime64, numbers float, text Arrow-backed
with null for None: each distinct value converted once and taken by the rows' codes, no Python ``str`` per row).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from funnel.ingest.dates import parse_dates
from funnel.ingest.headers import header_key
from funnel.ingest.profiles import FileMapping
from funnel.ingest.problems import english, warning
from funnel.ingest.table import Table
from funnel.ingest.values import number_value, status_value
from funnel.stages import StageConfig
from funnel.ingest.text_many import arrow_backed, clean_person_arrow, clean_text_arrow, present_text_arrow
from funnel.text import clean_text, fold

DATE_FIELDS = ("acquired_at", "stage_entered_at", "expected_close", "lost_at", "entered_at")
PERSON_FIELDS = ("rep", "manager")
NUMBER_FIELDS = ("cycle_days_reported", "amount")
STAGE_FIELDS = ("current_stage", "stage")
# the fields not converted as plain text (clean_text / clean_person, in Arrow): every other field is
NOT_TEXT_FIELDS = frozenset(DATE_FIELDS + NUMBER_FIELDS + STAGE_FIELDS + ("status_reported", "key_actions"))


@dataclass
class RawFields:
    values: pd.DataFrame                       # field -> raw text
    sources: dict[str, int] = field(default_factory=dict)  # field -> table column it was copied from unchanged
    labels: dict[str, str] = field(default_factory=dict)   # field -> column name for warnings


def when_mask(table: Table, when: dict[str, list[str]]) -> pd.Series:
    """Rows where every named file column holds one of the listed values (compared folded)."""
    mask = pd.Series(True, index=table.cells.index)
    keys = {header_key(h): i for i, h in reversed(list(enumerate(table.headers)))}
    for column, allowed in when.items():
        index = keys.get(header_key(column))
        if index is None:
            return pd.Series(False, index=table.cells.index)
        folded = {fold(a) for a in allowed}
        mask &= table.cells[index].map(lambda v: fold(str(v)) in folded)
    return mask


def raw_fields(table: Table, mapping: FileMapping | None) -> RawFields:
    values = pd.DataFrame(index=table.cells.index)
    labels, sources = {}, {}
    for name, index in table.field_columns.items():
        values[name] = table.cells[index]
        labels[name] = table.column_label(index)
        sources[name] = index
    if mapping:
        keys = {header_key(h): i for i, h in reversed(list(enumerate(table.headers)))}
        for rule in mapping.fields:
            index = keys.get(header_key(rule.column))
            if index is None:
                table.notes.append(f"mapping: column {rule.column!r} not found in the file")
                continue
            mask = when_mask(table, rule.when)
            current = values[rule.to] if rule.to in values else pd.Series("", index=values.index, dtype=object)
            values[rule.to] = current.where(~mask, table.cells[index])
            sources.pop(rule.to, None)
            labels.setdefault(rule.to, table.column_label(index))
        for name, constant in mapping.constants.items():
            from funnel.ingest.headers import match_header
            target = match_header(name) or name
            values[target] = constant
            sources.pop(target, None)
            labels[target] = f"{name} (constant)"
    return RawFields(values, sources, labels)


def _map_unique(series: pd.Series, func, factors=None, text: bool = False,
                number: bool = False) -> tuple[pd.Series, pd.Series]:
    """Apply ``func(raw) -> (value, problem)`` once per distinct value; problems None when there are none.
    ``text``: the values are str / None, handed on as Arrow-backed text; ``number``: float / None, handed on as
    float64 (None as NaN, as the lead frame holds them)."""
    codes, uniques = factors or pd.factorize(series.astype(object).where(series.notna(), ""))
    results = [func(u) for u in uniques]
    if text:
        values = by_codes(pa.array([r[0] for r in results], type=pa.large_string()), codes, series.index)
    elif number:
        floats = np.array([np.nan if r[0] is None else r[0] for r in results] + [np.nan], dtype=np.float64)
        values = pd.Series(floats[codes], index=series.index)
    else:
        values = pd.Series(np.array([r[0] for r in results] + [None], dtype=object)[codes], index=series.index,
                           dtype=object)
    if all(r[1] is None for r in results):  # per distinct value: no problem anywhere
        return values, None
    problems = np.array([r[1] for r in results] + [None], dtype=object)[codes]
    return values, pd.Series(problems, index=series.index, dtype=object)


def _map_many(series: pd.Series, func_arrow, factors=None, by_row: bool = False,
              known=None) -> tuple[pd.Series, pd.Series]:
    """Apply ``func_arrow(distinct values, known) -> Arrow text`` once over the distinct values (``by_row``: over
    the cells themselves; ``known``: ``simple_text`` of the distinct values of ``factors``, when computed
    before); (values as Arrow-backed text, None: no problems)."""
    if by_row:
        return pd.Series(pd.arrays.ArrowExtensionArray(func_arrow(series.array)), index=series.index), None
    codes, uniques = factors or pd.factorize(series.astype(object).where(series.notna(), ""))
    distinct = uniques if arrow_backed(uniques) else np.asarray(uniques, dtype=object)  # Arrow text stays Arrow
    return by_codes(func_arrow(distinct, known if factors is not None else None), codes, series.index), None


def mostly_distinct(cells: pd.Series, sample: int = 10_000) -> bool:
    """Arrow-backed cells of which more than half of the first ``sample`` differ (a larger column only)."""
    if len(cells) <= sample or not arrow_backed(cells):
        return False
    head = cells.iloc[:sample]
    return head.nunique(dropna=False) > len(head) // 2


def by_codes(distinct: pa.Array, codes: np.ndarray, index: pd.Index) -> pd.Series:
    """The value of each row (``distinct`` taken by the row's code; code -1: null) as Arrow-backed text: no
    Python object per row."""
    indices = pa.array(codes, mask=codes < 0) if len(codes) and codes.min() < 0 else pa.array(codes)
    return pd.Series(pd.arrays.ArrowExtensionArray(distinct.take(indices)), index=index)


def convert_fields(raw: RawFields, table: Table, stages: StageConfig, mapping: FileMapping | None) -> pd.DataFrame:
    """Typed values per field; a bad cell is left empty and listed in ``table.warnings``."""
    out = pd.DataFrame(index=raw.values.index)
    stage_map = {fold(k): v for k, v in (mapping.stages if mapping else {}).items()}
    status_map = {fold(k): v for k, v in (mapping.statuses if mapping else {}).items()}
    known_stages = ", ".join(s.name_zh for s in stages.stages)
    for name in raw.values.columns:
        col = raw.values[name]  # str or object: the converters read distinct values or Arrow, never all cells
        source = raw.sources.get(name) if name != "key_actions" else None
        # text of mostly distinct values (phone numbers) converted row by row in Arrow: factorizing would cost
        # more than it saves (a column factorized already, as the lead ID is, keeps its codes)
        by_row = name not in NOT_TEXT_FIELDS and source is not None and source not in table.factored() \
            and mostly_distinct(col)
        factors = table.factor(source) if source is not None and not by_row else None
        # simple_text of the distinct values, when the row checks read them already (the lead ID)
        known = table.simple(source) if factors is not None and source in table.simple_done() else None
        if name in DATE_FIELDS:
            values, problems = parse_dates(col, table.date1904, factors)
        elif name in PERSON_FIELDS:
            values, problems = _map_many(col, clean_person_arrow, factors, by_row, known)
        elif name in NUMBER_FIELDS:
            values, problems = _map_unique(col, number_value, factors, number=True)
        elif name in STAGE_FIELDS:
            def resolve(v, _map=stage_map):
                text = clean_text(v)
                if text is None:
                    return None, None
                # a space inside a Chinese name (需求 挖掘) is a stray one: retry without spaces
                key = _map.get(fold(text)) or stages.resolve(text) or stages.resolve("".join(text.split()))
                if key is None or key not in stages.keys:
                    return None, english("stage_unknown", names=known_stages)
                return key, None
            values, problems = _map_unique(col, resolve, factors, text=True)
        elif name == "status_reported":
            values, problems = _map_unique(col, lambda v: status_value(v, status_map), factors, text=True)
        elif name == "key_actions":  # long free text, nearly all distinct: no dedupe, kept in Arrow
            values, problems = present_text_arrow(col), None
        else:
            values, problems = _map_many(col, clean_text_arrow, factors, by_row, known)
        out[name] = values
        bad = problems.notna().to_numpy() if problems is not None else np.zeros(0, dtype=bool)
        if bad.any():
            label = raw.labels.get(name, name)
            for pos in np.flatnonzero(bad):
                coded = {"code": "stage_unknown", "names": known_stages} if name in STAGE_FIELDS else \
                    {"sentence": problems.iat[pos]}
                table.warnings.append(warning(int(table.row_numbers[pos]), label, str(col.iat[pos]), **coded))
    _warn_missing_formulas(table, raw)
    return out


def _warn_missing_formulas(table: Table, raw: RawFields) -> None:
    for r, c in sorted(table.missing_formulas):
        if r < len(table.row_numbers):
            table.warnings.append(warning(int(table.row_numbers[r]), table.column_label(c), "",
                                          code="formula_no_result"))
