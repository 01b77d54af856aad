"""The vectorised ingest paths give exactly what the per-row functions give (on mixed, messy generated input)."""

from __future__ import annotations

import datetime as dt
import sys
import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funnel.ingest import _text_as_object  # how parse_file hands frames on
from funnel.ingest.action_text import PLAIN_RANGES, PY_WHITESPACE
from funnel.ingest.template import template_activities, template_activities_per_row
from funnel.ingest.values import FEEDBACK_WORDS

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces people write, and the characters that make the per-row and vector readings differ if mishandled.
_FRAGMENTS = ["03-05", "3-5", "12-31", "02-29", "02-30", "13-01", "2024-03-05", "2024/3/5", "1850-01-01",
              "2024年3月5日", "3月5日", "03-05 14:30", "03-05 25:00", "03-05 9:61", "03.05", "03 - 05", "0305",
              "电话沟通", "上门拜访", "客户反馈积极", "反馈消极", "中性", "NEGATIVE", "Positive", "neutral", "ｐｏｓｉｔｉｖｅ",
              "正面", "负面", "积极", ",", "，", "、", ":", "：", " ", "\u3000", "\t", "\x0b", "\x1c", "\xa0", "*", "＊",
              "０３-０５", "٣-٥", "ſ", "e\u0301", "…", "“", "”", "Ａ", "abc", "10%", "25万+"]
_SEPARATORS = [";", "；", "\n", "\r\n", ";;", " ; "]


@st.composite
def action_texts(draw):
    pieces = draw(st.lists(st.lists(st.sampled_from(_FRAGMENTS), max_size=5).map("".join), max_size=5))
    seps = [draw(st.sampled_from(_SEPARATORS)) for _ in pieces]
    return "".join(p + s for p, s in zip(pieces, seps))


_DATES = st.one_of(st.just(pd.NaT), st.sampled_from([pd.Timestamp(x) for x in (
    "2024-01-01", "2024-03-05", "2024-03-05 18:00", "2023-12-31", "2023-03-01", "2024-02-29", "1900-06-01",
    "2199-12-20")]))


@given(st.lists(st.tuples(st.one_of(st.none(), action_texts()), _DATES, _DATES), min_size=1, max_size=8))
@FAST
def test_vector_activities_equal_per_row(rows):
    leads = pd.DataFrame({"lead_id": [f"L{i}" for i in range(len(rows))],
                          "acquired_at": pd.Series([r[1] for r in rows], dtype="datetime64[ns]"),
                          "stage_entered_at": pd.Series([r[2] for r in rows], dtype="datetime64[ns]"),
                          "rep": ["李明"] * len(rows)})
    actions = pd.Series([r[0] for r in rows], dtype=object)
    row_numbers = np.arange(2, len(rows) + 2)
    fast_warnings, slow_warnings, fast_leads, slow_leads = [], [], [], []
    fast = template_activities(leads, actions, row_numbers, "关键动作记录", fast_warnings, fast_leads)
    slow = template_activities_per_row(leads, actions, row_numbers, "关键动作记录", slow_warnings, slow_leads)
    pd.testing.assert_frame_equal(_text_as_object(fast), _text_as_object(slow))
    assert fast_warnings == slow_warnings
    # each activity's lead position (the far-date check's key) is the position of its lead ID
    by_id = pd.Index(leads["lead_id"]).get_indexer(fast["lead_id"]) if len(fast) else np.zeros(0, dtype=np.int64)
    assert fast_leads[0].tolist() == slow_leads[0].tolist() == by_id.tolist()


@given(st.lists(st.one_of(action_texts(), st.text(max_size=12),
                         st.lists(st.sampled_from(_FRAGMENTS + _SEPARATORS + ["\r", "\u3000;"]), max_size=8)
                         .map("".join)), max_size=12))
@FAST
def test_action_split_equals_re_split(texts):
    """DuckDB's split (and Arrow's, its fallback) give re.split's stripped non-empty pieces, in order."""
    import re

    import pyarrow as pa

    from funnel.ingest.action_text import SPLIT_PATTERN, _split_arrow, _split_duckdb, split_actions

    expected = [(i, p.strip()) for i, t in enumerate(texts) for p in re.split(SPLIT_PATTERN, t) if p.strip()]
    arrow = pa.array(texts, type=pa.large_string())
    pieces = split_actions(arrow)
    got = list(zip(pieces.parents.tolist(), pieces.text(np.arange(len(pieces)))))
    assert got == expected
    for split in (_split_duckdb, _split_arrow):
        parents, raw = split(arrow)
        assert [(i, p.strip()) for i, p in zip(parents.tolist(), raw.to_pylist()) if p.strip()] == expected


