"""Dates far outside the rest of a file's data (``funnel.data_range``): each is a warning, kept as written.

A date that could be read but lies half a year beyond what every other lead's dates span (a typed year
like ``2042``, ``1924``) is most likely a typo. It stays in the data (it is not impossible), and the import
lists it with row, column, value and problem so the user can check it; the default as-of date ignores it
anyway (docs/metrics.md).

``far_date_warnings(facts)``: ``facts`` is a list of ``DateFacts`` (one per date column or activity list),
output one warning dict per far date (WARNING_FIELDS).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from funnel.data_range import FAR_DAYS, bulk_range
from funnel.ingest.problems import warning

@dataclass
class DateFacts:
    lead_ids: np.ndarray      # object, one per date
    dates: np.ndarray         # datetime64, NaT allowed (ignored)
    rows: np.ndarray          # row number in the file, one per date
    column: str               # the column name the user sees
    raw: list[str]            # the value as written, one per date


def far_date_warnings(facts: list[DateFacts]) -> list[dict]:
    parts = [pd.DataFrame({"lead_id": f.lead_ids, "d": np.asarray(f.dates, dtype="datetime64[ns]")})
             for f in facts if len(f.dates)]
    if not parts:
        return []
    every = pd.concat(parts, ignore_index=True).dropna()
    if every.empty:
        return []
    per_lead = every.groupby("lead_id", sort=False)["d"].agg(["min", "max"])
    bulk = bulk_range(per_lead["min"].to_numpy(), per_lead["max"].to_numpy())
    if bulk is None:
        return []
    margin = np.timedelta64(FAR_DAYS, "D")
    low, high = (bulk[0] - margin).astype("datetime64[ns]"), (bulk[1] + margin + 1).astype("datetime64[ns]")

    out = []
    for fact in facts:
        dates = np.asarray(fact.dates, dtype="datetime64[ns]")
        far = ~np.isnat(dates) & ((dates < low) | (dates >= high))
        for pos in np.flatnonzero(far):
            out.append(warning(int(fact.rows[pos]), fact.column, str(fact.raw[pos]), code="date_far",
                               start=str(bulk[0]), end=str(bulk[1])))
    return out
