"""The first-import fast path (loader ``fast_empty``) leaves the store exactly as the general path does.

The same files go into two fresh stores, once the fast way (tables still empty: direct inserts, de-duplicated
only within the file) and once forced the general way (``fast_empty=False``: every insert compared with the
stored rows); every base and derived table must be equal row for row, and so must the import report (file
counts, notes, warnings, rejects, new / changed / unchanged leads). Import ids are made deterministic for the
comparison; the clock columns of ``imports`` are left out.
"""

from __future__ import annotations

import dataclasses
import itertools
import sys
import types
from pathlib import Path

import pandas as pd
import pytest

from funnel.ingest.batch import ParsedFile
from funnel.store import loader
from funnel.store.db import connect
from tests.messy_template import messy_files

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
if str(ROOT / "data") not in sys.path:
    sys.path.insert(0, str(ROOT / "data"))

import generate_sample as gen  # noqa: E402

CLOCK_COLUMNS = {"imports": ("started_at", "finished_at")}


def _dup_template_csv() -> bytes:
    """A template CSV whose rows repeat themselves: the same action twice in one 关键动作记录, a lead row
    given twice with different actions, and a stage log below with exact duplicate and undated-vs-dated
    events for one lead and stage."""
    header = "线索编号,来源渠道,客户名称,获取时间,当前阶段,进入阶段时间,销售代表,关键动作记录,结果状态"
    rows = [
        "A-1,官网,甲,2024-03-01,初步筛选,2024-03-05,李明,03-02电话;03-02电话;03-05筛选,跟进中",
        "A-2,展会,乙,2024-03-02,需求深度挖掘,2024-04-01,张伟,03-03电话;03-03电话,跟进中",
        "A-3,官网,丙,2024-03-03,线索获取,,张伟,03-04电话,未跟进",
        "A-2,展会,乙,2024-03-02,需求深度挖掘,2024-04-01,张伟,04-01拜访,跟进中",
    ]
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


def _dup_stage_log_csv() -> bytes:
    rows = ["A-1,线索获取,2024-03-01", "A-1,线索获取,2024-03-01", "A-1,初步筛选,", "A-1,初步筛选,2024-03-05",
            "A-2,初步筛选,", "A-2,初步筛选,", "A-4,线索获取,2024-03-09", "A-4,线索获取,2024-03-09",
            "A-4,初步筛选,"]
    return ("\n".join(["线索编号,阶段,进入时间", *rows]) + "\n").encode("utf-8")


def _later_stage_log_csv() -> bytes:
    """A stage log imported after the two above: it dates an event they left undated (A-2 初步筛选), gives an
    undated copy of a dated one (A-1 初步筛选), an event again and a lead only it names (A-5)."""
    rows = ["A-2,初步筛选,2024-03-20", "A-1,初步筛选,", "A-1,线索获取,2024-03-01", "A-5,线索获取,", "A-5,初步筛选,"]
    return ("\n".join(["线索编号,阶段,进入时间", *rows]) + "\n").encode("utf-8")


def _sample_files() -> list[tuple[str, bytes]]:
    names = ["线索跟踪表.xlsx", "阶段记录.csv", "销售团队.csv", "线索跟踪表-2024-11.xlsx"]
    return [(name, (SAMPLE / name).read_bytes()) for name in names]


def _generated_files(tmp_path: Path) -> list[tuple[str, bytes]]:
    """A generated 300-lead set (template CSV, GB18030 stage log, roster) whose stage log also holds each
    lead's first events a second time and undated (the undated copy must give way to the dated one)."""
    data = gen.generate(300, seed=7)
    template = gen.write_template_csv(data.leads, tmp_path / "线索跟踪表.csv", seed=7)
    log = gen.write_stage_log_csv(data.events, tmp_path / "阶段记录.csv")
    roster = gen.write_roster_csv(data.roster, tmp_path / "销售团队.csv")
    lines = log.read_bytes().decode("gb18030").splitlines()
    undated = [",".join(line.split(",")[:2] + [""]) for line in lines[1:60]]
    log.write_bytes(("\n".join(lines + undated) + "\n").encode("gb18030"))
    return [(p.name, p.read_bytes()) for p in (template, log, roster)]