def test_vector_activities_on_the_seed_example():
    leads = pd.DataFrame({"lead_id": ["A", "B"], "acquired_at": pd.to_datetime(["2024-11-20", None]),
                          "stage_entered_at": pd.to_datetime([None, None]), "rep": ["李明", "王芳"]})
    actions = pd.Series(["12-01 拜访,客户反馈积极;01-05电话；02-30 拜访\n没有日期", "03-05 电话,消极"], dtype=object)
    warnings: list[dict] = []
    acts = template_activities(leads, actions, np.array([2, 3]), "关键动作记录", warnings)
    assert acts["at"].tolist()[:2] == [pd.Timestamp("2024-12-01"), pd.Timestamp("2025-01-05")]
    text = {c: [v if isinstance(v, str) else None for v in acts[c]] for c in ("content", "feedback")}
    assert text["content"] == ["拜访,客户反馈积极", "电话", "02-30 拜访", "没有日期", "03-05 电话,消极"]
    assert text["feedback"] == ["positive", None, None, None, "negative"]
    assert [(w["row_number"], w["raw_value"]) for w in warnings] == [(2, "02-30 拜访"), (3, "03-05 电话,消极")]


def _plain_chars():
    for low, high in PLAIN_RANGES:
        for code in range(low, high + 1):
            yield chr(code)


def test_plain_characters_read_the_same_in_re2_and_python():
    """Every plain character: not whitespace, no non-ASCII digit, no combining or composing behaviour, and
    folding (NFKC + casefold) makes a feedback-word character only of an ASCII letter or of itself."""
    word_chars = {c for _, words in FEEDBACK_WORDS for w in words for c in w}
    seconds = set()
    for code in range(sys.maxunicode + 1):
        parts = unicodedata.decomposition(chr(code)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            seconds.add(chr(int(parts[1], 16)))
    for c in _plain_chars():
        assert c == " " or c not in PY_WHITESPACE, repr(c)
        assert not (c.isdecimal() and not c.isascii()), repr(c)
        assert unicodedata.combining(c) == 0 and c not in seconds, repr(c)
        folded = unicodedata.normalize("NFKC", c).casefold()
        if set(folded) & word_chars:
            assert (c.isascii() and c.isalpha()) or folded == c, repr(c)


@pytest.mark.parametrize("text", ["03-05电话", "\u3000 03-05 电话\u3000", "０３-０５电话", "03-05\x1c电话", "ſ positive",
                                  "e\u0301negative", "2024-13-01 x", "03-05 24:00 x"])
def test_vector_activities_equal_per_row_on_awkward_text(text):
    leads = pd.DataFrame({"lead_id": ["A"], "acquired_at": pd.to_datetime(["2024-03-01"]),
                          "stage_entered_at": pd.to_datetime([None]), "rep": [None]})
    actions = pd.Series([text], dtype=object)
    fast_warnings, slow_warnings = [], []
    fast = template_activities(leads, actions, np.array([2]), "k", fast_warnings)
    slow = template_activities_per_row(leads, actions, np.array([2]), "k", slow_warnings)
    pd.testing.assert_frame_equal(_text_as_object(fast), _text_as_object(slow))
    assert fast_warnings == slow_warnings


# --- text_many: distinct cell values -------------------------------------------------------------------------

_CELL_PARTS = ["李明", "李明*", "王芳＊", "*", " ", "  ", "\u3000", "\t", "\x0b", "\x1c", "\xa0", "-", "—", "无", "N/A", "n/a",
               "NULL", "None", "nan", "#N/A", "/", "Ｎ/Ａ", "合计", "Total", "TOTAL", "grand  total", "Sum", "subtotal",
               "ｔｏｔａｌ", "展会-2024-001", "13800138000", "+86 138", "（北京）", "(北京)", "Ａ科技", "ſ", "e\u0301", "0",
               "abc", "Acme Corp.", "、", "「」", "…", "·"]
_CELLS = st.one_of(st.lists(st.sampled_from(_CELL_PARTS), max_size=4).map("".join), st.text(max_size=6),
                   st.none(), st.just(float("nan")), st.integers(-5, 5))


@given(st.lists(_CELLS, max_size=30))
@FAST
def test_text_many_equal_per_value(values):
    from funnel.ingest.table import _is_total_word, _total_flags
    from funnel.ingest.text_many import (clean_person_many, clean_text_many, fold_many, missing_many,
                                         present_text_many)
    from funnel.text import clean_person, clean_text, fold, is_missing

    arr = np.array(values + [None], dtype=object)[:-1]  # keep a 1-d object array even for one value
    assert list(missing_many(arr)) == [is_missing(v) for v in values]
    assert list(clean_text_many(arr)) == [clean_text(v) for v in values]
    assert list(clean_person_many(arr)) == [clean_person(v) for v in values]
    assert list(present_text_many(arr)) == [None if clean_text(v) is None else str(v).strip() for v in values]
    assert list(fold_many(arr)) == [fold(str(v)) for v in values]
    texts = np.array([str(v) for v in values] + [""], dtype=object)[:-1]
    assert list(_total_flags(texts)) == [_is_total_word(v) for v in texts]
    # the distinct cells of a CSV column as Arrow reads them (pandas str, no Python objects): the same answers
    cells = pd.factorize(pd.Series(texts, dtype="str"))[1]
    assert list(missing_many(cells)) == [is_missing(v) for v in cells.tolist()]
    assert list(clean_text_many(cells)) == [clean_text(v) for v in cells.tolist()]
    assert list(clean_person_many(cells)) == [clean_person(v) for v in cells.tolist()]
    assert list(fold_many(cells)) == [fold(str(v)) for v in cells.tolist()]
    assert list(_total_flags(cells)) == [_is_total_word(v) for v in cells.tolist()]


def test_simple_characters_are_left_alone_by_nfkc_and_casefold():
    from funnel.ingest.text_many import SIMPLE_RANGES

    for low, high in SIMPLE_RANGES:
        for c in map(chr, range(low, high + 1)):
            assert unicodedata.normalize("NFKC", c) == c and c.casefold() == c.lower(), repr(c)
            assert unicodedata.combining(c) == 0 and (c == " " or not c.isspace()), repr(c)
            assert c.lower() == c or c.isascii(), repr(c)


# --- XLSX cells: converted per column and distinct value -------------------------------------------------------

_XLSX_CELLS = st.one_of(st.none(), st.text(max_size=4), st.booleans(), st.integers(-3, 3),
                        st.floats(allow_nan=True, allow_infinity=False, width=64),
                        st.sampled_from([0.0, -0.0, 1.0, 13800138000.0, 2.5, 1e20]),
                        st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2199, 1, 1)),
                        st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2199, 1, 1)), st.times(),
                        st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=3)))


