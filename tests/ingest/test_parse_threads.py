"""parse_files on threads ($LEAD_FUNNEL_PARSE_THREADS): the same ParsedFiles as one file after the other
(frames, warnings, rejects, notes, counts, order), and the same error: the first failing file's."""

from __future__ import annotations

import pandas as pd
import pytest

import funnel.ingest as ingest
from funnel.ingest import action_text
from funnel.ingest import ImportError_, parse_files
from funnel.stages import StageConfig
from tests.ingest.ingest_helpers import SEED_ROW, TEMPLATE_HEADER, csv_text
from tests.messy_template import messy_files

FIELDS = ("file_name", "sha256", "format", "rows_read", "rows_accepted", "rows_rejected", "rows_blank",
          "rows_duplicate", "notes")
FRAMES = ("leads", "events", "activities", "roster")


def _messy_sources() -> list[tuple[str, bytes]]:
    """The messy XLSX export and stage log, a CSV template with rejects, duplicates, bad dates and yearless
    actions, a GB18030 stage log with unknown stages, and a roster with a rep listed twice."""
    bad = list(SEED_ROW)
    bad[5], bad[11] = "2024-13-45", "13-40 看不懂的日期；02-30 电话\n05-06 上门拜访;;2024-02-30 再访"
    rows = [TEMPLATE_HEADER, SEED_ROW, bad, [""] * len(TEMPLATE_HEADER), SEED_ROW,
            ["", *SEED_ROW[1:]], ["展会-2024-002", *SEED_ROW[1:5], "3月1日", "成交", "2024-04-01", *SEED_ROW[8:]]]
    log = [["线索编号", "阶段", "进入时间"], ["展会-2024-001", "初步筛选", "2024-03-03"],
           ["展会-2024-001", "不存在的阶段", "2024-03-04"], ["", "成交", "2024-03-05"],
           ["展会-2024-009", "成交", "2099-01-01"], ["展会-2024-009", "初步筛选", "昨天"]]
    roster = [["销售代表", "销售经理", "团队"], ["李明*", "王芳", "华东"], ["", "王芳", "华东"],
              ["李明", "孙七", "华北"]]
    return [*messy_files(), ("leads.csv", csv_text(rows).encode()),
            ("log_gb.csv", csv_text(log).encode("gb18030")), ("team.csv", csv_text(roster).encode())]


def _parse(monkeypatch, threads: int, sources, rest_later: bool = False) -> list:
    monkeypatch.setenv(ingest.PARSE_THREADS_ENV_VAR, str(threads))
    parsed = parse_files(sources, StageConfig(), rest_later=rest_later)
    if rest_later:
        waiting = [p.rest is not None for p in parsed]  # on threads, each lead file returned before its activities
        assert waiting == [threads > 1 and p.format not in ("events", "roster") for p in parsed]
        for p in parsed:
            p.complete()
    return parsed


@pytest.mark.parametrize("duckdb_split", [False, True])
def test_threads_give_what_one_after_the_other_gives(monkeypatch, duckdb_split):
    # with threads the lead file's 关键动作记录 is split ahead for every row (rejected ones too) and the
    # accepted rows' pieces taken afterwards; both splits of action_text (Arrow's, DuckDB's from
    # DUCKDB_MIN_TEXTS texts) are run
    if duckdb_split:
        monkeypatch.setattr(action_text, "DUCKDB_MIN_TEXTS", 1)
    sources = _messy_sources()
    one = _parse(monkeypatch, 1, sources)
    ahead = []
    split_ahead = ingest._actions_text
    monkeypatch.setattr(ingest, "_actions_text", lambda cells: ahead.append(1) or split_ahead(cells))
    for threads, rest_later in ((2, False), (3, False), (2, True), (1, True)):
        many = _parse(monkeypatch, threads, sources, rest_later)
        assert [p.file_name for p in many] == [name for name, _ in sources]
        for a, b in zip(one, many):
            assert [getattr(a, f) for f in FIELDS] == [getattr(b, f) for f in FIELDS]
            for name in FRAMES:
                pd.testing.assert_frame_equal(a.frame(name), b.frame(name))  # as built: dtypes and order
                pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
            for name in ("rejects", "warnings"):
                pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert len(ahead) == 6  # the two lead files, split ahead at 2 and at 3 threads, and at 2 with the rest later
    # the inputs are messy enough to say something
    assert sum(len(p.warnings) for p in one) >= 4 and sum(len(p.rejects) for p in one) >= 4


def test_the_error_raised_is_the_first_failing_files(monkeypatch):
    good, log, roster = _messy_sources()[2:]
    no_columns = ("second.csv", "甲,乙\n1,2\n".encode())
    not_text = ("third.csv", b"\xff\xfe\x00bad")

    def error(threads, sources, rest_later=False):
        with pytest.raises(ImportError_) as caught:
            _parse(monkeypatch, threads, sources, rest_later)
        return str(caught.value)

    for sources in ([good, no_columns, not_text, roster], [no_columns, good, log], [good, log, not_text]):
        expected = error(1, sources)
        assert error(2, sources) == expected
        assert error(2, sources, rest_later=True) == expected
    assert "second.csv" in error(2, [good, no_columns, not_text])


def test_the_number_of_threads_is_read_from_the_environment(monkeypatch):
    monkeypatch.delenv(ingest.PARSE_THREADS_ENV_VAR, raising=False)
    assert ingest.parse_threads() == ingest.DEFAULT_PARSE_THREADS
    for value, threads in (("1", 1), ("4", 4), ("0", 1), ("two", ingest.DEFAULT_PARSE_THREADS)):
        monkeypatch.setenv(ingest.PARSE_THREADS_ENV_VAR, value)
        assert ingest.parse_threads() == threads
