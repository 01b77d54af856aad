"""Backup: EXPORT DATABASE to Parquet and IMPORT DATABASE into a new file give the same figures; paths bound."""

from __future__ import annotations

import pytest

from funnel.store.backup import BackupError, export_database, import_database
from funnel.store.bootstrap import sample_files
from funnel.store.db import Store, backup_dir_for, connect
from funnel.store.loader import import_files
from rel_helpers import counts, figure_snapshot, lead_csv


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    con = connect(tmp_path_factory.mktemp("live") / "live.duckdb")
    files = sample_files() or []
    import_files(con, [*files, ("extra.csv", lead_csv(120))], who="backup-test")
    yield con
    con.close()


def test_export_then_import_gives_the_same_figures(filled, tmp_path):
    folder = export_database(filled, tmp_path / "backups" / "2024-06-30")
    assert (folder / "schema.sql").is_file() and list(folder.glob("*.parquet"))
    restored = import_database(folder, tmp_path / "restored.duckdb")
    try:
        assert counts(restored) == counts(filled)
        assert figure_snapshot(restored) == figure_snapshot(filled)
        # the restored database is a working store: a new import still lands
        import_files(restored, [("more.csv", lead_csv(5, prefix="N"))])
        assert restored.execute("select count(*) from lead_facts").fetchone()[0] == counts(filled)["leads"] + 5
    finally:
        restored.close()


def test_confined_store_exports_into_its_backup_folder_only(tmp_path):
    store = Store(tmp_path / "app.duckdb")
    con = store.cursor()
    import_files(con, [("a.csv", lead_csv(30))])
    root = backup_dir_for(tmp_path / "app.duckdb")
    assert root == (tmp_path / "backups").resolve()
    folder = export_database(con, root / "b1", root=root)
    assert (folder / "leads.parquet").is_file()
    with pytest.raises(BackupError, match="outside"):
        export_database(con, tmp_path / "elsewhere", root=root)
    with pytest.raises(BackupError, match="outside"):
        export_database(con, root / ".." / "escape", root=root)
    import duckdb
    with pytest.raises(duckdb.PermissionException):   # even without the check, SQL cannot write elsewhere
        export_database(con, tmp_path / "elsewhere2")
    store.close()


@pytest.mark.parametrize("name", ["x'; copy leads to '/tmp/leak.csv", 'a"b', "a\\b", "a\nb", "a\x00b"])
def test_odd_backup_paths_are_refused(tmp_path, name):
    con = connect(None)
    with pytest.raises(BackupError):
        export_database(con, tmp_path / name)
    con.close()


def test_backup_never_overwrites(tmp_path):
    con = connect(None)
    folder = export_database(con, tmp_path / "b")
    with pytest.raises(BackupError, match="not empty"):
        export_database(con, folder)
    con.close()
    (tmp_path / "exists.duckdb").write_bytes(b"")
    with pytest.raises(BackupError, match="new database file"):
        import_database(folder, tmp_path / "exists.duckdb")
    with pytest.raises(BackupError, match="not a database export"):
        import_database(tmp_path, tmp_path / "new.duckdb")