@given(st.lists(st.lists(st.one_of(_XLSX_CELLS, st.sampled_from(["\ud800", "中文", ""])), max_size=4), max_size=6))
@FAST
def test_xlsx_grids_equal_per_cell(rows):
    # sheet_grid (what read_workbook keeps) holds the cell_text of every cell (short rows padded with ''):
    # Arrow-backed text when Arrow holds every cell, of object dtype when a lone surrogate Arrow cannot encode is
    # among them or the sheet is empty.
    from funnel.ingest.xlsx import cell_text, sheet_grid

    width = max((len(r) for r in rows), default=0)
    expected = pd.DataFrame([[cell_text(c) for c in r] + [""] * (width - len(r)) for r in rows], dtype=object)
    held_by_arrow = width and rows and not any(c == "\ud800" for r in rows for c in r)
    arrow_text = pd.StringDtype("pyarrow", na_value=np.nan)
    got, dtype = sheet_grid(rows), arrow_text if held_by_arrow else object
    assert got.shape == expected.shape and got.values.tolist() == expected.values.tolist()
    assert list(got.columns) == list(range(width)) and list(got.index) == list(range(len(rows)))
    assert all(d == dtype for d in got.dtypes)


def _fill_merged_per_cell(grid: pd.DataFrame, merged: list, limit: int) -> pd.DataFrame:
    """The former fill: each merged range's top-left value set cell by cell into its empty cells."""
    grid = grid.astype(object)
    for (r0, c0), (r1, c1) in merged:
        if r0 >= limit or r0 >= len(grid) or c0 >= grid.shape[1]:
            continue
        value = grid.iat[r0, c0]
        for r in range(r0, min(r1, len(grid) - 1) + 1):
            for c in range(c0, min(c1, grid.shape[1] - 1) + 1):
                if grid.iat[r, c] == "":
                    grid.iat[r, c] = value
    return grid


