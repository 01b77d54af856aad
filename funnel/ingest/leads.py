"""Lead rows (formats template, wide, and mapped lead files): one output row per lead (LEAD_FIELDS)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

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
    kept, superseded, sup_reasons = keep_last_per_key(ids.where(~no_id), table)
    reject_pos.append(superseded)
    reasons += sup_reasons
    positions = np.concatenate(reject_pos).astype(int)
    order = np.argsort(positions, kind="stable")
    rejects = reject_frame(table, positions[order], [reasons[i] for i in order])
    accepted = np.flatnonzero(kept & ~no_id)
    leads = values.iloc[accepted].reset_index(drop=True)
    return to_lead_frame(leads), accepted, rejects


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