def _parsed_with_duplicates() -> ParsedFile:
    """A parsed file as the loader receives it, with duplicates the parser does not remove: the same event and
    activity twice, an undated event beside the dated one, one activity with two feedbacks."""
    item = ParsedFile(file_name="dups.csv", sha256="d" * 64, format="template")
    day = pd.Timestamp
    empty = dict.fromkeys(loader._LEAD_TEXT + loader._LEAD_TIME + loader._LEAD_NUM)
    item.leads = pd.DataFrame([{**empty, "lead_id": "A-1", "source": "官网", "rep": "李明",
                                "acquired_at": day("2024-03-01")},
                               {**empty, "lead_id": "A-2", "source": "展会", "acquired_at": day("2024-03-02")}])
    item.events = pd.DataFrame(
        [("A-1", "acquired", day("2024-03-01")), ("A-1", "acquired", day("2024-03-01")), ("A-1", "screening", None),
         ("A-1", "screening", day("2024-03-05")), ("A-2", "screening", None), ("A-2", "screening", None),
         ("A-3", "acquired", day("2024-03-09"))], columns=["lead_id", "stage", "entered_at"])
    item.activities = pd.DataFrame(
        [("A-1", day("2024-03-02"), "电话", None, "李明"), ("A-1", day("2024-03-02"), "电话", None, "李明"),
         ("A-1", day("2024-03-02"), "电话", "有兴趣", "李明"), ("A-2", None, "拜访", None, None),
         ("A-2", None, "拜访", None, None), ("A-4", day("2024-03-03"), None, None, None)],
        columns=["lead_id", "at", "content", "feedback", "actor"])
    item.rows_read = item.rows_accepted = 7
    return item


SCENARIOS = {
    "messy template + stage log": lambda: [messy_files()],
    "sample files, one import (the second lead file meets filled tables)": lambda: [_sample_files()],
    "duplicates inside the files": lambda: [[("dups.csv", _dup_template_csv()), ("dups-log.csv", _dup_stage_log_csv())]],
    "a generated set with undated copies of dated events": None,  # built in tmp_path
    "a parsed file with duplicates the parser keeps": None,
    "messy first, then the sample (a second import takes the general path)":
        lambda: [messy_files(), _sample_files()],
    "a second import's stage log dates a stored undated event and names a new lead":
        lambda: [[("dups.csv", _dup_template_csv()), ("dups-log.csv", _dup_stage_log_csv())],
                 [("later-log.csv", _later_stage_log_csv())]],
}


def _import(monkeypatch, batches: list, fast: bool):
    """Import each batch (a list of files, or a list of ParsedFile) into a fresh in-memory store."""
    counter = itertools.count()
    monkeypatch.setattr(loader, "uuid", types.SimpleNamespace(
        uuid4=lambda: types.SimpleNamespace(hex=f"{next(counter):012d}")))
    con = connect(None)
    reports = [loader.write_parsed(con, batch, fast_empty=fast) if isinstance(batch[0], ParsedFile)
               else loader.import_files(con, batch, fast_empty=fast) for batch in batches]
    return con, reports


def _tables(con) -> dict[str, pd.DataFrame]:
    names = [r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'main' "
        "and table_type = 'BASE TABLE' order by table_name").fetchall()]
    out = {}
    for name in names:
        frame = con.execute(f'select * from "{name}"').df().drop(columns=list(CLOCK_COLUMNS.get(name, ())))
        if name == "settings":  # the data version is a fresh random id per store
            frame.loc[frame["key"] == "data_version", "value"] = "<version>"
        out[name] = frame.sort_values(list(frame.columns), na_position="first").reset_index(drop=True) \
            if len(frame) else frame
    return out


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_fast_first_import_equals_general_path(monkeypatch, tmp_path, scenario):
    if scenario == "a generated set with undated copies of dated events":
        batches = [_generated_files(tmp_path)]
    elif scenario == "a parsed file with duplicates the parser keeps":
        batches = [[_parsed_with_duplicates()]]
    else:
        batches = SCENARIOS[scenario]()
    fast_con, fast_reports = _import(monkeypatch, batches, fast=True)
    slow_con, slow_reports = _import(monkeypatch, batches, fast=False)
    try:
        fast_tables = assert_same_stores(fast_con, fast_reports, slow_con, slow_reports)
        for name in ("leads", "stage_events", "activities", "lead_facts", "lead_snapshots"):
            assert name in fast_tables
        assert len(fast_tables["leads"]) and len(fast_tables["stage_events"])
    finally:
        fast_con.close()
        slow_con.close()


