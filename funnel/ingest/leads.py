"""Lead rows (formats template, wide, and mapped lead files): one output row per lead (LEAD_FIELDS)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from funnel.ingest.batch import LEAD_FIELDS
from funnel.ingest.problems import reject_reason
from funnel.ingest.rows import keep_last_per_key, reject_frame
from funnel.ingest.table import Table


def lead_rows(values: pd.DataFrame, table: Table) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """Accept rows with a lead ID, the last row per ID winning.

    Returns (leads, accepted positions into ``values``, rejects).
    """
    ids = values["lead_id"] if "lead_id" in values else pd.Series(None, index=values.index, dtype=object)
    no_id = ids.isna().to_numpy()
    reject_pos = [np.flatnonzero(no_id)]
    reasons = [reject_reason("no_lead_id")] * int(no_id.sum())
    if _distinct_as_written(ids, no_id, table):  # no row supersedes another: no hashing of 1M IDs again
        kept, superseded, sup_reasons = np.ones(len(ids), dtype=bool), np.zeros(0, dtype=np.int64), []
    else:
        kept, superseded, sup_reasons = keep_last_per_key(ids.where(~no_id), table)
    reject_pos.append(superseded)
    reasons += sup_reasons
    positions = np.concatenate(reject_pos).astype(int)
    order = np.argsort(positions, kind="stable")
    rejects = reject_frame(table, positions[order], [reasons[i] for i in order])
    accepted = np.flatnonzero(kept & ~no_id)
    leads = values.iloc[accepted].reset_index(drop=True)
    return to_lead_frame(leads), accepted, rejects


def _distinct_as_written(ids: pd.Series, no_id: np.ndarray, table: Table) -> bool:
    """True when the lead IDs are known to differ from row to row: each ID cell occurs once in the file (its
    codes, counted in C) and every ID is its cell unchanged (so cleaning made no two IDs equal)."""
    column = table.field_columns.get("lead_id")
    if column is None or column not in table.factored() or not isinstance(ids.dtype, pd.ArrowDtype) \
            or not len(ids):
        return False
    codes, uniques = table.factor(column)
    if len(codes) != len(ids) or np.bincount(codes, minlength=len(uniques)).max() > 1:
        return False
    return _as_written(ids, no_id, table, column)


def codes_as_written(ids: pd.Series, no_id: np.ndarray, table: Table) -> np.ndarray | None:
    """The codes of the lead-ID cells (``Table.factor``, computed already) when every ID is its cell unchanged,
    so that two rows with an ID share it exactly when they share a code; None when that is not known."""
    column = table.field_columns.get("lead_id")
    if column is None or column not in table.factored() or not isinstance(ids.dtype, pd.ArrowDtype):
        return None
    codes = table.factor(column)[0]
    return codes if len(codes) == len(ids) and _as_written(ids, no_id, table, column) else None


def _as_written(ids: pd.Series, no_id: np.ndarray, table: Table, column: int) -> bool:
    cells = pa.array(table.cells[column].array)
    same = pc.equal(pa.array(ids.array), cells.cast(pa.large_string()))
    return bool(pc.all(pc.or_kleene(same, pa.array(no_id))).as_py())


def first_seen(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(each row's key numbered by first appearance, as ``pd.factorize`` numbers its values; the positions of
    those first appearances, as ``drop_duplicates`` keeps them) of non-negative integer ``codes``: no hashing."""
    count = len(codes)
    if count == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    first = np.full(int(codes.max()) + 1, count, dtype=np.intp)
    np.minimum.at(first, codes, np.arange(count, dtype=np.intp))
    positions = np.flatnonzero(first[codes] == np.arange(count))
    number = np.zeros(len(first), dtype=np.intp)
    number[codes[positions]] = np.arange(len(positions))
    return number[codes], positions


def to_lead_frame(values: pd.DataFrame) -> pd.DataFrame:
    """Only LEAD_FIELDS, in order; absent fields None (dates NaT)."""
    out = pd.DataFrame(index=values.index)
    for name in LEAD_FIELDS:
        if name in values:
            out[name] = values[name]
        elif name in ("acquired_at", "stage_entered_at", "expected_close", "lost_at"):
            out[name] = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
        elif name in ("cycle_days_reported", "amount"):
            out[name] = pd.Series(np.nan, index=values.index, dtype="float64")
        else:  # empty text, in Arrow as the converters give text (no object per row)
            out[name] = pd.Series(pd.arrays.ArrowExtensionArray(pa.nulls(len(values), pa.large_string())),
                                  index=values.index)
    for name in ("cycle_days_reported", "amount"):
        out[name] = pd.to_numeric(out[name], errors="coerce").astype("float64")
    for name in out.columns:
        if out[name].dtype == object:
            out[name] = out[name].astype(object).where(out[name].notna(), None)
    return out.reset_index(drop=True)
