"""From a grid of text cells to a ``Table``: the header row found, columns matched to canonical fields, and the
rows that are not data (blank, totals, exact duplicates) set aside.

One row of ``Table.cells`` = one data row of the file; ``Table.row_numbers`` holds the row number a user sees in
Excel (the header row counted; for a CSV the record number).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from funnel.ingest.batch import ImportError_
from funnel.ingest.headers import header_key, match_header, required_columns_message, wide_stage
from funnel.ingest.profiles import FileMapping
from funnel.ingest.problems import warning
from funnel.ingest.text_many import Simple, collapsed_spaces, missing_many, simple_text
from funnel.stages import StageConfig
from funnel.text import fold

HEADER_SEARCH_ROWS = 20
TOTAL_WORDS = frozenset({"合计", "总计", "小计", "total", "totals", "grand total", "sum", "subtotal"})


@dataclass
class Table:
    file_name: str
    headers: list[str]                      # header cells as written (merged cells filled)
    cells: pd.DataFrame                     # data rows, columns 0..n-1, str
    row_numbers: np.ndarray                 # Excel row number of each data row
    field_columns: dict[str, int] = field(default_factory=dict)   # canonical field -> column index
    wide_columns: dict[int, str] = field(default_factory=dict)    # column index -> stage key
    date1904: bool = False
    notes: list[str] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    rows_read: int = 0
    rows_blank: int = 0
    rows_duplicate: int = 0
    missing_formulas: set[tuple[int, int]] = field(default_factory=set)  # (grid row, col)
    _factors: dict = field(default_factory=dict, repr=False)
    _simple: dict = field(default_factory=dict, repr=False)

    def factor(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """(codes, distinct values) of a column of ``cells``, computed once per column."""
        if index not in self._factors:
            self._factors[index] = pd.factorize(self.cells[index], use_na_sentinel=False)
        return self._factors[index]

    def simple(self, index: int) -> Simple:
        """``text_many.simple_text`` of the column's distinct values (``factor``), computed once per column:
        the row checks and the conversion read the lead IDs' 1M distinct values three times."""
        if index not in self._simple:
            self._simple[index] = simple_text(self.factor(index)[1])
        return self._simple[index]

    def simple_done(self) -> set[int]:
        """The columns whose ``simple`` is computed already."""
        return set(self._simple)

    def factored(self) -> set[int]:
        """The columns whose codes are computed already."""
        return set(self._factors)

    def keep_rows(self, mask: np.ndarray) -> None:
        if mask.all():  # nothing set aside: no copy of the cells (Arrow text would copy every string)
            return
        self.cells = self.cells[mask].reset_index(drop=True)
        self.row_numbers = self.row_numbers[mask]
        self._factors = {k: (codes[mask], uniques) for k, (codes, uniques) in self._factors.items()}  # (the
        # distinct values, and so ``simple``, stay)

    def keep_cells_of(self, columns: set[int]) -> None:
        """Let go of the cells of every other column and of the codes computed so far (``factor``, ``simple``):
        for what is read once the rows are built (a lead file's rest: the far-date warnings' raw text)."""
        self.cells = self.cells[[c for c in self.cells.columns if c in columns]]
        self._factors, self._simple = {}, {}

    def column_label(self, index: int) -> str:
        return self.headers[index] or f"column {_letters(index)}"

    def raw_json(self, positions: np.ndarray) -> list[str]:
        """raw_values for data rows at ``positions``: JSON object of the cells keyed by header."""
        keys, seen = [], set()
        for i, h in enumerate(self.headers):
            key = h or f"column {_letters(i)}"
            if key in seen:
                key = f"{key} (column {_letters(i)})"
            seen.add(key)
            keys.append(key)
        sub = self.cells.iloc[positions]
        return [json.dumps(dict(zip(keys, row)), ensure_ascii=False) for row in sub.itertuples(index=False)]


