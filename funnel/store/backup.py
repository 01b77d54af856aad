"""Backups: the whole database as Parquet files (EXPORT DATABASE) and back (IMPORT DATABASE).

``export_database(con, folder)`` writes every table (``schema.sql``, ``load.sql`` and one Parquet file per
table) into ``folder``, which must be empty or not exist yet; ``import_database(folder, db_path)`` builds a
*new* database file from such a folder (it refuses to overwrite an existing file: restore into a new file,
stop the dashboard, then swap the files).

Paths cannot be bound as parameters in EXPORT / IMPORT DATABASE, so they are checked instead: resolved to an
absolute path, no quote, no control character, no NUL, and, when ``root`` is given, inside ``root`` (a
confined dashboard connection can only write below its backup folder anyway: ``funnel.store.db.Store``).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from funnel.store.db import connect


class BackupError(ValueError):
    """A backup path that cannot be used (outside the backup folder, not empty, odd characters)."""


def _checked(folder: str | Path, root: str | Path | None) -> Path:
    text = str(folder)
    if any(ch in text for ch in ("'", '"', "\\", "\x00")) or any(ord(ch) < 32 for ch in text):
        raise BackupError(f"backup folder {text!r}: quotes, backslashes and control characters are not allowed")
    path = Path(text).resolve()
    if root is not None:
        base = Path(root).resolve()
        if path != base and base not in path.parents:
            raise BackupError(f"backup folder {path} is outside the backup root {base}")
    return path


def export_database(con: duckdb.DuckDBPyConnection, folder: str | Path, root: str | Path | None = None) -> Path:
    """Write the whole database into ``folder`` as Parquet; returns the folder. ``folder`` must not hold
    files already (a backup never overwrites another one)."""
    path = _checked(folder, root)
    if path.exists() and any(path.iterdir()):
        raise BackupError(f"backup folder {path} is not empty: choose a new folder")
    path.mkdir(parents=True, exist_ok=True)
    con.execute(f"export database '{path}' (format parquet)")
    return path


def import_database(folder: str | Path, db_path: str | Path, root: str | Path | None = None
                    ) -> duckdb.DuckDBPyConnection:
    """Build a new database file ``db_path`` from an exported ``folder``; returns the open connection.

    Refuses an existing ``db_path`` (never restores over live data)."""
    path = _checked(folder, root)
    if not (path / "schema.sql").is_file() or not (path / "load.sql").is_file():
        raise BackupError(f"{path} is not a database export (schema.sql / load.sql missing)")
    target = Path(db_path)
    if str(db_path) == ":memory:" or target.exists():
        raise BackupError(f"{target}: restore into a new database file (it exists already, or is not a file)")
    raw = duckdb.connect(str(db_path), config={"autoinstall_known_extensions": False,
                                               "autoload_known_extensions": False})
    try:
        raw.execute(f"import database '{path}'")
    except BaseException:
        raw.close()
        raise
    raw.close()
    return connect(db_path)
