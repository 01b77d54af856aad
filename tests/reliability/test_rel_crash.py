"""Data safety: kill -9 during and after an import, concurrent imports through one Store, Store.reset after a
dead instance, a second process waiting for the first."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest

from funnel.store.db import Store, StoreBusyError, connect
from funnel.store.loader import import_files
from rel_helpers import counts, figure_snapshot, lead_csv

CHILD = str(Path(__file__).with_name("rel_child.py"))


def _start(db: Path, csv: Path, mode: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, CHILD, str(db), str(csv), mode], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(proc: subprocess.Popen, word: str, timeout: float = 60) -> None:
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    try:
        line = proc.stdout.readline().strip()
    finally:
        timer.cancel()
    if line != word:
        proc.kill()
        raise AssertionError(f"child said {line!r}, expected {word!r}; stderr: {proc.stderr.read()[-2000:]}")


def _kill9(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL


@pytest.fixture()
def seeded_db(tmp_path) -> Path:
    """A database file holding one committed import of 200 leads (closed)."""
    db = tmp_path / "crash.duckdb"
    con = connect(db)
    import_files(con, [("first.csv", lead_csv(200, prefix="A"))], who="seed")
    con.close()
    return db


def test_sigkill_inside_the_import_transaction_leaves_the_database_as_before(seeded_db, tmp_path):
    con = connect(seeded_db)
    before, figures_before = counts(con), figure_snapshot(con)
    con.close()
    big = tmp_path / "big.csv"
    big.write_bytes(lead_csv(2000, prefix="B"))  # ~0.2 MB; all rows written, derived tables rebuilt
    child = _start(seeded_db, big, "pause-in-transaction")
    _wait_for(child, "IN-TRANSACTION")
    _kill9(child)

    con = connect(seeded_db)  # reopening works (WAL replayed / discarded)
    try:
        assert counts(con) == before
        assert figure_snapshot(con) == figures_before
        assert con.execute("select count(*) from leads where lead_id like 'B%'").fetchone()[0] == 0
        # and the store is writable again: the same file now imports in full
        report = import_files(con, [big])
        assert report.rows_accepted == 2000
        assert con.execute("select count(*) from lead_facts").fetchone()[0] == 2200
    finally:
        con.close()


def test_committed_import_survives_sigkill_and_the_wal_replays(seeded_db, tmp_path):
    csv = tmp_path / "second.csv"
    csv.write_bytes(lead_csv(1000, prefix="C"))
    child = _start(seeded_db, csv, "commit-then-wait")
    _wait_for(child, "COMMITTED")
    wal = Path(str(seeded_db) + ".wal")
    assert wal.exists() and wal.stat().st_size > 0  # the commit sits in the WAL, not yet checkpointed
    _kill9(child)

    con = connect(seeded_db)
    try:
        assert con.execute("select count(*) from leads").fetchone()[0] == 1200
        assert con.execute("select count(*) from lead_facts").fetchone()[0] == 1200
        assert con.execute("select count(*) from imports where who = 'child'").fetchone()[0] == 1
    finally:
        con.close()


@pytest.mark.parametrize("n_threads", [2, 10])
def test_concurrent_imports_through_one_store_all_succeed(tmp_path, n_threads):
    """Regression test of a fixed bug: two write transactions both rebuilding lead_facts used to fail with
    'Catalog write-write conflict'. Fixed: every writer (importer, derived-table refresh, Settings page) goes
    through funnel.store.db.write_transaction, which holds the process-wide store.db.WRITE_LOCK."""
    store = Store(tmp_path / "threads.duckdb")
    errors: list[BaseException] = []
    barrier = threading.Barrier(n_threads)

    def work(k: int) -> None:
        try:
            con = store.cursor()
            barrier.wait()
            import_files(con, [(f"upload{k}.csv", lead_csv(100, prefix=f"T{k}-"))], who=f"session{k}")
        except BaseException as err:  # noqa: BLE001 - collected and asserted below
            errors.append(err)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    try:
        assert errors == []
        con = store.cursor()
        assert con.execute("select count(*) from leads").fetchone()[0] == 100 * n_threads
        assert con.execute("select count(*) from lead_facts").fetchone()[0] == 100 * n_threads
        assert con.execute("select count(*) from imports").fetchone()[0] == n_threads
    finally:
        store.close()


def test_same_file_uploaded_by_two_sessions_at_once_is_written_once(tmp_path):
    store = Store(tmp_path / "twice.duckdb")
    data = lead_csv(300)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    reports = []

    def work() -> None:
        try:
            con = store.cursor()
            barrier.wait()
            reports.append(import_files(con, [("same.csv", data)]))
        except BaseException as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    try:
        assert errors == []
        assert sorted(r.all_unchanged for r in reports) == [False, True]
        assert store.cursor().execute("select count(*) from imports").fetchone()[0] == 1
    finally:
        store.close()


def test_store_reset_after_a_dead_instance_reconnects_and_keeps_committed_data(tmp_path):
    """A fatal DuckDB error invalidates the instance; the page calls Store.reset() and the next cursor() opens
    a fresh one (the WAL replays). The dead instance is simulated by closing it under the cursors."""
    store = Store(tmp_path / "reset.duckdb")
    con = store.cursor()
    import_files(con, [("a.csv", lead_csv(50))])
    other_thread_cursor: list = []
    t = threading.Thread(target=lambda: other_thread_cursor.append(store.cursor()))
    t.start()
    t.join()
    store._con.close()  # the instance dies under every cursor
    with pytest.raises(duckdb.Error):
        con.execute("select 1").fetchall()

    store.reset()
    fresh = store.cursor()
    assert fresh is not con
    assert fresh.execute("select count(*) from lead_facts").fetchone()[0] == 50
    # other threads get a fresh cursor too (their thread-local cursor belonged to the dead instance)
    got: list = []
    t = threading.Thread(target=lambda: got.append(store.cursor().execute("select count(*) from leads").fetchone()))
    t.start()
    t.join()
    assert got == [(50,)]
    assert store.cursor().execute("select current_setting('enable_external_access')").fetchone()[0] is False
    store.close()


def test_reset_twice_and_close_are_harmless(tmp_path):
    store = Store(tmp_path / "r2.duckdb")
    store.cursor()
    store.reset()
    store.reset()
    store.close()
    assert store.cursor().execute("select 1").fetchone() == (1,)
    store.close()


def test_second_process_busy_then_succeeds_once_the_first_closes(tmp_path):
    db = tmp_path / "busy.duckdb"
    csv = tmp_path / "late.csv"
    csv.write_bytes(lead_csv(40, prefix="Z"))
    holder = _start(db, csv, "hold")
    waiter = None
    try:
        _wait_for(holder, "HOLDING")
        with pytest.raises(StoreBusyError, match="try again"):
            Store(db).cursor()
        waiter = _start(db, csv, "retry-import")
        _wait_for(waiter, "BUSY")
        holder.stdin.write("\n")
        holder.stdin.flush()
        _wait_for(holder, "CLOSED")
        _wait_for(waiter, "IMPORTED 40")
    finally:
        for proc in (holder, waiter):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
    con = connect(db)
    assert con.execute("select count(*) from leads").fetchone()[0] == 40
    con.close()
