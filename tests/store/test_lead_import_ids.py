"""leads.import_id is the last file of the import that named the lead, whichever way the loader writes it.

A first import (no lead stored when it began) writes each lead once with the import_id it ends with
(``funnel.store.lead_import_ids``); any other import, and ``fast_empty=False``, sets it by UPDATE. Both must store
the same leads.
"""

from __future__ import annotations

import pytest

from funnel.store import lead_import_ids
from funnel.store.db import connect
from funnel.store.loader import write_parsed
from tests.store.test_loader import _lead, _parsed, _ts


def _three_files():
    # a.csv: a lead list of L1, L2, L3; b.csv: a stage log, whose lead rows are bare IDs (L2 and the new L4);
    # c.csv: a lead list again, of L3 (a new source) and L4 (a rep).
    a = _parsed("a.csv", "sha-a", leads=[_lead(lead_id="L1", source="展会", acquired_at=_ts("2024-03-01")),
                                         _lead(lead_id="L2", source="官网", acquired_at=_ts("2024-03-02")),
                                         _lead(lead_id="L3", source="展会", acquired_at=_ts("2024-03-03"))])
    b = _parsed("b.csv", "sha-b", leads=[_lead(lead_id="L2"), _lead(lead_id="L4")],
                events=[("L2", "acquired", _ts("2024-03-02")), ("L4", "acquired", _ts("2024-03-05"))])
    b.format = "events"
    c = _parsed("c.csv", "sha-c", leads=[_lead(lead_id="L3", source="官网"), _lead(lead_id="L4", rep="李明")])
    return [a, b, c]


def _stored(fast_empty: bool, files) -> tuple[dict, list]:
    con = connect(None)
    try:
        report = write_parsed(con, files, fast_empty=fast_empty)
        ids = {r.file_name: r.import_id for r in report.files}
        names = {v: k for k, v in ids.items()}
        rows = con.execute("select lead_id, source, rep, acquired_at, import_id from leads order by lead_id").fetchall()
        temp = con.execute("select count(*) from duckdb_tables() where table_name = ?", [lead_import_ids.TABLE]
                           ).fetchone()[0]
        assert temp == 0  # the plan is dropped with the import
        return ids, [(lead, source, rep, at, names[import_id]) for lead, source, rep, at, import_id in rows]
    finally:
        con.close()


@pytest.mark.parametrize("fast_empty", [True, False])
def test_each_lead_ends_with_the_last_file_that_named_it(fast_empty):
    # L1: only a.csv -> a.csv. L2: a.csv, then b.csv's bare ID -> b.csv, its source kept (官网).
    # L3: a.csv, then c.csv's new source -> c.csv, source 官网. L4: b.csv (new there), then c.csv's rep -> c.csv,
    # acquired_at from its first stage entry (2024-03-05, _complete_leads), rep 李明.
    _, rows = _stored(fast_empty, _three_files())
    assert rows == [
        ("L1", "展会", None, _ts("2024-03-01"), "a.csv"),
        ("L2", "官网", None, _ts("2024-03-02"), "b.csv"),
        ("L3", "官网", None, _ts("2024-03-03"), "c.csv"),
        ("L4", None, "李明", _ts("2024-03-05"), "c.csv"),
    ]


def test_a_second_import_sets_import_ids_by_update():
    # Not a first import (leads stored): b.csv's bare IDs set L1's import_id by UPDATE, L2 is new.
    con = connect(None)
    try:
        write_parsed(con, [_parsed("a.csv", "sha-a", leads=[_lead(lead_id="L1", source="展会")])])
        report = write_parsed(con, [_parsed("b.csv", "sha-b", leads=[_lead(lead_id="L1"), _lead(lead_id="L2")])])
        b_id = report.files[0].import_id
        assert con.execute("select lead_id, source, import_id from leads order by lead_id").fetchall() == [
            ("L1", "展会", b_id), ("L2", None, b_id)]
    finally:
        con.close()


def test_a_file_imported_twice_in_one_import_is_planned_once():
    # c.csv twice (same content): the second is skipped, so a.csv's L1 ends with c.csv's import_id, the only one.
    a = _parsed("a.csv", "sha-a", leads=[_lead(lead_id="L1", source="展会")])
    c = _parsed("c.csv", "sha-c", leads=[_lead(lead_id="L1", rep="李明")])
    again = _parsed("c-copy.csv", "sha-c", leads=[_lead(lead_id="L1", rep="王芳")])
    con = connect(None)
    try:
        report = write_parsed(con, [a, c, again])
        assert report.files[2].skipped_unchanged and report.files[2].import_id is None
        assert con.execute("select source, rep, import_id from leads").fetchall() == [
            ("展会", "李明", report.files[1].import_id)]
    finally:
        con.close()


def test_both_ways_store_the_same_leads_on_a_generated_set():
    from data import generate_sample as gen  # the sample generator: a template and a stage log of the same leads

    generated = gen.generate(n_leads=200, seed=11).leads
    rows = [_lead(lead_id=r.lead_id, source=r.source, acquired_at=r.acquired_at, rep=r.rep, amount=r.amount)
            for r in generated.itertuples()]
    bare = [_lead(lead_id=r["lead_id"]) for r in rows[::2]]  # a stage log naming every other lead
    stored = []
    for fast_empty in (True, False):
        files = [_parsed("a.csv", "sha-a", leads=rows), _parsed("b.csv", "sha-b", leads=bare)]
        stored.append(_stored(fast_empty, files)[1])
    assert stored[0] == stored[1] and len(stored[0]) == 200
    assert sum(1 for row in stored[0] if row[4] == "b.csv") == 100


def test_the_plan_is_made_only_for_a_first_import_with_two_files_of_lead_rows(monkeypatch):
    # The way these tests hold equal is taken: a first import of a.csv, b.csv, c.csv plans b's and c's IDs; a
    # second import, a single file, or fast_empty=False plans nothing.
    planned = []
    real = lead_import_ids.plan
    monkeypatch.setattr(lead_import_ids, "plan", lambda con, later: planned.append(
        [(leads.column("lead_id").to_pylist(), import_id) for leads, import_id in later]) or real(con, later))
    ids, _ = _stored(True, _three_files())
    assert planned == [[(["L2", "L4"], ids["b.csv"]), (["L3", "L4"], ids["c.csv"])]]
    planned.clear()
    _stored(False, _three_files())
    _stored(True, _three_files()[:1])
    assert planned == []


def test_an_import_that_fails_after_the_plan_leaves_nothing_for_the_next(monkeypatch):
    # The refresh fails after every file is written: the import rolls back with its plan, and the same connection's
    # next import (a.csv and b.csv alone) stores the import_ids of its own files.
    import funnel.store.loader as loader

    con = connect(None)
    try:
        real = loader.refresh_derived
        monkeypatch.setattr(loader, "refresh_derived", lambda c, *a: (_ for _ in ()).throw(RuntimeError("boom")))
        with pytest.raises(RuntimeError, match="boom"):
            write_parsed(con, _three_files())
        monkeypatch.setattr(loader, "refresh_derived", real)
        assert con.execute("select count(*) from leads").fetchone()[0] == 0
        report = write_parsed(con, _three_files()[:2])
        a_id, b_id = (r.import_id for r in report.files)
        assert con.execute("select lead_id, import_id from leads order by lead_id").fetchall() == [
            ("L1", a_id), ("L2", b_id), ("L3", a_id), ("L4", b_id)]
    finally:
        con.close()
