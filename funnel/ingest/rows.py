"""Row-level acceptance shared by the formats: rows without a key are rejected, and in files with one row per
lead (or per rep) an earlier row with the same key is rejected as superseded by the later one.

Output of ``reject_rows``: the rejects frame, one row per rejected input row (row_number, raw_values, reason).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from funnel.ingest.batch import REJECT_FIELDS, empty_frame
from funnel.ingest.problems import reject_reason
from funnel.ingest.table import Table


def reject_frame(table: Table, positions: np.ndarray, reasons: list[tuple[str, str, str | None]]) -> pd.DataFrame:
    """``reasons``: one (sentence, code, params) per position (funnel.ingest.problems.reject_reason)."""
    if len(positions) == 0:
        return empty_frame(REJECT_FIELDS)
    sentences, codes, params = zip(*reasons)
    return pd.DataFrame({"row_number": table.row_numbers[positions].astype(int),
                         "raw_values": table.raw_json(positions), "reason": list(sentences), "code": list(codes),
                         "params": list(params)})


def keep_last_per_key(keys: pd.Series, table: Table) -> tuple[np.ndarray, np.ndarray, list[tuple]]:
    """(kept mask, superseded positions, reasons) where the last row of each key wins."""
    present = keys.notna().to_numpy()
    dup_earlier = keys.duplicated(keep="last").to_numpy() & present
    positions = np.flatnonzero(dup_earlier)
    if len(positions) == 0:
        return ~dup_earlier, positions, []
    last_pos = pd.Series(np.arange(len(keys)), index=keys.index).groupby(keys.to_numpy()).last()
    winners = last_pos.reindex(keys.iloc[positions].to_numpy()).to_numpy()
    reasons = [reject_reason("superseded", row=int(table.row_numbers[w]), key=repr(k))
               for w, k in zip(winners, keys.iloc[positions])]
    return ~dup_earlier, positions, reasons