@st.composite
def _merged_grids(draw):
    height, width = draw(st.integers(1, 8)), draw(st.integers(1, 5))
    cells = draw(st.lists(st.sampled_from(["", "", "线索编号", "A", "b"]), min_size=height * width,
                          max_size=height * width))
    grid = pd.DataFrame(np.array(cells, dtype=object).reshape(height, width))
    top_left = st.tuples(st.integers(0, height), st.integers(0, width + 1))  # outside the grid too
    extent = st.tuples(st.integers(0, height + 1), st.integers(0, width + 1))
    ranges = draw(st.lists(st.tuples(top_left, extent).map(lambda c: (c[0], (c[0][0] + c[1][0], c[0][1] + c[1][1]))),
                           max_size=4))  # overlapping ranges and ranges past the grid too (damaged files)
    return grid, ranges, draw(st.integers(1, height + 1))


@given(_merged_grids(), st.booleans())
@FAST
def test_fill_merged_equal_per_cell(case, arrow):
    # Overlapping ranges: a later range sees what an earlier one set (read_workbook's grid is Arrow text).
    from funnel.ingest.table import _fill_merged

    grid, merged, limit = case
    given_grid = grid.astype("str") if arrow else grid
    got = _fill_merged(given_grid, merged, limit)
    assert got.values.tolist() == _fill_merged_per_cell(grid, merged, limit).values.tolist()
    assert list(got.dtypes) == list(given_grid.dtypes) and list(got.index) == list(grid.index)
    assert given_grid.values.tolist() == grid.values.tolist()  # the grid given is not changed


def test_collector_paused_restores_its_state():
    import gc

    from funnel.ingest.xlsx import _collector_paused

    assert gc.isenabled()
    with _collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with _collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # off before: left off
    finally:
        gc.enable()


@given(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64),
                          st.integers(-10**17, 10**17).map(float),
                          st.sampled_from([0.0, -0.0, 1e16, -1e16, 9999999999999998.0, 0.1, 1e-300])), max_size=30))
@FAST
def test_xlsx_float_texts_equal_cell_text(values):
    import numpy as np

    from funnel.ingest.xlsx import _texts, cell_text

    assert _texts(float, np.array(values, dtype=object)) == [cell_text(v) for v in values]

# --- CSV: separator sniffing reads only the first lines ------------------------------------------------------

@given(st.lists(st.sampled_from(["a,b", "x;y", "", " ", "\r", "\n", "\r\n", "\x0b", "\x1c", "\u2028", "\x85", "中,文"]),
                max_size=40), st.integers(0, 5), st.integers(1, 8))
@FAST
def test_first_lines_equal_splitlines(parts, n, start_chars):
    from funnel.ingest.decode import _first_lines

    text = "".join(parts)
    assert _first_lines(text, n, start_chars) == text.splitlines()[:n]


@given(st.lists(st.one_of(_CELLS, st.lists(st.sampled_from(_CELL_PARTS + ["03-05电话沟通,客户反馈积极"]), max_size=12)
                          .map("".join)), max_size=30))
@FAST
def test_present_text_arrow_equal_per_value(values):
    from funnel.ingest.text_many import present_text_arrow
    from funnel.text import clean_text

    got = present_text_arrow(pd.Series(values, dtype=object)).tolist()
    assert [None if pd.isna(v) else v for v in got] == \
        [None if clean_text(v) is None else str(v).strip() for v in values]


def test_activities_from_chunked_arrow_text_equal_per_row():
    import pyarrow as pa

    texts = ["03-05电话;03-08拜访", None, "12-01 回访,积极"]
    chunked = pa.chunked_array([pa.array(texts[:2], pa.large_string()), pa.array(texts[2:], pa.large_string())])
    actions = pd.Series(pd.arrays.ArrowExtensionArray(chunked))
    leads = pd.DataFrame({"lead_id": ["A", "B", "C"], "acquired_at": pd.to_datetime(["2024-03-01"] * 3),
                          "stage_entered_at": pd.to_datetime([None] * 3), "rep": ["李明", None, "王芳"]})
    fast = template_activities(leads, actions, np.array([2, 3, 4]), "k", [])
    slow = template_activities_per_row(leads, pd.Series(texts, dtype=object), np.array([2, 3, 4]), "k", [])
    pd.testing.assert_frame_equal(_text_as_object(fast), _text_as_object(slow))