def _letters(index: int) -> str:
    out, n = "", index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def _fill_merged(grid: pd.DataFrame, merged: list, limit: int) -> pd.DataFrame:
    """Copy each merged range's top-left value into the range's cells (top rows only: headers)."""
    if not merged:
        return grid
    updates: dict[int, dict[int, str]] = {}  # column -> row -> value, set once per column below (Arrow-backed
    # text would copy the column on every cell set)

    def current(r: int, c: int):
        return updates[c][r] if r in updates.get(c, ()) else grid.iat[r, c]

    for (r0, c0), (r1, c1) in merged:
        # a range starting outside the grid (empty merged cells right of or below the data: calamine's grid ends
        # at the last cell with a value) has no value to copy
        if r0 >= limit or r0 >= len(grid) or c0 >= grid.shape[1]:
            continue
        value = current(r0, c0)
        for r in range(r0, min(r1, len(grid) - 1) + 1):
            for c in range(c0, min(c1, grid.shape[1] - 1) + 1):
                if current(r, c) == "":
                    updates.setdefault(c, {})[r] = value
    grid = grid.copy()
    for c, cells in updates.items():
        # the column's top rows up to the last one set, then the rest as it is (setting cells of Arrow-backed
        # text in place rewrote the whole column: 17 columns x 100k rows for a merged title row, 0.17 s CPU)
        column = grid.iloc[:, c]
        end = max(cells) + 1
        top = column.iloc[:end].tolist()
        for r, value in cells.items():
            top[r] = value
        filled = pd.concat([pd.Series(top, dtype=column.dtype), column.iloc[end:]], ignore_index=True)
        grid.isetitem(c, filled.array)
    return grid


def _known(cell: str, stages: StageConfig, mapped: dict[str, list[str]]) -> bool:
    return bool(cell.strip()) and (header_key(cell) in mapped or match_header(cell) is not None
                                   or wide_stage(cell, stages) is not None)


def header_score(cells: list[str], stages: StageConfig, mapped: dict[str, list[str]] | None = None) -> int:
    return sum(1 for c in cells if _known(str(c), stages, mapped or {}))


def build_table(file_name: str, grid: pd.DataFrame, stages: StageConfig, mapping: FileMapping | None,
                merged: list | None = None, date1904: bool = False,
                missing_formulas: set | None = None) -> Table:
    """Find the header row (the row among the first 20 matching the most known headers), match columns."""
    mapped = mapping.column_targets() if mapping else {}
    if grid.empty or grid.shape[1] == 0:
        raise ImportError_(f"{file_name}: the file is empty. Export the lead list with its header row and "
                           "try again.")
    grid = _fill_merged(grid, merged or [], HEADER_SEARCH_ROWS)
    top = grid.head(HEADER_SEARCH_ROWS)
    scores = [header_score(list(row), stages, mapped) for row in top.itertuples(index=False)]
    best = int(np.argmax(scores)) if scores else 0
    if not scores or scores[best] == 0:
        found = [c for c in grid.iloc[0] if str(c).strip()] if len(grid) else []
        raise ImportError_(f"{file_name}: no known column was found (header seen: {', '.join(found[:12]) or 'none'}). "
                           f"Required: {required_columns_message()}. If the file uses other column names, "
                           "map them with a mapping profile (--mapping PROFILE.toml).")
    headers = [str(c).strip() for c in grid.iloc[best]]
    start = best + 1
    # Two-row header (merged group titles above sub-headers): take sub-headers that are known.
    if start < len(grid):
        below = [str(c).strip() for c in grid.iloc[start]]
        gained = [i for i, c in enumerate(below)
                  if _known(c, stages, mapped) and (not _known(headers[i], stages, mapped) or headers[i] == "")]
        if len(gained) >= 2 and header_score(below, stages, mapped) >= 2:
            for i in gained:
                headers[i] = below[i]
            start += 1
    cells = grid.iloc[start:].reset_index(drop=True)
    table = Table(file_name, headers, cells, np.arange(start + 1, len(grid) + 1), date1904=date1904)
    if best > 0:
        table.notes.append(f"header found on row {best + 1}; {best} row(s) above it (a title) were skipped")
    table.missing_formulas = {(r - start, c) for r, c in (missing_formulas or set()) if r >= start}
    _match_columns(table, stages, mapped, mapping)
    return table


