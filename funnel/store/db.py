"""The DuckDB store: where the database file lives, one instance per process, a cursor per thread.

DuckDB allows one read-write process per file. Within a process we connect once and hand each thread
``con.cursor()``; a second process that finds the file locked gets ``StoreBusyError`` with a message that
says to try again, never a traceback.
"""

from __future__ import annotations

import contextlib
import os
import threading
import weakref
from pathlib import Path

import duckdb

from funnel.store.config import ensure_default_config
from funnel.store.derived import ensure_derived
from funnel.store.schema import BASE_DDL
from funnel.store.transaction import WRITE_LOCK, write_transaction  # noqa: F401 - their old home

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB_PATH = PROJECT_ROOT / "data" / "lead_funnel.duckdb"
DB_ENV_VAR = "LEAD_FUNNEL_DB"
BACKUP_ENV_VAR = "LEAD_FUNNEL_BACKUP_DIR"


class StoreBusyError(RuntimeError):
    """The database file is held by another process (the dashboard, or another import)."""


def default_db_path() -> Path:
    """The database file: $LEAD_FUNNEL_DB if set, else data/lead_funnel.duckdb in the project."""
    override = os.environ.get(DB_ENV_VAR)
    return Path(override) if override else DEFAULT_DB_PATH


def _config() -> dict:
    # Nothing may download at run time: never fetch an extension.
    return {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


# A process that imports and then exits (the command line's ``import`` and ``--input``) lets DuckDB's block allocator
# keep up to this share of the machine's memory: a block the import frees is reused as it is, instead of going back
# to the system and the next one faulting in freshly zeroed pages (1M leads: 0.16-0.29M fewer page faults, about 0.5 s
# less; docs/performance.md, "import, eleventh session"). DuckDB keeps that memory while the database is open and
# refuses to lower the setting; the dashboard's store is open as long as its process lives, so it does not use it.
IMPORT_BLOCK_MEMORY_SHARE = 0.2


def keep_block_memory(con: duckdb.DuckDBPyConnection, share: float = IMPORT_BLOCK_MEMORY_SHARE) -> None:
    """Let DuckDB's block allocator keep up to ``share`` of the physical memory for as long as this database is
    open (every connection and cursor of it; see ``IMPORT_BLOCK_MEMORY_SHARE``): for a process that closes the
    database once its import is done. Only speed depends on it: where DuckDB refuses (a larger value set before, a
    locked configuration), nothing changes."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not POSIX: leave DuckDB's default
        return
    with contextlib.suppress(duckdb.InvalidInputException):
        con.execute("set block_allocator_memory = ?", [f"{int(total * share)}B"])


def backup_dir_for(path: str | Path | None) -> Path:
    """Where backups of the database at ``path`` go: ``backups/`` beside the file ($LEAD_FUNNEL_BACKUP_DIR
    overrides). The only folder a confined connection may write to (EXPORT DATABASE)."""
    override = os.environ.get(BACKUP_ENV_VAR)
    if override:
        return Path(override).resolve()
    base = Path(path).resolve().parent if path not in (None, ":memory:") else DEFAULT_DB_PATH.parent
    return base / "backups"


def confine_connection(con: duckdb.DuckDBPyConnection, allowed_directories: tuple[str | Path, ...] = ()) -> None:
    """Stop SQL on ``con`` from opening files: read_csv of /etc/passwd, COPY TO, ATTACH, INSTALL all fail with
    a PermissionException, except inside ``allowed_directories``; then lock the configuration so no later
    statement can undo it. DuckDB never needs to open a user file here: uploads are decoded in Python and
    handed over as registered DataFrames (which keep working), and the database file itself is already open.
    """
    dirs = [str(Path(d).resolve()).rstrip("/") + "/" for d in allowed_directories]
    if dirs:
        con.execute("set allowed_directories = ?", [dirs])
    con.execute("set enable_external_access = false")
    con.execute("set lock_configuration = true")


def connect(path: str | Path | None = None, read_only: bool = False, confine: bool = False,
            allowed_directories: tuple[str | Path, ...] = ()) -> duckdb.DuckDBPyConnection:
    """Open (and create the schema of) a database. ``path`` None or ":memory:" gives an in-memory one.

    ``confine`` (the dashboard's Store sets it) forbids SQL file access outside ``allowed_directories`` (see
    ``confine_connection``). Raises StoreBusyError when another process holds the file.
    """
    target = ":memory:" if path is None or str(path) == ":memory:" else str(path)
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(target, read_only=read_only, config=_config())
    except duckdb.IOException as err:
        if "lock" in str(err).lower():
            raise StoreBusyError(
                f"The database {target} is in use by another process (the dashboard or another import). "
                "Wait for it to finish and try again, or import through the dashboard's Data page."
            ) from err
        raise
    if not read_only:
        create_schema(con)
    if confine:
        confine_connection(con, allowed_directories)
    return con


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the base tables, the default stage configuration and the derived tables where missing
    (idempotent)."""
    for ddl in BASE_DDL:
        con.execute(ddl)
    from funnel.store.snapshots import ensure_snapshots

    ensure_default_config(con)
    # A store written by an earlier version may lack a derived table this version reads: rebuild them.
    ensure_derived(con)
    ensure_snapshots(con)  # and the lead snapshots of SPEC §7.2 (created; the latest lead import backfilled)


class Store:
    """One DuckDB instance per process; ``cursor()`` gives the calling thread its own cursor.

    The instance is confined (``confine=True``, the default): SQL cannot read or write files except in the
    backup folder (``backup_dir_for(path)``), so no SQL text, wherever it came from, can reach the disk.
    """

    # Every Store still alive, for diagnostics (bench/probe reads DuckDB's memory accounting through it).
    live: "weakref.WeakSet[Store]" = weakref.WeakSet()

    def __init__(self, path: str | Path | None = None, confine: bool = True,
                 allowed_directories: tuple[str | Path, ...] | None = None):
        Store.live.add(self)
        self.path = path
        self.confine = confine
        self.allowed_directories = (tuple(allowed_directories) if allowed_directories is not None
                                    else (backup_dir_for(path),))
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._local = threading.local()

    def _root(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            if self._con is None:
                self._con = connect(self.path, confine=self.confine,
                                    allowed_directories=self.allowed_directories)
            return self._con

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor on the shared instance (created on first use)."""
        cur = getattr(self._local, "cursor", None)
        generation = getattr(self._local, "generation", None)
        if cur is None or generation != id(self._con):
            cur = self._root().cursor()
            self._local.cursor = cur
            self._local.generation = id(self._con)
        return cur

    def reset(self) -> None:
        """Drop the instance after a fatal error; the next cursor() reconnects (the WAL replays)."""
        with self._lock:
            if self._con is not None:
                try:
                    self._con.close()
                except duckdb.Error:
                    pass
            self._con = None
        self._local = threading.local()

    def close(self) -> None:
        self.reset()
