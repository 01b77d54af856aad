"""A lead file's leads and events are written while its activities are still being parsed (``parse_files(
rest_later=True)``, the loader's ``waiting`` files), and the store ends exactly as when every file is parsed
whole first and written one after the other.

Each scenario goes into two fresh stores: once through ``import_files`` as it runs (parse threads, the lead
files' rests written after the later files' leads and events), once with every file parsed whole before the
write (``parse_files`` without ``rest_later``, then ``write_parsed``). Every base and derived table must be equal
row for row, and so must the import reports.
"""

from __future__ import annotations

import itertools
import threading
import types

import pytest

import funnel.ingest as ingest
from funnel.ingest import formats, parse_files
from funnel.store import loader
from funnel.store.config import load_stage_config
from funnel.store.db import connect
from tests.ingest.test_parse_threads import _messy_sources
from tests.messy_template import messy_files
from tests.store.test_first_import import (_dup_stage_log_csv, _dup_template_csv, _later_stage_log_csv,
                                           _sample_files, assert_same_stores)


def _second_template_csv() -> bytes:
    """A template imported beside ``_dup_template_csv``: the same leads with actions again and new ones (its
    activities are compared with the first file's), and a lead of its own."""
    header = "线索编号,来源渠道,客户名称,获取时间,当前阶段,进入阶段时间,销售代表,关键动作记录,结果状态"
    rows = ["A-1,官网,甲,2024-03-01,需求深度挖掘,2024-03-20,李明,03-02电话;03-20拜访,跟进中",
            "A-9,展会,己,2024-03-09,线索获取,,张伟,03-10电话,未跟进"]
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


SCENARIOS = {
    "messy template + stage log": lambda: [messy_files()],
    "two lead files, stage log and roster in one import": lambda: [_sample_files()],
    "two templates in one import, the second repeating actions of the first":
        lambda: [[("dups.csv", _dup_template_csv()), ("dups-log.csv", _dup_stage_log_csv()),
                  ("second.csv", _second_template_csv())]],
    "messy sources with rejects, warnings and a GB18030 stage log": lambda: [_messy_sources()],
    "a second import on top (general path), then a later stage log":
        lambda: [messy_files(), _sample_files(), [("later-log.csv", _later_stage_log_csv())]],
}


def _deterministic_ids(monkeypatch) -> None:
    counter = itertools.count()
    monkeypatch.setattr(loader, "uuid", types.SimpleNamespace(
        uuid4=lambda: types.SimpleNamespace(hex=f"{next(counter):012d}")))


def _import(monkeypatch, batches: list, rest_later: bool):
    _deterministic_ids(monkeypatch)
    con = connect(None)
    reports = []
    for batch in batches:
        if rest_later:
            reports.append(loader.import_files(con, batch))
        else:
            parsed = parse_files(batch, load_stage_config(con))
            assert all(p.rest is None for p in parsed)
            reports.append(loader.write_parsed(con, parsed))
    return con, reports


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_rest_written_later_leaves_the_store_as_whole_files(monkeypatch, scenario):
    monkeypatch.setenv(ingest.PARSE_THREADS_ENV_VAR, "2")
    batches = SCENARIOS[scenario]()
    later_con, later_reports = _import(monkeypatch, batches, rest_later=True)
    whole_con, whole_reports = _import(monkeypatch, batches, rest_later=False)
    try:
        later_tables = assert_same_stores(later_con, later_reports, whole_con, whole_reports)
        assert len(later_tables["activities"]) and len(later_tables["leads"])
    finally:
        later_con.close()
        whole_con.close()


def test_leads_are_written_while_the_activities_are_parsed(monkeypatch):
    # The rest of the lead file's parse waits until the loader has written the file's leads: it can only go on
    # if the loader writes them before it waits for the activities (no overlap: the wait times out and fails).
    monkeypatch.setenv(ingest.PARSE_THREADS_ENV_VAR, "2")
    leads_written = threading.Event()
    write_leads, rest = loader._write_leads, formats._lead_file_activities

    def writing(*args, **kwargs):
        write_leads(*args, **kwargs)
        leads_written.set()

    def after_the_leads(*args, **kwargs):
        assert leads_written.wait(timeout=30), "the leads were not written while the activities were parsed"
        return rest(*args, **kwargs)

    monkeypatch.setattr(loader, "_write_leads", writing)
    monkeypatch.setattr(formats, "_lead_file_activities", after_the_leads)
    con = connect(None)
    try:
        report = loader.import_files(con, [("dups.csv", _dup_template_csv())])
        assert report.rows_accepted == 3
        assert con.execute("select count(*) from activities").fetchone()[0] > 0
    finally:
        con.close()


def test_an_error_in_the_rest_writes_nothing(monkeypatch):
    monkeypatch.setenv(ingest.PARSE_THREADS_ENV_VAR, "2")

    def failing(*args, **kwargs):
        raise RuntimeError("the activities could not be built")

    con = connect(None)
    try:
        with monkeypatch.context() as patch:
            patch.setattr(formats, "_lead_file_activities", failing)
            with pytest.raises(RuntimeError, match="activities could not be built"):
                loader.import_files(con, messy_files())
        for table in ("leads", "stage_events", "activities", "imports", "lead_facts", "lead_snapshots"):
            assert con.execute(f"select count(*) from {table}").fetchone()[0] == 0, table
        report = loader.import_files(con, messy_files())  # the same files again: imported whole
        assert report.rows_accepted and con.execute("select count(*) from activities").fetchone()[0] > 0
    finally:
        con.close()