def _columns_named_by_rules(mapping: FileMapping | None) -> set[str]:
    if not mapping:
        return set()
    names = {r.column for r in mapping.fields} | {r.column for r in mapping.events}
    for rule in [*mapping.fields, *mapping.events]:
        names |= set(rule.when)
    return {header_key(n) for n in names}


def _match_columns(table: Table, stages: StageConfig, mapped: dict[str, list[str]],
                   mapping: FileMapping | None = None) -> None:
    unknown = []
    for index, header in enumerate(table.headers):
        if not header:
            continue
        targets = mapped.get(header_key(header)) or ([match_header(header)] if match_header(header) else [])
        if not targets:
            stage = wide_stage(header, stages)
            if stage:
                table.wide_columns[index] = stage
            else:
                unknown.append(header)
            continue
        for target in targets:
            if target in table.field_columns:
                first = table.column_label(table.field_columns[target])
                table.notes.append(f"columns {first!r} (column {_letters(table.field_columns[target])}) and "
                                   f"{header!r} (column {_letters(index)}) both mean {target}; the first is used, "
                                   "the second ignored")
                table.warnings.append(warning(int(table.row_numbers[0] - 1) if len(table.row_numbers) else 1,
                                              header, header, code="column_duplicate", target=target,
                                              first=repr(first)))
            else:
                table.field_columns[target] = index
    if mapping_used := _columns_named_by_rules(mapping):
        unknown = [h for h in unknown if header_key(h) not in mapping_used]
    if unknown:
        table.notes.append("columns not used: " + ", ".join(unknown))


def drop_non_data_rows(table: Table) -> np.ndarray:
    """Remove blank rows, totals rows and exact duplicate rows from ``table.cells`` (counted and noted).
    Returns which of the rows before were kept (a column read from the cells before can be cut to match)."""
    cells = table.cells
    table.rows_read = len(cells)
    if cells.empty:
        return np.ones(len(cells), dtype=bool)
    headers_width = len(table.headers)
    extra_cols = [c for c in cells.columns if c >= headers_width or table.headers[c] == ""]
    if extra_cols:
        extra = cells[extra_cols].apply(lambda col: col.str.strip() != "").any(axis=1)
        for pos in np.flatnonzero(extra.to_numpy())[:50]:
            values = [v for v in cells.iloc[pos][extra_cols] if str(v).strip()]
            table.warnings.append(warning(int(table.row_numbers[pos]), "(beyond header)", "; ".join(map(str, values)),
                                          code="cells_beyond_header"))
        if extra.any():
            table.notes.append(f"{int(extra.sum())} row(s) had cells beyond the header, ignored")
    used = [c for c in cells.columns if c < headers_width and table.headers[c] != ""]
    lead_col = table.field_columns.get("lead_id")
    order = ([lead_col] if lead_col is not None else []) + [c for c in used if c != lead_col]
    blank = np.ones(len(cells), dtype=bool)
    missing: dict[int, np.ndarray] = {}  # column -> missing_many of its distinct values
    for column in order:  # rows still all-missing so far; after the first column few remain
        rows = np.flatnonzero(blank)
        if len(rows) == 0:
            break
        codes, uniques = table.factor(column)
        missing[column] = missing_many(uniques, table.simple(column))
        blank[rows] = missing[column][codes[rows]]
    totals = np.zeros(len(cells), dtype=bool)
    if lead_col is not None:
        codes, uniques = table.factor(lead_col)
        known = table.simple(lead_col)
        lead_flags = (missing[lead_col] if lead_col in missing else missing_many(uniques, known)) | \
            _total_flags(uniques, known)
        candidates = np.flatnonzero(lead_flags[codes] & ~blank)
        for column in cells.columns[:3] if len(candidates) else []:
            codes, uniques = table.factor(column)
            sub = codes[candidates]
            present = np.unique(sub)
            flags = np.zeros(len(uniques), dtype=bool)
            flags[present] = _total_flags(uniques[present])
            totals[candidates] |= flags[sub]
    for pos in np.flatnonzero(totals):
        table.notes.append(f"row {table.row_numbers[pos]} looks like a totals row (合计/Total) and was skipped")
    keep = ~(blank | totals)
    dup = _duplicate_rows(table, used, lead_col) & keep
    if dup.any():
        rows = table.row_numbers[dup]
        table.notes.append(f"{int(dup.sum())} exact duplicate row(s) counted once (rows "
                           f"{', '.join(map(str, rows[:20]))}{' ...' if len(rows) > 20 else ''})")
    if blank.any():
        table.notes.append(f"{int(blank.sum())} blank row(s) skipped")
    table.rows_blank = int(blank.sum() + totals.sum())
    table.rows_duplicate = int(dup.sum())
    mask = keep & ~dup
    if table.missing_formulas:
        new_position = np.cumsum(mask) - 1
        table.missing_formulas = {(int(new_position[r]), c) for r, c in table.missing_formulas if mask[r]}
    table.keep_rows(mask)
    return mask