def assert_same_stores(a_con, a_reports: list, b_con, b_reports: list) -> dict[str, pd.DataFrame]:
    """Every base and derived table of the two stores equal row for row (``_tables``), and so the import reports
    (file counts, notes, new / changed / unchanged leads, warnings, rejects); returns the first store's tables."""
    a_tables, b_tables = _tables(a_con), _tables(b_con)
    assert a_tables.keys() == b_tables.keys()
    for name, frame in a_tables.items():
        pd.testing.assert_frame_equal(frame, b_tables[name], obj=name)
    for a, b in zip(a_reports, b_reports, strict=True):
        assert [dataclasses.asdict(f) for f in a.files] == [dataclasses.asdict(f) for f in b.files]
        assert a.notes == b.notes
        assert a.leads == b.leads
        pd.testing.assert_frame_equal(a.warnings, b.warnings)
        pd.testing.assert_frame_equal(a.rejects, b.rejects)
    return a_tables


def test_duplicates_inside_the_file_are_removed_on_the_fast_path(monkeypatch):
    """The fast path still de-duplicates within the upload: one row per distinct event and activity, and an
    undated event the file also dates is dropped."""
    con, (report,) = _import(monkeypatch, [[_parsed_with_duplicates()]], fast=True)
    try:
        events = con.execute("select lead_id, stage, entered_at from stage_events order by all").fetchall()
        assert events == [("A-1", "acquired", pd.Timestamp("2024-03-01")),
                          ("A-1", "screening", pd.Timestamp("2024-03-05")),
                          ("A-2", "screening", None), ("A-3", "acquired", pd.Timestamp("2024-03-09"))]
        acts = con.execute('select lead_id, "at", content, feedback from activities order by all').fetchall()
        assert acts == [("A-1", pd.Timestamp("2024-03-02"), "电话", "有兴趣"),
                        ("A-1", pd.Timestamp("2024-03-02"), "电话", None),
                        ("A-2", None, "拜访", None), ("A-4", pd.Timestamp("2024-03-03"), None, None)]
        assert (report.leads.new, report.leads.changed, report.leads.unchanged) == (4, 0, 0)
    finally:
        con.close()


@pytest.mark.parametrize(("scenario", "branch"), [
    ("a generated set with undated copies of dated events", "every lead"),  # the stage log names only its leads
    ("duplicates inside the files", "by lead ID"),  # the stage log also names A-4, which has no lead row
    ("sample files, one import (the second lead file meets filled tables)", None),  # two lead files
])
def test_first_snapshot_is_read_from_lead_facts(monkeypatch, tmp_path, scenario, branch):
    """A first import with one lead file keeps its snapshot from lead_facts (``record_first_snapshot``): every
    row of it when the store holds only the file's leads, else the file's leads by ID; with two lead files each
    stages its own. The rows equal the general path's (``fast_empty=False``, which stages them per file), and so
    does the whole store. Generated set: 300 leads, all named by the lead file, so 300 rows, one per lead."""
    taken = []
    real = loader.record_first_snapshot

    def spy(con, import_id, lead_ids):
        stored = con.execute("select count(*) from leads").fetchall()[0][0]
        taken.append("every lead" if stored == lead_ids.num_rows else "by lead ID")
        return real(con, import_id, lead_ids)

    monkeypatch.setattr(loader, "record_first_snapshot", spy)
    batches = [_generated_files(tmp_path)] if scenario.startswith("a generated") else SCENARIOS[scenario]()
    fast_con, fast_reports = _import(monkeypatch, batches, fast=True)
    slow_con, slow_reports = _import(monkeypatch, batches, fast=False)
    try:
        assert taken == ([branch] if branch else [])
        tables = assert_same_stores(fast_con, fast_reports, slow_con, slow_reports)
        snapshot = tables["lead_snapshots"]
        assert len(snapshot) and not snapshot.duplicated(["import_id", "lead_id"]).any()
        if branch == "every lead":
            assert len(snapshot) == len(tables["leads"]) == 300
        if branch == "by lead ID":
            assert "A-4" in set(tables["leads"]["lead_id"]) and "A-4" not in set(snapshot["lead_id"])
    finally:
        fast_con.close()
        slow_con.close()
