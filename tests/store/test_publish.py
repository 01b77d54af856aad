"""Published copies: the writer publishes after every committed write; readers open the newest copy
read-only, pick up a new one on their next run, and old copies go once no reader holds them."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading

import pandas as pd
import pytest

from funnel.store import publish
from funnel.store.bootstrap import sample_files
from funnel.store.config import bump_data_version, set_setting
from funnel.store.db import connect
from funnel.store.transaction import write_transaction
from funnel.store.loader import import_files
from funnel.store.publish import (LATEST_NAME, NothingPublishedError, PublishedStore, cleanup, copies, hold,
                                  latest, publish_dir_for)


def _version(con) -> str:
    return con.execute("select value from settings where key = 'data_version'").fetchone()[0]


def _touch_setting(con, value: str) -> None:
    """A small committed write (a setting and a new data version), as the Settings page does."""
    with write_transaction(con):
        set_setting(con, "stalled_days", value)
        bump_data_version(con)


@pytest.fixture
def writer(tmp_path, monkeypatch):
    """A writer database with the sample data and publishing switched on (the folder exists)."""
    monkeypatch.delenv(publish.PUBLISH_DIR_ENV_VAR, raising=False)
    db = tmp_path / "w.duckdb"
    con = connect(db)
    publish.enable_publishing(db)
    if not sample_files():
        pytest.skip("data/sample/ has no files")
    import_files(con, sample_files(), who="test")
    yield db, con
    con.close()


def test_no_publish_folder_means_no_publishing(tmp_path, monkeypatch):
    monkeypatch.delenv(publish.PUBLISH_DIR_ENV_VAR, raising=False)
    db = tmp_path / "plain.duckdb"
    con = connect(db)
    _touch_setting(con, "9")
    con.register("_after_commit_check", pd.DataFrame({"x": [1]}))  # the commit hook left no unfinished result
    con.close()
    assert not publish_dir_for(db).exists()  # scripts/run.sh, tests, other --db files: as before


def test_import_publishes_a_copy_with_the_same_data(writer):
    db, con = writer
    folder = publish_dir_for(db)
    info = latest(folder)
    assert info is not None and info.path.exists() and info.lock_path.exists()
    assert info.data_version == _version(con)
    assert info.source == str(db.resolve())
    reader = PublishedStore(folder)
    cur = reader.cursor()
    assert cur.execute("select count(*) from leads").fetchone() == con.execute("select count(*) from leads").fetchone()
    assert cur.execute("select count(*) from lead_facts").fetchone()[0] > 0  # derived tables travel along
    with pytest.raises(Exception):  # read-only and confined
        cur.execute("delete from leads")
    reader.close()
    assert not list(folder.glob("*.tmp"))
    assert json.loads((folder / LATEST_NAME).read_text())["file"] == info.file


def test_a_reader_in_another_process_never_waits_for_the_writer(writer):
    """The writer keeps its file open read-write (as the dashboard's writer does); a second process reads the
    published copy all the same: no 'busy'."""
    db, con = writer
    code = textwrap.dedent(f"""
        from funnel.store.publish import PublishedStore
        s = PublishedStore({str(publish_dir_for(db))!r})
        print(s.cursor().execute("select count(*) from leads").fetchone()[0])
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) == con.execute("select count(*) from leads").fetchone()[0]


def test_next_run_sees_the_new_copy_and_the_old_one_goes_when_released(writer):
    db, con = writer
    folder = publish_dir_for(db)
    reader = PublishedStore(folder)
    first = reader.begin_run()
    assert reader.cursor().execute("select value from settings where key='data_version'").fetchone()[0] \
        == first.data_version

    # A long run on another thread is pinned to the first copy while the writer publishes a new one.
    pinned, go_on, seen = threading.Event(), threading.Event(), {}

    def long_run():
        reader.begin_run()
        seen["before"] = _version(reader.cursor())
        pinned.set()
        go_on.wait(30)
        seen["after"] = _version(reader.cursor())  # the same copy for the whole run: never mixed

    worker = threading.Thread(target=long_run)
    worker.start()
    assert pinned.wait(30)
    _touch_setting(con, "11")
    second = latest(folder)
    assert second.file > first.file and second.data_version == _version(con)

    # The next run of this thread reads the new copy; the old one is still open for the long run.
    assert reader.begin_run().file == second.file
    assert _version(reader.cursor()) == second.data_version
    assert first.path.exists()
    cleanup(folder)
    assert first.path.exists()  # held by the long run: cleanup leaves it

    go_on.set()
    worker.join(30)
    assert seen["before"] == seen["after"] == first.data_version
    reader.begin_run()  # no live run uses the first copy now: closed, its lock released, removed
    assert not first.path.exists() and not first.lock_path.exists()
    assert copies(folder) == [second.file]
    reader.close()


def test_cleanup_spares_held_and_newer_copies_and_publish_removes_stale_tmp(writer):
    db, con = writer
    folder = publish_dir_for(db)
    old = latest(folder)
    fd = hold(old)  # another process's reader, say
    assert fd is not None
    (folder / "copy-00000000000000000001.duckdb.tmp").write_bytes(b"half a copy")
    _touch_setting(con, "12")
    new = latest(folder)
    assert old.path.exists(), "a held copy must survive the writer's cleanup"
    assert not (folder / "copy-00000000000000000001.duckdb.tmp").exists()
    future = folder / "copy-99999999999999999999.duckdb"  # being published right now (newer than LATEST)
    future.write_bytes(b"")
    import os

    os.close(fd)
    assert cleanup(folder) == [old.file]
    assert future.exists() and new.path.exists()


def test_failed_publish_keeps_the_commit_and_the_previous_copy(writer, monkeypatch, caplog):
    db, con = writer
    folder = publish_dir_for(db)
    before = latest(folder)

    def broken(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(publish.shutil, "copyfile", broken)
    _touch_setting(con, "13")
    assert con.execute("select value from settings where key='stalled_days'").fetchone()[0] == "13"
    assert latest(folder) == before
    assert "publishing a copy of the database failed" in caplog.text


def test_reader_before_anything_was_published(tmp_path):
    (tmp_path / "pub").mkdir()
    with pytest.raises(NothingPublishedError):
        PublishedStore(tmp_path / "pub").cursor()


def test_cli_publish_command(tmp_path, monkeypatch):
    """``python -m funnel publish`` switches publishing on and publishes what the writer holds now."""
    from funnel.cli import main

    monkeypatch.delenv(publish.PUBLISH_DIR_ENV_VAR, raising=False)
    monkeypatch.setenv("LEAD_FUNNEL_NO_SAMPLE", "1")
    db = tmp_path / "c.duckdb"
    assert main(["publish", "--db", str(db)]) == 0
    info = latest(publish_dir_for(db))
    assert info is not None and info.path.exists()
    reader = PublishedStore(publish_dir_for(db))
    assert reader.cursor().execute("select count(*) from leads").fetchone()[0] == 0
    reader.close()