def _duplicate_rows(table: Table, used: list[int], lead_col: int | None) -> np.ndarray:
    """Rows equal in every used column to an earlier row. Only rows sharing a lead ID can be equal, so with a
    lead ID column the other columns are compared for those rows alone (none, in a file of distinct IDs)."""
    rows = np.arange(len(table.cells))
    if lead_col is not None and lead_col in used:
        codes, uniques = table.factor(lead_col)  # rows whose ID occurs more than once (codes count in C)
        rows = np.flatnonzero(np.bincount(codes, minlength=len(uniques))[codes] > 1)
    dup = np.zeros(len(table.cells), dtype=bool)
    if len(rows):
        dup[rows] = pd.Series(_row_keys(table, used, rows)).duplicated().to_numpy()
    return dup


def _row_keys(table: Table, columns: list[int], rows: np.ndarray, limit: int = 2**62) -> np.ndarray:
    """One int64 per row, equal for two rows exactly when their codes are equal in every column (the codes
    combined positionally; renumbered when the next column would overflow): duplicated() over one integer
    column instead of a frame of them."""
    key, size = np.zeros(len(rows), dtype=np.int64), 1
    for column in columns:
        codes, uniques = table.factor(column)
        width = max(len(uniques), 1)
        if size * width >= limit:
            key, distinct = pd.factorize(key)
            size = max(len(distinct), 1)
        key, size = key * width + codes[rows], size * width
    return key


_TOTAL_FIRST = frozenset(c for w in TOTAL_WORDS for c in (w[0], w[0].upper(), chr(ord(w[0]) + 0xFEE0)
                                                          if w[0].isascii() else w[0]))
_TOTAL_MAX_CHARS = 16
_TOTAL_WORDS = pa.array(sorted(TOTAL_WORDS))
_TOTAL_FIRST_ARROW = pa.array(sorted(_TOTAL_FIRST))


def _is_total_word(value: object) -> bool:
    text = str(value).strip()
    return 0 < len(text) <= _TOTAL_MAX_CHARS and text[0] in _TOTAL_FIRST and fold(text) in TOTAL_WORDS


def _total_flags(uniques: np.ndarray, known: Simple | None = None) -> np.ndarray:
    """``_is_total_word`` of each distinct value (vectorised for simple text, see ``text_many``)."""
    texts, simple = simple_text(uniques, known)
    stripped = pc.utf8_trim(texts, characters=" ")
    # a totals word starts with one of _TOTAL_FIRST: only those values (few among lead IDs) are folded
    maybe = pc.and_(pc.is_in(pc.utf8_slice_codeunits(stripped, 0, 1), value_set=_TOTAL_FIRST_ARROW),
                    pc.less_equal(pc.utf8_length(stripped), _TOTAL_MAX_CHARS))
    flags = np.zeros(len(texts), dtype=bool)
    if (positions := np.flatnonzero(maybe.to_numpy(zero_copy_only=False))).size:
        folded = pc.ascii_lower(collapsed_spaces(texts.take(pa.array(positions))))
        flags[positions] = pc.is_in(folded, value_set=_TOTAL_WORDS).to_numpy(zero_copy_only=False)
    for i in np.flatnonzero(~simple):
        flags[i] = _is_total_word(uniques[i])
    return flags


__all__ = ["Table", "build_table", "drop_non_data_rows", "header_score"]
