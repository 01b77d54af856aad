"""Rows that repeat an earlier row, found on integer keys: a file's activities made distinct in the parse.

``repeated_rows(group, keys)`` -> bool per row: True where an earlier row has the same ``group`` and the same
value in every key. The store writes a file's activities distinct; where the parse hands it this mark it
leaves the marked rows out instead of a DISTINCT over the rows' text (at 1M leads 5.1M rows, 7,235 of them
repeats: the DISTINCT cost about 3 s CPU of the insert, this about 0.25 s).

How: each row's keys hashed to 64 bits, the group in the high bits above the hash's top bits; the rows sorted
by that (a file's activities come in lead order with a few per lead, so the sort meets almost sorted data);
rows whose value equals a neighbour's are the candidates, and only they are compared key for key (a hash
collision makes a candidate, never a repeat).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_MIX = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit constant (golden ratio): a multiply spreads every bit up


def repeated_rows(group: np.ndarray, keys: list[np.ndarray]) -> np.ndarray:
    """bool per row: an earlier row has the same ``group`` (ints >= 0) and the same value in each of ``keys``
    (int64 arrays, as long as ``group``)."""
    n = len(group)
    repeated = np.zeros(n, dtype=bool)
    if n < 2:
        return repeated
    group = np.asarray(group, dtype=np.int64)
    group_bits = max(int(group.max()).bit_length(), 1)
    if group.min() < 0 or group_bits > 40:  # (never for a file's leads) the group hashed with the keys
        keys, group, group_bits = [group, *keys], np.zeros(n, dtype=np.int64), 0
    value = _hash(keys, n) >> np.uint64(group_bits)
    if group_bits:
        value |= group.astype(np.uint64) << np.uint64(64 - group_bits)
    order = np.argsort(value, kind="stable")
    value = value[order]
    same = np.flatnonzero(value[1:] == value[:-1])
    if len(same) == 0:
        return repeated
    candidates = np.unique(np.concatenate([order[same], order[same + 1]]))  # ascending: the rows' order
    columns = {"group": group[candidates], **{f"k{i}": np.asarray(k)[candidates] for i, k in enumerate(keys)}}
    repeated[candidates] = pd.DataFrame(columns, copy=False).duplicated().to_numpy()
    return repeated


def _hash(keys: list[np.ndarray], n: int) -> np.ndarray:
    """A 64-bit mix of the keys of each row (uint64)."""
    value = np.zeros(n, dtype=np.uint64)
    for key in keys:
        value ^= np.asarray(key, dtype=np.int64).view(np.uint64)
        value *= _MIX
        value ^= value >> np.uint64(29)
    return value