def test_day_arithmetic_matches_numpy_calendar():
    from funnel.ingest.action_text import _days, _valid_day

    years = np.arange(1899, 2202)
    y, m, d = (a.ravel() for a in np.meshgrid(years, np.arange(0, 14), np.arange(0, 33), indexing="ij"))
    valid = _valid_day(y, m, d)
    expected = np.array([f"{a:04d}-{b:02d}-{c:02d}" for a, b, c in zip(y[valid], m[valid], d[valid])],
                        dtype="datetime64[D]").astype(np.int64)
    assert (_days(y[valid], m[valid], d[valid]) == expected).all()
    assert valid.sum() == sum(366 if (a % 4 == 0 and a % 100 != 0) or a % 400 == 0 else 365 for a in years)


def test_python_whitespace_set_is_complete():
    assert set(PY_WHITESPACE) == {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}


# --- template events: built as arrays, equal to the per-stage frames they replaced -----------------------------

def _template_events_by_stage(leads, stages):
    """The former template_events (one frame per stage, concatenated and put in lead order): the reference."""
    from funnel.ingest.batch import EVENT_FIELDS

    keys = list(stages.keys)
    position = leads["current_stage"].map({k: i for i, k in enumerate(keys)})
    has_current = position.notna().to_numpy()
    pos = position.fillna(0).astype(int).to_numpy()
    first_at = leads["acquired_at"].where(leads["acquired_at"].notna(), leads["stage_entered_at"].where(pos == 0))
    parts = [pd.DataFrame({"lead_id": leads["lead_id"], "stage": pd.Series(keys[0], index=leads.index, dtype=object),
                           "entered_at": first_at})]
    for i, key in enumerate(keys[1:], start=1):
        for mask, at in ((pos > i, None), (has_current & (pos == i), leads["stage_entered_at"])):
            if mask.any():
                index = leads.index[mask]
                parts.append(pd.DataFrame({
                    "lead_id": leads["lead_id"][mask], "stage": pd.Series(key, index=index, dtype=object),
                    "entered_at": at[mask] if at is not None else pd.Series(pd.NaT, index=index,
                                                                            dtype="datetime64[ns]")}))
    events = pd.concat(parts)
    events["entered_at"] = pd.to_datetime(events["entered_at"])
    return events.sort_index(kind="stable").reset_index(drop=True)[list(EVENT_FIELDS)]


@given(st.lists(st.tuples(st.one_of(st.none(), st.sampled_from(["acquired", "screening", "discovery", "proposal",
                                                                   "won", "after_sales", "lost", "unknown"])),
                          _DATES, _DATES), min_size=1, max_size=12))
@FAST
def test_template_events_equal_per_stage_frames(rows):
    from funnel.ingest.template import template_events
    from funnel.stages import StageConfig

    stages = StageConfig()
    leads = pd.DataFrame({"lead_id": [f"L{i}" for i in range(len(rows))],
                          "current_stage": pd.Series([r[0] for r in rows], dtype=object),
                          "acquired_at": pd.Series([r[1] for r in rows], dtype="datetime64[ns]"),
                          "stage_entered_at": pd.Series([r[2] for r in rows], dtype="datetime64[ns]")})
    expected = _template_events_by_stage(leads, stages)
    # the stages leave as Arrow text (the store scans them as they are); the same keys as the object ones
    expected["stage"] = expected["stage"].astype(pd.ArrowDtype(pa.large_string()))
    pd.testing.assert_frame_equal(template_events(leads, stages), expected)


# --- far dates: each lead's span taken in lead order, equal to grouping ---------------------------------------

@given(st.lists(st.lists(st.tuples(st.integers(-1, 6), st.one_of(st.none(), st.integers(0, 20_000))), max_size=15),
                min_size=1, max_size=4))
@FAST
def test_far_date_spans_in_lead_order_equal_grouped(facts):
    from funnel.ingest.far_dates import _span_by_sorted_keys

    keys = [np.array(sorted(k for k, _ in fact), dtype=np.int64) for fact in facts]
    dates = [np.array([np.datetime64("NaT") if d is None else np.datetime64(d, "D") for _, d in fact],
                      dtype="datetime64[ns]") for fact in facts]
    first, last = _span_by_sorted_keys(keys, dates)
    frame = pd.DataFrame({"lead": np.concatenate(keys), "d": np.concatenate(dates)})
    frame = frame[frame["d"].notna() & (frame["lead"] >= 0)]
    grouped = frame.groupby("lead")["d"].agg(["min", "max"])
    assert sorted(zip(first.tolist(), last.tolist())) == \
        sorted(zip(grouped["min"].to_numpy().tolist(), grouped["max"].to_numpy().tolist()))
    assert _span_by_sorted_keys([np.array([2, 1])], [np.zeros(2, dtype="datetime64[ns]")]) is None
