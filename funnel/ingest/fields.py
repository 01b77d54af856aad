"""Canonical fields of a Table: the raw text per field (mapping constants and conditions applied), and its
conversion to typed values with one warning per bad cell.

``raw_fields`` output: one row per data row, one column per canonical field present (text as written).
``convert_fields`` output: one row per data row, typed values (dates datetime64, numbers float, text str/None).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from funnel.ingest.dates import parse_dates
from funnel.ingest.headers import header_key
from funnel.ingest.profiles import FileMapping
from funnel.ingest.problems import english, warning
from funnel.ingest.table import Table
from funnel.ingest.values import number_value, status_value
from funnel.stages import StageConfig
from funnel.ingest.text_many import arrow_backed, clean_person_many, clean_text_many, present_text_arrow
from funnel.text import clean_text, fold

DATE_FIELDS = ("acquired_at", "stage_entered_at", "expected_close", "lost_at", "entered_at")
PERSON_FIELDS = ("rep", "manager")
NUMBER_FIELDS = ("cycle_days_reported", "amount")
STAGE_FIELDS = ("current_stage", "stage")


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


def _map_unique(series: pd.Series, func, factors=None) -> tuple[pd.Series, pd.Series]:
    """Apply ``func(raw) -> (value, problem)`` once per distinct value; problems None when there are none."""
    codes, uniques = factors or pd.factorize(series.astype(object).where(series.notna(), ""))
    results = [func(u) for u in uniques]
    values = np.array([r[0] for r in results] + [None], dtype=object)[codes]
    if all(r[1] is None for r in results):  # per distinct value: no problem anywhere
        return pd.Series(values, index=series.index, dtype=object), None
    problems = np.array([r[1] for r in results] + [None], dtype=object)[codes]
    return pd.Series(values, index=series.index, dtype=object), pd.Series(problems, index=series.index, dtype=object)


def _map_many(series: pd.Series, func_many, factors=None) -> tuple[pd.Series, pd.Series]:
    """Apply ``func_many(distinct values) -> values`` once over the distinct values; (values, None: no
    problems)."""
    codes, uniques = factors or pd.factorize(series.astype(object).where(series.notna(), ""))
    distinct = uniques if arrow_backed(uniques) else np.asarray(uniques, dtype=object)  # Arrow text stays Arrow
    values = np.append(func_many(distinct), None).astype(object)[codes]
    return pd.Series(values, index=series.index, dtype=object), None


def convert_fields(raw: RawFields, table: Table, stages: StageConfig, mapping: FileMapping | None) -> pd.DataFrame:
    """Typed values per field; a bad cell is left empty and listed in ``table.warnings``."""
    out = pd.DataFrame(index=raw.values.index)
    stage_map = {fold(k): v for k, v in (mapping.stages if mapping else {}).items()}
    status_map = {fold(k): v for k, v in (mapping.statuses if mapping else {}).items()}
    known_stages = ", ".join(s.name_zh for s in stages.stages)
    for name in raw.values.columns:
        col = raw.values[name]  # str or object: the converters read distinct values or Arrow, never all cells
        factors = table.factor(raw.sources[name]) if name in raw.sources and name != "key_actions" else None
        if name in DATE_FIELDS:
            values, problems = parse_dates(col, table.date1904, factors)
        elif name in PERSON_FIELDS:
            values, problems = _map_many(col, clean_person_many, factors)
        elif name in NUMBER_FIELDS:
            values, problems = _map_unique(col, number_value, factors)
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
            values, problems = _map_unique(col, resolve, factors)
        elif name == "status_reported":
            values, problems = _map_unique(col, lambda v: status_value(v, status_map), factors)
        elif name == "key_actions":  # long free text, nearly all distinct: no dedupe, kept in Arrow
            values, problems = present_text_arrow(col), None
        else:
            values, problems = _map_many(col, clean_text_many, factors)
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
