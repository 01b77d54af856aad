"""Fixture databases for the page tests: the sample data imported into a temp DuckDB file via the loader.

The app reads its database from $LEAD_FUNNEL_DB and its shared folder from $LEAD_FUNNEL_SHARED_DIR; each
test points them at its own files. The fixture DB is built once per session and copied for tests that write.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory) -> Path:
    """A DuckDB file holding data/sample/ imported through the loader (closed again, ready for the app)."""
    from funnel.store.bootstrap import sample_files
    from funnel.store.db import connect
    from funnel.store.loader import import_files

    files = sample_files()
    if not files:
        pytest.skip("data/sample/ has no files")
    path = tmp_path_factory.mktemp("db") / "sample.duckdb"
    con = connect(path)
    import_files(con, files, who="fixture")
    con.close()
    return path


@pytest.fixture
def app_env(tmp_path, monkeypatch):
    """Point the app at a database file of the test's choice; returns a function(db_path, no_sample=False)."""
    shared = tmp_path / "shared"
    shared.mkdir()

    def use(db_path: Path, no_sample: bool = False) -> Path:
        monkeypatch.setenv("LEAD_FUNNEL_DB", str(db_path))
        monkeypatch.setenv("LEAD_FUNNEL_SHARED_DIR", str(shared))
        if no_sample:
            monkeypatch.setenv("LEAD_FUNNEL_NO_SAMPLE", "1")
        else:
            monkeypatch.delenv("LEAD_FUNNEL_NO_SAMPLE", raising=False)
        return db_path

    return use


@pytest.fixture
def writable_db(sample_db, tmp_path) -> Path:
    """A private copy of the fixture DB for a test that imports or saves settings."""
    target = tmp_path / "copy.duckdb"
    shutil.copy(sample_db, target)
    wal = Path(str(sample_db) + ".wal")
    if wal.exists():
        shutil.copy(wal, Path(str(target) + ".wal"))
    return target