@given(st.lists(st.lists(st.sampled_from(["", "a", "b", "线索", "c d"]), min_size=20, max_size=20), max_size=40),
       st.integers(1, 20))
@FAST
def test_row_keys_equal_frame_duplicated(rows, width):
    """``table._row_keys``: one integer per row, duplicated() as the frame of codes gives it, also when the
    combined key would overflow and is renumbered (here past 50 instead of 2**62)."""
    from funnel.ingest.table import Table, _row_keys

    cells = pd.DataFrame([r[:width] for r in rows] or [[""] * width]).astype("str")
    table = Table("t.csv", [str(i) for i in range(width)], cells, np.arange(len(cells)))
    positions = np.arange(len(cells))
    expected = pd.DataFrame({c: table.factor(c)[0] for c in range(width)}).duplicated().to_numpy()
    for limit in (2**62, 50):
        assert list(pd.Series(_row_keys(table, list(range(width)), positions, limit)).duplicated()) == list(expected)


def test_text_by_row_equals_by_distinct_value():
    """A mostly distinct text column (more than 10 000 cells) is converted cell by cell in Arrow instead of
    per distinct value: the same values, also for cells the Arrow path hands to Python."""
    from funnel.ingest.fields import _map_many, mostly_distinct
    from funnel.ingest.text_many import clean_person_arrow, clean_text_arrow

    odd = ["李明＊", "\u3000王芳 ", "Ｎ/Ａ", "a\tb", "", "-", "ſ"]
    cells = pd.Series([f"1380013{i:05d}" if i % 7 else odd[i // 7 % len(odd)] for i in range(12_000)], dtype="str")
    assert mostly_distinct(cells)
    for func in (clean_text_arrow, clean_person_arrow):
        by_row, _ = _map_many(cells, func, by_row=True)
        by_value, _ = _map_many(cells, func, pd.factorize(cells, use_na_sentinel=False))
        pd.testing.assert_series_equal(_text_as_object(by_row.to_frame())[0], _text_as_object(by_value.to_frame())[0])


def test_action_split_of_chunked_text_with_nulls():
    """The split takes the text in chunks (as a CSV column arrives) and with null texts in place: the pieces'
    parents are positions in the whole column, on both engines."""
    import re

    import pyarrow as pa

    from funnel.ingest.action_text import SPLIT_PATTERN, _split_arrow, _split_duckdb, split_actions

    texts = ["03-05电话;03-08拜访", None, "", "12-01 回访,积极\n; ；", None, "a;b;c", "中性"]
    chunked = pa.chunked_array([pa.array(texts[:2], pa.large_string()), pa.array(texts[2:5], pa.large_string()),
                                pa.array([], pa.large_string()), pa.array(texts[5:], pa.large_string())])
    expected = [(i, p.strip()) for i, t in enumerate(texts) if t is not None
                for p in re.split(SPLIT_PATTERN, t) if p.strip()]
    pieces = split_actions(chunked)
    assert list(zip(pieces.parents.tolist(), pieces.text(np.arange(len(pieces))))) == expected
    for split in (_split_duckdb, _split_arrow):
        parents, raw = split(chunked)
        assert [(i, p.strip()) for i, p in zip(parents.tolist(), raw.to_pylist()) if p.strip()] == expected


@given(st.lists(st.sampled_from(["A1", " A1", "A1 ", "B2", "b2", "", "-", "无", "C 3", "C  3", "Ａ1"]), min_size=1,
                max_size=8))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])  # two parses each
def test_lead_rows_of_distinct_ids_equal_the_superseding_check(ids):
    """lead_rows skips the superseding check when every ID cell is distinct and unchanged by cleaning; what it
    accepts and rejects equals the check's result."""
    from funnel.ingest import leads
    from funnel.ingest import parse_file
    from funnel.stages import StageConfig

    data = ("线索编号,当前阶段\n" + "".join(f"{i},线索获取\n" for i in ids)).encode()
    fast = parse_file(("x.csv", data), StageConfig())
    original = leads._distinct_as_written
    leads._distinct_as_written = lambda *args: False
    try:
        slow = parse_file(("x.csv", data), StageConfig())
    finally:
        leads._distinct_as_written = original
    pd.testing.assert_frame_equal(fast.leads, slow.leads)
    pd.testing.assert_frame_equal(fast.rejects, slow.rejects)
    assert (fast.rows_accepted, fast.rows_rejected) == (slow.rows_accepted, slow.rows_rejected)
