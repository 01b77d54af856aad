"""Dates far outside the rest of a file's data (``funnel.data_range``): each is a warning, kept as written.

A date that could be read but lies half a year beyond what every other lead's dates span (a typed year
like ``2042``, ``1924``) is most likely a typo. It stays in the data (it is not impossible), and the import
lists it with row, column, value and problem so the user can check it; the default as-of date ignores it
anyway (docs/metrics.md).

``far_date_warnings(facts)``: ``facts`` is a list of ``DateFacts`` (one per date column or activity list),
output one warning dict per far date (WARNING_FIELDS).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from funnel.data_range import FAR_DAYS, bulk_range
from funnel.ingest.problems import warning


@dataclass
class DateFacts:
    """One date column (or activity list). ``rows`` and ``raw`` are asked only for the far dates: each is
    an array / list with one item per date, or a function of the positions wanted (so a list of millions of
    activities never has its text written out for the few dates that warn)."""

    lead_ids: np.ndarray      # object, one per date; or int64 lead keys (the same key = the same lead)
    dates: np.ndarray         # datetime64, NaT allowed (ignored)
    rows: np.ndarray | Callable[[np.ndarray], np.ndarray]   # row number in the file, one per date
    column: str               # the column name the user sees
    raw: list[str] | Callable[[np.ndarray], list]          # the value as written, one per date


def _at(values, positions: np.ndarray) -> list:
    return list(values(positions)) if callable(values) else [values[p] for p in positions]


def _lead_keys(facts: list[DateFacts]) -> list[np.ndarray]:
    """Integer lead keys per fact: given, or the text IDs factorized together (grouping on integers)."""
    if all(np.asarray(f.lead_ids).dtype.kind in "iu" for f in facts):
        return [np.asarray(f.lead_ids) for f in facts]
    codes, _ = pd.factorize(np.concatenate([np.asarray(f.lead_ids, dtype=object) for f in facts]))
    return np.split(codes, np.cumsum([len(f.lead_ids) for f in facts])[:-1])


def _span_by_sorted_keys(keys: list[np.ndarray], dates: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
    """(earliest, latest) date per lead with a date, when each fact's integer keys come in lead order (a lead
    file's columns and its activities do): one pass per fact, no grouping. None when they do not."""
    top = -1
    for k in keys:
        if k.dtype.kind not in "iu" or (len(k) and (k[1:] < k[:-1]).any()):
            return None
        top = max(top, int(k[-1]) if len(k) else -1)
    low = np.full(top + 1, np.iinfo(np.int64).max, dtype=np.int64)
    high = np.full(top + 1, np.iinfo(np.int64).min, dtype=np.int64)  # = NaT: no date
    for k, d in zip(keys, dates):
        known = ~np.isnat(d) & (k >= 0)  # a missing lead ID (code -1) is no lead
        k, values = k[known], d.view(np.int64)[known]
        if len(k) == 0:
            continue
        starts = np.flatnonzero(np.concatenate(([True], k[1:] != k[:-1])))
        lead = k[starts]
        low[lead] = np.minimum(low[lead], np.minimum.reduceat(values, starts))
        high[lead] = np.maximum(high[lead], np.maximum.reduceat(values, starts))
    dated = high != np.iinfo(np.int64).min
    return low[dated].view("datetime64[ns]"), high[dated].view("datetime64[ns]")


def far_date_warnings(facts: list[DateFacts]) -> list[dict]:
    facts_dated = [f for f in facts if len(f.dates)]
    if not facts_dated:
        return []
    keys = _lead_keys(facts_dated)
    dates = [np.asarray(f.dates, dtype="datetime64[ns]") for f in facts_dated]
    span = _span_by_sorted_keys(keys, dates)
    if span is None:  # keys not in lead order: grouped
        keys, dates = np.concatenate(keys), np.concatenate(dates)
        known = ~np.isnat(dates) & (keys >= 0)  # a missing lead ID (code -1) is no lead
        per_lead = pd.DataFrame({"lead": keys[known], "d": dates[known]}).groupby("lead", sort=False)["d"] \
            .agg(["min", "max"])
        span = per_lead["min"].to_numpy(), per_lead["max"].to_numpy()
    if len(span[0]) == 0:
        return []
    bulk = bulk_range(*span)
    if bulk is None:
        return []
    margin = np.timedelta64(FAR_DAYS, "D")
    low, high = (bulk[0] - margin).astype("datetime64[ns]"), (bulk[1] + margin + 1).astype("datetime64[ns]")

    out = []
    for fact in facts:
        dates = np.asarray(fact.dates, dtype="datetime64[ns]")
        far = ~np.isnat(dates) & ((dates < low) | (dates >= high))
        positions = np.flatnonzero(far)
        if len(positions) == 0:
            continue
        for row, raw in zip(_at(fact.rows, positions), _at(fact.raw, positions)):
            out.append(warning(int(row), fact.column, str(raw), code="date_far", start=str(bulk[0]),
                               end=str(bulk[1])))
    return out
