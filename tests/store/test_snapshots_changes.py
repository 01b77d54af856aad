"""Lead snapshots at import and the upload-to-upload changes of SPEC §7.2 (hand-made imports)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from funnel.ingest.batch import ParsedFile
from funnel.metrics import FunnelFilter, resolve_context
from funnel.metrics.review_changes import GROUPS, changes_json, upload_change_leads, upload_changes
from funnel.store.db import connect
from funnel.store.loader import write_parsed
from funnel.store.snapshots import lead_imports

FIELDS = ("lead_id", "source", "customer", "contact", "contact_info", "acquired_at", "current_stage",
          "stage_entered_at", "expected_close", "rep", "manager", "status_reported", "cycle_days_reported",
          "lost_reason", "lost_at", "notes", "amount")


def lead(lead_id, stage="screening", status="active", amount=None, close=None, rep="李明", acquired="2024-03-01"):
    row = dict.fromkeys(FIELDS)
    row.update(lead_id=lead_id, current_stage=stage, status_reported=status, amount=amount, rep=rep,
               expected_close=pd.Timestamp(close) if close else None, acquired_at=pd.Timestamp(acquired),
               source="展会")
    return row


def parsed(name, sha, leads=(), events=(), roster=(), fmt="template"):
    item = ParsedFile(file_name=name, sha256=sha, format=fmt)
    if leads:
        item.leads = pd.DataFrame(list(leads))
    if events:
        item.events = pd.DataFrame(list(events), columns=["lead_id", "stage", "entered_at"])
    if roster:
        item.roster = pd.DataFrame(list(roster), columns=["rep", "manager", "team"])
    item.rows_read = item.rows_accepted = max(len(item.leads), len(item.events), len(item.roster))
    return item


@pytest.fixture()
def con():
    connection = connect(None)
    yield connection
    connection.close()


def n_snapshots(con) -> int:
    return con.execute("select count(*) from lead_snapshots").fetchone()[0]


def ctx_of(con, **flt):
    return resolve_context(con, FunnelFilter(**flt))


def test_every_lead_import_keeps_one_row_per_lead_it_holds(con):
    write_parsed(con, [parsed("a.csv", "a", [lead("L1"), lead("L2", status="won", stage="won")])])
    rows = con.execute("select lead_id, status, current_stage from lead_snapshots order by 1").fetchall()
    assert rows == [("L1", "active", "screening"), ("L2", "won", "won")]


def test_identical_content_keeps_none(con):
    write_parsed(con, [parsed("a.csv", "a", [lead("L1"), lead("L2")])])
    write_parsed(con, [parsed("a.csv", "a", [lead("L1"), lead("L2")])])  # same bytes: skipped by the loader
    write_parsed(con, [parsed("a-resaved.xlsx", "a2", [lead("L2"), lead("L1")])])  # other bytes, same content
    assert n_snapshots(con) == 2
    assert len(lead_imports(con)) == 1


def test_events_only_or_roster_import_keeps_no_snapshot(con):
    write_parsed(con, [parsed("a.csv", "a", [lead("L1")])])
    write_parsed(con, [parsed("log.csv", "e", events=[("L1", "discovery", pd.Timestamp("2024-03-05"))],
                              fmt="events")])
    write_parsed(con, [parsed("team.csv", "r", roster=[("李明", "王经理", "华东")], fmt="roster")])
    assert n_snapshots(con) == 1
    assert upload_changes(con, ctx_of(con))["lead_imports"] == 1


def test_only_one_import_so_far_has_no_pair(con):
    write_parsed(con, [parsed("a.csv", "a", [lead("L1")])])
    out = upload_changes(con, ctx_of(con))
    assert out["from"] is None and out["lead_imports"] == 1
    assert sum(out["counts"].values()) == 0


def two_uploads(con):
    a = [lead("L1", stage="screening", amount=100, close="2024-03-20", rep="李明"),
         lead("L2", stage="discovery", amount=200, close="2024-03-10"),
         lead("L3", stage="proposal", status="active"),
         lead("L4", stage="proposal", status="won", amount=50),
         lead("L5", stage="screening")]
    b = [lead("L1", stage="discovery", amount=150, close="2024-04-02", rep="王芳"),   # advanced, up, pushed out
         lead("L2", stage="screening", amount=120, close="2024-03-25"),              # slipped, down, pushed in month
         lead("L3", stage="proposal", status="lost"),                                # lost
         lead("L4", stage="proposal", status="active", amount=50),                   # reopened
         lead("L6", stage="acquired")]                                               # appeared; L5 vanished
    write_parsed(con, [parsed("march.csv", "a", a)])
    write_parsed(con, [parsed("april.csv", "b", b)])


def test_changes_hand_worked(con):
    two_uploads(con)
    out = upload_changes(con, ctx_of(con))
    assert out["from_file"] == "march.csv" and out["to_file"] == "april.csv"
    assert out["counts"] == {"appeared": 1, "vanished": 1, "advanced": 1, "slipped": 1, "won": 0, "lost": 1,
                             "reopened": 1, "amount_up": 1, "amount_down": 1, "close_pushed": 2,
                             "close_pulled": 0, "close_pushed_out": 1, "reassigned": 1}
    # amount in both: L1 100 -> 150 (+50), L2 200 -> 120 (-80), L4 50 -> 50 (0): -30; two of them changed
    assert out["amount_change"] == pytest.approx(-30.0)
    assert out["n_amount_both"] == 2


def test_vanished_lead_is_listed_and_never_deleted(con):
    two_uploads(con)
    assert con.execute("select count(*) from leads where lead_id = 'L5'").fetchone()[0] == 1
    ctx = ctx_of(con)
    out = upload_changes(con, ctx)
    listed = upload_change_leads(con, ctx, out["from"], out["to"], "vanished")
    assert list(listed["lead_id"]) == ["L5"]
    from funnel.metrics.columns import UPLOAD_CHANGE_LEADS  # its declared columns (funnel.metrics.columns)

    assert tuple(listed.columns) == UPLOAD_CHANGE_LEADS


@pytest.mark.parametrize("group", GROUPS)
def test_every_count_equals_its_list(con, group):
    two_uploads(con)
    ctx = ctx_of(con)
    out = upload_changes(con, ctx)
    assert len(upload_change_leads(con, ctx, out["from"], out["to"], group)) == out["counts"][group]
    assert len(changes_json(con, ctx)["leads"][group]) == out["counts"][group]


def test_attribute_filter_applies(con):
    two_uploads(con)
    out = upload_changes(con, ctx_of(con, reps=("王芳",)))
    assert out["counts"]["advanced"] == 1 and out["counts"]["slipped"] == 0 and out["counts"]["vanished"] == 0


def test_week_grain_pushed_out(con):
    two_uploads(con)
    ctx = resolve_context(con, FunnelFilter(), grain="week")
    # L2 2024-03-10 (a Sunday, week of 03-04) -> 03-25: past that week; L1 03-20 -> 04-02: past too
    assert upload_changes(con, ctx)["counts"]["close_pushed_out"] == 2


def test_store_from_an_earlier_version_gets_its_snapshot_table_and_a_baseline(tmp_path):
    path = tmp_path / "old.duckdb"
    con = connect(path)
    write_parsed(con, [parsed("a.csv", "a", [lead("L1"), lead("L2")])])
    con.execute("drop table lead_snapshots")
    con.close()
    con = connect(path)
    try:
        assert n_snapshots(con) == 2
        write_parsed(con, [parsed("b.csv", "b", [lead("L1", stage="discovery"), lead("L2")])])
        assert upload_changes(con, ctx_of(con))["counts"]["advanced"] == 1
    finally:
        con.close()


def test_two_exports_in_one_import_call_keep_their_own_values(con):
    a = parsed("march.csv", "a", [lead("L1", stage="screening", amount=100), lead("L2", status=None, stage=None)])
    b = parsed("april.csv", "b", [lead("L1", stage="proposal", amount=300), lead("L2", status=None, stage=None)])
    write_parsed(con, [a, b])
    rows = con.execute(
        """select i.file_name, s.lead_id, s.current_stage, s.amount, s.status from lead_snapshots s
           join imports i using (import_id) order by 1, 2""").fetchall()
    # L2 gives no status and no stage: both derived (untouched, first stage)
    assert rows == [("april.csv", "L1", "proposal", 300.0, "active"), ("april.csv", "L2", "acquired", None, "untouched"),
                    ("march.csv", "L1", "screening", 100.0, "active"), ("march.csv", "L2", "acquired", None, "untouched")]
    assert upload_changes(con, ctx_of(con))["counts"]["advanced"] == 1


def test_any_pair_equals_the_stored_diff_of_the_default_pair(con):
    """The loader's stored differences (last two imports) and the full comparison give the same answer; a pair
    that is not consecutive (A, C) is computed from the snapshots."""
    from funnel.metrics.review_changes import _has_diff

    two_uploads(con)
    write_parsed(con, [parsed("may.csv", "c", [lead("L1", stage="won", status="won", amount=150),
                                               lead("L6", stage="screening")])])
    ids = list(lead_imports(con)["import_id"])
    ctx = ctx_of(con)
    assert _has_diff(con, ids[1], ids[2]) and not _has_diff(con, ids[0], ids[2])
    stored = upload_changes(con, ctx, ids[1], ids[2])
    con.execute("delete from lead_snapshot_diffs")
    assert upload_changes(con, ctx, ids[1], ids[2]) == stored
    far = upload_changes(con, ctx, ids[0], ids[2])
    # March -> May: L1 screening -> won (advanced, won); L2..L5 vanished; L6 appeared
    assert far["counts"]["vanished"] == 4 and far["counts"]["appeared"] == 1 and far["counts"]["won"] == 1


def test_a_stage_log_naming_leads_is_not_a_lead_import(tmp_path):
    """The messy template and its stage log imported together (as a new manager does through the file input):
    the stage log names 3 leads, and the walk-through showed it offered as the "later" upload of a pair, with
    5 leads "vanished". SPEC §7.2: an import of only events is not a lead import, so there is one lead import
    (the template's 8 leads) and no pair to compare."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from messy_template import messy_files

    from funnel.metrics.review_changes import default_pair
    from funnel.store.loader import import_files

    con = connect(None)
    report = import_files(con, messy_files(), who="t")
    assert {f.format for f in report.files} == {"template", "events"}
    imports = lead_imports(con)
    assert list(imports["file_name"]) == ["线索跟踪表-导出.xlsx"]
    assert list(imports["leads"]) == [8]
    assert default_pair(con)[0] is None
