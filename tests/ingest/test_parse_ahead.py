"""What the parse does ahead or by integers instead of hashing text again: the stage log's lead keys and first
rows from the lead-ID cells' codes (``leads.first_seen``), and the lead file's 关键动作记录 read on its own thread
from the cells before the non-data rows are dropped. Each gives what the former way gave."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import funnel.ingest as ingest
from funnel.ingest import formats, parse_files
from funnel.ingest.leads import first_seen
from funnel.ingest.profiles import ConditionalField, FileMapping
from funnel.stages import StageConfig
from tests.ingest.ingest_helpers import SEED_ROW, TEMPLATE_HEADER, csv_text

FIELDS = ("rows_read", "rows_accepted", "rows_rejected", "rows_blank", "rows_duplicate", "notes")


def test_first_seen_by_hand():
    # codes 3 3 1 3 0 1: first seen 3 (row 0), 1 (row 2), 0 (row 4) -> keys 0 0 1 0 2 1, first rows 0 2 4
    keys, firsts = first_seen(np.array([3, 3, 1, 3, 0, 1]))
    assert keys.tolist() == [0, 0, 1, 0, 2, 1]
    assert firsts.tolist() == [0, 2, 4]
    keys, firsts = first_seen(np.zeros(0, dtype=np.int64))
    assert len(keys) == 0 and len(firsts) == 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=40), max_size=300))
def test_first_seen_is_factorize_and_drop_duplicates(codes):
    codes = np.array(codes, dtype=np.int64)
    keys, firsts = first_seen(codes)
    assert keys.tolist() == pd.factorize(codes)[0].tolist()
    assert firsts.tolist() == np.flatnonzero(~pd.Series(codes).duplicated().to_numpy()).tolist()


def _log(ids_cleaned: bool) -> bytes:
    """A stage log whose lead A is first seen in a rejected row (unknown stage), so the cells' codes number
    the leads otherwise than the accepted rows do; 300 leads in 2024 and one far date (1924), warned."""
    rows = [["线索编号", "阶段", "进入时间"], ["A", "不存在的阶段", "2024-01-01"], ["B", "线索获取", "2024-01-02"],
            [" A" if ids_cleaned else "A", "线索获取", "2024-01-03"], ["A", "初步筛选", "2024-01-05"],
            ["", "成交", "2024-01-06"], ["B", "线索获取", "2024-01-02"]]
    rows += [[f"L{i}", "线索获取", f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}"] for i in range(300)]
    rows += [["C", "线索获取", "1924-01-01"], ["B", "初步筛选", "2024-02-01"]]
    return csv_text(rows).encode()


def _spy_first_seen(monkeypatch) -> list:
    calls = []
    monkeypatch.setattr(formats, "first_seen", lambda codes: calls.append(len(codes)) or first_seen(codes))
    return calls


def test_event_log_by_cell_codes_gives_what_hashing_gave(monkeypatch):
    for cleaned in (False, True):
        source = ("log.csv", _log(cleaned))
        calls = _spy_first_seen(monkeypatch)
        fast = parse_files([source], StageConfig())[0]
        # the IDs are the cells unless one was cleaned (" A" -> "A"): then the IDs are hashed as before
        assert calls == ([] if cleaned else [305])  # 308 rows: 2 rejected, the exact duplicate of B's row dropped
        monkeypatch.setattr(formats, "codes_as_written", lambda *a: None)
        hashed = parse_files([source], StageConfig())[0]
        monkeypatch.undo()
        # leads in the order of their first accepted row: B (row 3), A (row 4), L0..L299, C
        assert fast.leads["lead_id"].tolist()[:3] == ["B", "A", "L0"] and fast.leads["lead_id"].iloc[-1] == "C"
        assert len(fast.leads) == 303
        # the far date: C's 1924-01-01 on row 308 (the header is row 1), beyond the other leads' 2024
        assert fast.warnings[["row_number", "code", "raw_value"]].values.tolist() == [[308, "date_far", "1924-01-01"]]
        assert [getattr(fast, f) for f in FIELDS] == [getattr(hashed, f) for f in FIELDS]
        for name in ("leads", "events", "rejects", "warnings"):
            pd.testing.assert_frame_equal(getattr(fast, name), getattr(hashed, name))
            if name in ("leads", "events"):
                pd.testing.assert_frame_equal(fast.frame(name), hashed.frame(name))


def _template() -> bytes:
    """Rows dropped before the lead rows are read (a blank row, an exact duplicate, a totals row with an action
    text), a superseded row and a row without ID: the split made ahead of all of them must keep only the
    accepted rows' actions."""
    other = ["展会-2024-002", *SEED_ROW[1:11], "03-01 电话;13-40 看不懂", *SEED_ROW[12:]]
    superseded = ["展会-2024-002", *SEED_ROW[1:11], "02-01 旧的记录", *SEED_ROW[12:]]
    totals = ["合计", *[""] * 10, "03-02 不是动作", *[""] * 4]
    rows = [TEMPLATE_HEADER, SEED_ROW, superseded, [""] * len(TEMPLATE_HEADER), SEED_ROW, totals,
            ["", *SEED_ROW[1:]], other]
    return csv_text(rows).encode()


def test_split_ahead_of_dropped_rows_gives_what_one_after_the_other_gives(monkeypatch):
    source = ("leads.csv", _template())
    monkeypatch.setenv(ingest.PARSE_THREADS_ENV_VAR, "1")
    one = parse_files([source], StageConfig())[0]
    monkeypatch.setenv(ingest.PARSE_THREADS_ENV_VAR, "2")
    ahead = []
    split = ingest._actions_text
    monkeypatch.setattr(ingest, "_actions_text", lambda cells: ahead.append(len(cells)) or split(cells))
    two = parse_files([source], StageConfig())[0]
    assert ahead == [7]  # every row below the header, before the blank, duplicate and totals rows are dropped
    # 7 rows: 1 blank, 1 duplicate, 1 totals (blank count 2), 2 rejected (no ID, superseded), 2 leads whose
    # actions are 03-05, 03-08 (展会-2024-001) and 03-01, 13-40 (展会-2024-002, the second warned)
    assert (two.rows_read, two.rows_accepted, two.rows_rejected, two.rows_blank, two.rows_duplicate) == (7, 2, 2, 2, 1)
    assert two.activities["content"].str[:4].tolist() == ["电话沟通", "上门拜访", "电话", "13-40 看不懂"[:4]]
    assert [getattr(one, f) for f in FIELDS] == [getattr(two, f) for f in FIELDS]
    for name in ("leads", "events", "activities"):
        pd.testing.assert_frame_equal(one.frame(name), two.frame(name))
        pd.testing.assert_frame_equal(getattr(one, name), getattr(two, name))
    for name in ("rejects", "warnings"):
        pd.testing.assert_frame_equal(getattr(one, name), getattr(two, name))


def test_actions_column_only_when_no_mapping_rule_sets_it():
    table = type("T", (), {"field_columns": {"lead_id": 0, "key_actions": 11}})()
    assert ingest._actions_column(table, None) == 11
    assert ingest._actions_column(table, FileMapping()) == 11
    # a conditional field or a constant into key_actions: raw_fields does not hand the column on unchanged
    assert ingest._actions_column(table, FileMapping(fields=[ConditionalField("备注", "key_actions")])) is None
    assert ingest._actions_column(table, FileMapping(constants={"关键动作记录": "03-01 电话"})) is None
    assert ingest._actions_column(table, FileMapping(constants={"备注": "x"})) == 11
