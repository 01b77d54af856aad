"""export-lake: the base tables as Parquet, leads partitioned by acquisition month, read back unchanged."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pytest

from funnel.cli import main
from funnel.store.bootstrap import sample_files
from funnel.store.db import connect
from funnel.store.lake import BASE_TABLES, export_lake
from funnel.store.loader import import_files


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    if not sample_files():
        pytest.skip("data/sample/ has no files")
    db = tmp_path_factory.mktemp("lake") / "s.duckdb"
    con = connect(db)
    import_files(con, sample_files(), who="test")
    con.close()
    return db


def test_export_lake_round_trip(sample, tmp_path):
    lake = tmp_path / "lake"
    assert main(["export-lake", "--db", str(sample), str(lake)]) == 0
    manifest = json.loads((lake / "manifest.json").read_text())
    src = connect(sample, read_only=True)
    check = duckdb.connect()
    for table in BASE_TABLES:
        assert manifest["tables"][table] == src.execute(f"select count(*) from {table}").fetchone()[0]
    # leads: one folder per acquisition month (Hive style), undated apart; the rows come back unchanged
    months = sorted(p.name for p in (lake / "leads").iterdir())
    assert months and all(m.startswith("acquired_month=") for m in months)
    expected = {m for (m,) in src.execute(
        "select distinct coalesce(strftime(acquired_at, '%Y-%m'), 'undated') from leads").fetchall()}
    assert {m.split("=", 1)[1] for m in months} == expected
    back = check.execute(f"select * exclude (acquired_month) from read_parquet('{lake}/leads/**/*.parquet', "
                         "hive_partitioning = true) order by lead_id").df()
    orig = src.execute("select * from leads order by lead_id").df()
    assert list(back.columns) == list(orig.columns)
    assert back.equals(orig)
    events = check.execute(f"select count(*) from read_parquet('{lake}/stage_events/*.parquet')").fetchone()[0]
    assert events == manifest["tables"]["stage_events"]
    src.close()


def test_export_lake_refuses_a_folder_with_files(sample, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.txt").write_text("keep me")
    assert main(["export-lake", "--db", str(sample), str(tmp_path / "full")]) == 1
    assert (tmp_path / "full" / "x.txt").read_text() == "keep me"


def test_export_lake_while_the_writer_holds_the_file_uses_the_published_copy(sample, tmp_path, monkeypatch):
    import shutil

    monkeypatch.delenv("LEAD_FUNNEL_PUBLISH_DIR", raising=False)
    db = tmp_path / "held.duckdb"
    shutil.copy(sample, db)
    assert main(["publish", "--db", str(db)]) == 0
    # Another process holds the file read-write (as the dashboard's writer does).
    holder = subprocess.Popen([sys.executable, "-c", "import sys, duckdb; c = duckdb.connect(sys.argv[1]); "
                               "print('held', flush=True); sys.stdin.read()", str(db)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert main(["export-lake", "--db", str(db), str(tmp_path / "lake")]) == 0
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
    assert json.loads((tmp_path / "lake" / "manifest.json").read_text())["tables"]["leads"] > 0
