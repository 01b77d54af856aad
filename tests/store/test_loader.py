"""The loader: one transaction per import, upsert by lead_id, unique events, idempotent re-import."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from funnel.ingest.batch import ParsedFile, frame_as_arrow
from funnel.store import loader
from funnel.store.db import StoreBusyError, connect
from funnel.store.derived import DuplicateLeadId
from funnel.store.loader import write_parsed


def _ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def _lead(**fields) -> dict:
    base = {name: None for name in ("lead_id", "source", "customer", "contact", "contact_info", "acquired_at",
                                    "current_stage", "stage_entered_at", "expected_close", "rep", "manager",
                                    "status_reported", "cycle_days_reported", "lost_reason", "lost_at", "notes",
                                    "amount")}
    base.update(fields)
    return base


def _parsed(name: str, sha: str, leads=(), events=(), activities=()) -> ParsedFile:
    item = ParsedFile(file_name=name, sha256=sha, format="template")
    if leads:
        item.leads = pd.DataFrame(list(leads))
    if events:
        item.events = pd.DataFrame(list(events), columns=["lead_id", "stage", "entered_at"])
    if activities:
        item.activities = pd.DataFrame(list(activities), columns=["lead_id", "at", "content", "feedback", "actor"])
    item.rows_read = item.rows_accepted = len(item.leads) or len(item.events)
    return item


@pytest.fixture()
def con():
    connection = connect(None)
    yield connection
    connection.close()


def _lead_row(con, lead_id: str) -> dict:
    cur = con.execute("select * from leads where lead_id = ?", [lead_id])
    names = [d[0] for d in cur.description]
    return dict(zip(names, cur.fetchone()))


def test_newer_export_updates_by_lead_id_and_keeps_fields_it_leaves_empty(con):
    first = _parsed("a.csv", "sha-a", leads=[_lead(lead_id="L1", source="展会", status_reported="active",
                                                    acquired_at=_ts("2024-03-01"))])
    second = _parsed("b.csv", "sha-b", leads=[_lead(lead_id="L1", status_reported="won")])
    write_parsed(con, [first])
    write_parsed(con, [second])
    row = _lead_row(con, "L1")
    # status moved on (active -> won); source was empty in the newer file, so the stored 展会 stays.
    assert (row["status_reported"], row["source"]) == ("won", "展会")
    assert con.execute("select count(*) from leads").fetchone()[0] == 1


def test_same_content_twice_changes_nothing(con):
    item = _parsed("a.csv", "sha-a", leads=[_lead(lead_id="L1", acquired_at=_ts("2024-03-01"))],
                   events=[("L1", "acquired", _ts("2024-03-01"))])
    write_parsed(con, [item])
    before = con.execute("select count(*) from imports").fetchone()[0]
    report = write_parsed(con, [item])
    assert report.all_unchanged
    assert con.execute("select count(*) from imports").fetchone()[0] == before == 1
    assert con.execute("select count(*) from stage_events").fetchone()[0] == 1


def test_events_unique_and_dated_entry_supersedes_undated(con):
    template = _parsed("t.csv", "sha-t", leads=[_lead(lead_id="L1", acquired_at=_ts("2024-03-01"))],
                       events=[("L1", "acquired", _ts("2024-03-01")), ("L1", "screening", None),
                               ("L1", "discovery", _ts("2024-03-05"))])
    log = _parsed("log.csv", "sha-log", events=[("L1", "screening", _ts("2024-03-03")),
                                                ("L1", "discovery", _ts("2024-03-05"))])
    write_parsed(con, [template, log])
    rows = con.execute("select stage, entered_at from stage_events order by entered_at").fetchall()
    # 3 distinct (stage, date) pairs; the undated screening row gave way to the dated one from the log.
    assert rows == [("acquired", dt.datetime(2024, 3, 1)), ("screening", dt.datetime(2024, 3, 3)),
                    ("discovery", dt.datetime(2024, 3, 5))]


def test_lead_known_only_from_stage_log_is_added_with_acquisition_from_first_stage(con):
    log = _parsed("log.csv", "sha-log", events=[("L9", "acquired", _ts("2024-02-02")),
                                                ("L9", "screening", _ts("2024-02-05"))])
    report = write_parsed(con, [log])
    row = _lead_row(con, "L9")
    assert row["acquired_at"] == dt.datetime(2024, 2, 2)
    assert any("appear only in a stage log" in n for n in report.notes)


def test_failure_half_way_leaves_earlier_data_unchanged(con, monkeypatch):
    write_parsed(con, [_parsed("a.csv", "sha-a", leads=[_lead(lead_id="L1", source="展会")])])

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(loader, "refresh_derived", broken)
    with pytest.raises(RuntimeError):
        write_parsed(con, [_parsed("b.csv", "sha-b", leads=[_lead(lead_id="L1", source="官网"),
                                                             _lead(lead_id="L2")])])
    assert con.execute("select lead_id, source from leads").fetchall() == [("L1", "展会")]
    assert con.execute("select count(*) from imports").fetchone()[0] == 1


def test_second_process_gets_a_busy_message(tmp_path):
    db = tmp_path / "held.duckdb"
    connect(db).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(db)!r})
            print('ready', flush=True)
            sys.stdin.readline()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreBusyError, match="try again"):
            connect(db)
    finally:
        holder.communicate("\n", timeout=10)
    connect(db).close()  # free again once the other process is gone


def test_store_from_an_earlier_version_gets_its_derived_tables_on_open(tmp_path):
    db = tmp_path / "old.duckdb"
    con = connect(db)
    write_parsed(con, [_parsed("a.csv", "sha-a", leads=[_lead(lead_id="L1", acquired_at=_ts("2024-03-01"))],
                               events=[("L1", "acquired", _ts("2024-03-01"))])])
    con.execute("drop table interval_facts")  # what a store made before interval_facts existed looks like
    con.close()
    con = connect(db)
    assert con.execute("select count(*) from lead_facts").fetchone()[0] == 1
    assert con.execute("select count(*) from interval_facts").fetchone()[0] >= 0
    con.close()


# The lead upsert runs as UPDATE ... FROM plus INSERT of the new keys: it must give what the reference
# INSERT ... ON CONFLICT DO UPDATE (coalesce per field) gives, on a mix of stored and new keys.
_REFERENCE_UPSERT = (
    "insert into leads select {select} from staged_leads on conflict (lead_id) do update set {sets}, "
    "import_id = excluded.import_id")


def test_a_lead_id_stored_twice_stops_the_import_and_changes_nothing(con):
    # leads has no PRIMARY KEY (schema.py): the refresh of every write refuses a store holding an ID twice, so the
    # transaction rolls back as the key's violation made it. The duplicate here is written around the loader.
    write_parsed(con, [_parsed("a.csv", "sha-a", leads=[_lead(lead_id="L1", source="展会")])])
    con.execute("insert into leads (lead_id, source) values ('L1', '官网')")
    with pytest.raises(DuplicateLeadId, match="'L1'"):
        write_parsed(con, [_parsed("b.csv", "sha-b", leads=[_lead(lead_id="L2")])])
    assert con.execute("select lead_id, source from leads order by source").fetchall() == [("L1", "官网"),
                                                                                           ("L1", "展会")]
    assert con.execute("select count(*) from imports").fetchone()[0] == 1


def test_leads_stay_unique_without_a_key_across_files_and_imports(con):
    # Two files of one import name L1 (the later one's fields win), a second import names L1 and L2 again:
    # each ID is stored once, and the refresh (which refuses a repeated ID) passed each time.
    first = _parsed("a.csv", "sha-a", leads=[_lead(lead_id="L1", source="展会"), _lead(lead_id="L2")])
    second = _parsed("b.csv", "sha-b", leads=[_lead(lead_id="L1", source="官网"), _lead(lead_id="L3")])
    write_parsed(con, [first, second])
    write_parsed(con, [_parsed("c.csv", "sha-c", leads=[_lead(lead_id="L2", rep="李明"), _lead(lead_id="L1")])])
    assert con.execute("select lead_id, count(*) from leads group by lead_id order by lead_id").fetchall() == [
        ("L1", 1), ("L2", 1), ("L3", 1)]
    assert _lead_row(con, "L1")["source"] == "官网"
    assert con.execute("select count(*) from lead_facts").fetchone()[0] == 3


def _reference_upsert(con, frame: pd.DataFrame, import_id: str) -> None:
    # the store's leads table has no key (schema.py); ON CONFLICT needs one: a unique index in this reference
    con.execute("create unique index if not exists reference_lead_key on leads (lead_id)")
    columns = loader._LEAD_TEXT + loader._LEAD_TIME + loader._LEAD_NUM + ("status",)
    sets = ", ".join("{0} = coalesce(excluded.{0}, leads.{0})".format(c) for c in columns)
    con.register("staged_leads", frame_as_arrow(frame))
    con.execute(_REFERENCE_UPSERT.format(select=loader._lead_select(), sets=sets), [import_id])
    con.unregister("staged_leads")


@pytest.mark.parametrize("second", [
    [_lead(lead_id="L1", status_reported="won"), _lead(lead_id="L3", source="官网", amount=5.0)],
    [_lead(lead_id="L1"), _lead(lead_id="L2"), _lead(lead_id="L4")],          # a stage log's bare lead IDs
    [_lead(lead_id="L2", acquired_at=_ts("2024-05-01"), rep="王芳", cycle_days_reported=3.0, lost_reason="价格")],
])
def test_lead_upsert_equals_on_conflict_reference(second):
    first = [_lead(lead_id="L1", source="展会", status_reported="active", acquired_at=_ts("2024-03-01"), amount=1.0),
             _lead(lead_id="L2", customer="A公司", rep="李明", notes="n")]
    stored = []
    for write in (loader._write_leads, _reference_upsert):
        c = connect(None)
        write(c, pd.DataFrame(first), "imp1")
        write(c, pd.DataFrame(second), "imp2")
        stored.append(c.execute("select * from leads order by lead_id").fetchall())
        c.close()
    assert stored[0] == stored[1]


def test_save_settings_writes_rebuilds_and_bumps_in_one_transaction(monkeypatch):
    from funnel.stages import StageConfig
    from funnel.store.config import data_version, get_setting, load_stage_config
    from funnel.store.db import connect
    from funnel.store.settings import save_settings

    con = connect(None)
    before = data_version(con)
    config = load_stage_config(con)
    renamed = StageConfig(tuple(s if s.key != "screening" else s.__class__(s.key, s.order, "筛选", "Screen",
                                                                            s.definition, s.expected_days, s.kind)
                                for s in config.stages), config.synonyms)
    after = save_settings(con, stages=renamed, values={"stalled_days": "9"})
    assert after != before and data_version(con) == after
    assert load_stage_config(con).get("screening").name_en == "Screen" and get_setting(con, "stalled_days") == "9"
    import funnel.store.settings as settings_module

    def broken(_con):
        raise RuntimeError("rebuild failed")

    monkeypatch.setattr(settings_module, "refresh_derived", broken)
    with pytest.raises(RuntimeError):
        save_settings(con, stages=config, values={"stalled_days": "3"})
    assert get_setting(con, "stalled_days") == "9" and data_version(con) == after  # nothing half-saved
