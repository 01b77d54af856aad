"""Published database copies: one writer, any number of read-only readers.

DuckDB admits one read-write process per file, and while it holds the file no other process can open it even
read-only. So the writer database (imports, settings) is never read by the dashboard replicas. Instead, after
every committed write transaction the writer *publishes* an immutable copy of the whole database into the
publish folder, and readers open the newest copy ``read_only`` (any number of processes can).

Folder layout (``publish_dir_for(db)``: ``<db>.published/`` beside the file, or $LEAD_FUNNEL_PUBLISH_DIR)::

    copy-<ns>.duckdb   an immutable copy; <ns> = nanoseconds since the epoch, zero-padded (sorts by age)
    copy-<ns>.lock     readers hold a shared flock on it while they have the copy open
    LATEST.json        {"file", "data_version", "published_at", "source"}: the copy to read now
    *.tmp              a copy or pointer being written (never read)

Publishing (``publish``): checkpoint the writer (the file then holds every committed write and the WAL is
empty; the caller holds ``WRITE_LOCK``, so nothing in this process writes meanwhile), copy the file to a
``.tmp``, open the copy read-only and check its data version, fsync, rename it to ``copy-<ns>.duckdb``, then
replace ``LATEST.json`` the same way (new file, then rename: a reader sees the old pointer or the new one,
never half of one). Publishing is on exactly when the publish folder exists (``scripts/serve.sh`` creates
it), so ``scripts/run.sh``, tests and command-line imports into other files behave as before.

Cleanup (``cleanup``): a copy older than the latest one is removed once no reader holds it, i.e. once an
exclusive non-blocking flock on its ``.lock`` file succeeds. Readers take the shared lock *before* checking
that the copy still exists, so a copy is never removed under an open reader. Copies newer than LATEST (being
published right now) are never touched.

Readers (``PublishedStore``): the same ``cursor()`` interface as ``funnel.store.db.Store``. Each script run
pins the newest copy at its start (``begin_run``), so one page never mixes two copies; a run that starts
after a publish sees the new copy. A copy no pinned run uses any more is closed, its lock released and the
folder cleaned.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import shutil
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

import duckdb

from funnel.store.db import StoreBusyError

PUBLISH_DIR_ENV_VAR = "LEAD_FUNNEL_PUBLISH_DIR"
LATEST_NAME = "LATEST.json"
COPY_PREFIX, COPY_SUFFIX, LOCK_SUFFIX, TMP_SUFFIX = "copy-", ".duckdb", ".lock", ".tmp"
# A retired copy still pinned by a thread that never started another run (an idle worker thread) is closed
# after this long anyway: no script run takes that long.
RETIRED_MAX_AGE_S = 600.0

log = logging.getLogger("lead_funnel.publish")


class NothingPublishedError(StoreBusyError):
    """The publish folder holds no copy yet (the writer has not published). A StoreBusyError, so the dashboard
    shows its 'try again in a moment' message."""


@dataclass(frozen=True)
class Published:
    """One published copy: its file name in the folder, the data version it holds, when, from which file."""

    folder: Path
    file: str
    data_version: str
    published_at: str
    source: str

    @property
    def path(self) -> Path:
        return self.folder / self.file

    @property
    def lock_path(self) -> Path:
        return self.folder / (self.file[: -len(COPY_SUFFIX)] + LOCK_SUFFIX)


# ------------------------------------------------------------------------------------------------ where

def publish_dir_for(db_path: str | Path) -> Path:
    """The publish folder of the writer database ``db_path``: $LEAD_FUNNEL_PUBLISH_DIR, else
    ``<db_path>.published`` beside it."""
    override = os.environ.get(PUBLISH_DIR_ENV_VAR)
    return Path(override) if override else Path(str(db_path) + ".published")


def enable_publishing(db_path: str | Path) -> Path:
    """Create the publish folder of ``db_path`` (from now on every committed write publishes); returns it."""
    folder = publish_dir_for(db_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def database_path(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The file behind ``con``'s current database; None for an in-memory one. (Results are fetched whole
    here: in DuckDB 2.0 a ``fetchone()`` leaves the result unfinished and the connection refuses other work,
    and this runs on the caller's connection after every commit.)"""
    rows = con.execute("select path from duckdb_databases() where database_name = current_database()").fetchall()
    return Path(rows[0][0]) if rows and rows[0][0] else None


def latest(folder: str | Path) -> Published | None:
    """The copy ``LATEST.json`` points at, or None when nothing was published (or the pointer is unreadable)."""
    folder = Path(folder)
    try:
        data = json.loads((folder / LATEST_NAME).read_text(encoding="utf-8"))
        return Published(folder, str(data["file"]), str(data["data_version"]), str(data["published_at"]),
                         str(data.get("source", "")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def copies(folder: str | Path) -> list[str]:
    """File names of the published copies in ``folder``, oldest first."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir()
                  if p.name.startswith(COPY_PREFIX) and p.name.endswith(COPY_SUFFIX))


# ---------------------------------------------------------------------------------------------- writer

def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + TMP_SUFFIX)
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _data_version(con: duckdb.DuckDBPyConnection) -> str:
    rows = con.execute("select value from settings where key = 'data_version'").fetchall()
    return str(rows[0][0]) if rows else ""


def publish(con: duckdb.DuckDBPyConnection, folder: str | Path | None = None) -> Published:
    """Publish the database of the read-write connection ``con`` as a new immutable copy and point
    ``LATEST.json`` at it; then remove older copies no reader holds. The caller holds
    ``funnel.store.transaction.WRITE_LOCK`` (``write_transaction`` does), so no write runs in this process meanwhile,
    and the file lock keeps every other process from writing."""
    source = database_path(con)
    if source is None:
        raise ValueError("an in-memory database cannot be published")
    folder = Path(folder) if folder is not None else publish_dir_for(source)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob(COPY_PREFIX + "*" + TMP_SUFFIX):  # a publish that died half-way
        stale.unlink(missing_ok=True)
    con.execute("checkpoint")  # every committed write now in the file, the WAL empty
    version = _data_version(con)
    name = f"{COPY_PREFIX}{time.time_ns():020d}{COPY_SUFFIX}"
    tmp = folder / (name + TMP_SUFFIX)
    shutil.copyfile(source, tmp)
    try:
        check = duckdb.connect(str(tmp), read_only=True, config={"autoinstall_known_extensions": False,
                                                                  "autoload_known_extensions": False})
        try:
            copied = _data_version(check)
        finally:
            check.close()
        if copied != version:
            raise RuntimeError(f"the copy of {source} holds data version {copied!r}, the writer {version!r}")
        _fsync(tmp)
        info = Published(folder, name, version, dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                         str(Path(source).resolve()))
        info.lock_path.touch()
        os.replace(tmp, info.path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _write_atomic(folder / LATEST_NAME, json.dumps({"file": info.file, "data_version": info.data_version,
                                                    "published_at": info.published_at, "source": info.source}))
    cleanup(folder)
    return info


def publish_if_enabled(con: duckdb.DuckDBPyConnection) -> Published | None:
    """After a committed write: publish when the publish folder of ``con``'s file exists. A failure is logged,
    not raised (the write is committed; the next publish carries it)."""
    try:
        source = database_path(con)
        if source is None or not publish_dir_for(source).is_dir():
            return None
        return publish(con)
    except Exception:  # noqa: BLE001 - the import itself succeeded; readers keep the previous copy
        log.exception("publishing a copy of the database failed; readers keep the previous copy")
        return None


def cleanup(folder: str | Path) -> list[str]:
    """Remove the copies older than the latest one that no reader holds; returns the names removed."""
    folder = Path(folder)
    current = latest(folder)
    if current is None:
        return []
    removed = []
    for name in copies(folder):
        if name >= current.file:
            continue  # the latest copy, or one being published right now
        info = Published(folder, name, "", "", "")
        try:
            fd = os.open(info.lock_path, os.O_RDONLY)
        except FileNotFoundError:
            info.path.unlink(missing_ok=True)
            removed.append(name)
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue  # a reader still has it open
        try:
            info.path.unlink(missing_ok=True)
            info.lock_path.unlink(missing_ok=True)
            removed.append(name)
        finally:
            os.close(fd)
    return removed


# ---------------------------------------------------------------------------------------------- reader

def hold(info: Published) -> int | None:
    """Take a shared lock on a copy (so cleanup leaves it alone); returns the lock's file descriptor, or None
    when the copy is gone (removed by cleanup before we got the lock)."""
    try:
        fd = os.open(info.lock_path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    fcntl.flock(fd, fcntl.LOCK_SH)
    if not info.path.exists():
        os.close(fd)
        return None
    return fd


class _Generation:
    """One open published copy in this process: its connection, the lock we hold, the cursors handed out."""

    def __init__(self, info: Published, con: duckdb.DuckDBPyConnection, lock_fd: int):
        self.info, self.con, self.lock_fd = info, con, lock_fd
        # The cursors handed out, weakly: a run's cursor dies with its thread (threading.local), so a copy
        # used by thousands of runs does not keep thousands of cursors.
        self.cursors: "weakref.WeakSet[duckdb.DuckDBPyConnection]" = weakref.WeakSet()
        self.retired_at: float | None = None
        self.closed = False

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for cur in list(self.cursors):
            try:
                cur.close()
            except duckdb.Error:
                pass
        self.cursors.clear()
        try:
            self.con.close()
        except duckdb.Error:
            pass
        os.close(self.lock_fd)


class PublishedStore:
    """The dashboard's read path on the published copies of a writer database (``funnel.store.db.Store``'s
    interface: ``cursor()``, ``reset()``, ``close()``, plus ``begin_run()``).

    ``begin_run()`` (each script run calls it first) looks at ``LATEST.json`` and pins the calling thread to
    the newest copy; ``cursor()`` gives the thread its own cursor on the pinned copy (pinning first when the
    thread has none). Copies are opened read-only and confined (no SQL file access)."""

    def __init__(self, folder: str | Path, confine: bool = True):
        self.folder = Path(folder)
        self.confine = confine
        self._lock = threading.Lock()
        self._current: _Generation | None = None
        self._retired: list[_Generation] = []
        self._pins: dict[int, _Generation] = {}  # thread ident -> the copy its run reads
        self._local = threading.local()
        self._pointer_stat: tuple | None = None

    # -- what the pages use
    def begin_run(self) -> Published:
        """Pin the calling thread to the newest published copy (opening it when it is new); close copies that
        no live thread uses any more. Raises NothingPublishedError when there is none."""
        with self._lock:
            self._refresh()
            gen = self._current
            self._pins[threading.get_ident()] = gen
            self._release_unused()
        if getattr(self._local, "gen", None) is not gen:
            self._local.gen = gen
            self._local.cursor = None
        return gen.info

    def cursor(self) -> duckdb.DuckDBPyConnection:
        gen = getattr(self._local, "gen", None)
        if gen is None or gen.closed:
            self.begin_run()
            gen = self._local.gen
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            with self._lock:
                cur = gen.con.cursor()
                gen.cursors.add(cur)
            self._local.cursor = cur
        return cur

    def current(self) -> Published | None:
        """The copy new runs read now (None before the first begin_run)."""
        return self._current.info if self._current is not None else None

    def reset(self) -> None:
        """Close every open copy; the next run opens the newest again."""
        with self._lock:
            for gen in [*self._retired, *([self._current] if self._current else [])]:
                gen.close()
            self._retired, self._current, self._pins, self._pointer_stat = [], None, {}, None
        self._local = threading.local()

    close = reset

    # -- internals (self._lock held)
    def _refresh(self) -> None:
        pointer = self.folder / LATEST_NAME
        try:
            st = pointer.stat()
            stat = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            stat = None
        if self._current is not None and stat == self._pointer_stat and not self._current.closed:
            return  # nothing new: one stat() per run
        for _ in range(20):
            info = latest(self.folder)
            if info is None:
                if self._current is not None:
                    return
                raise NothingPublishedError(
                    f"no published copy of the database in {self.folder} yet: the writer publishes one after "
                    "every import (scripts/serve.sh publishes the first at start)")
            if self._current is not None and info.file == self._current.info.file:
                self._pointer_stat = stat
                return
            fd = hold(info)
            if fd is None:
                time.sleep(0.05)  # removed under us: a newer one was published; read the pointer again
                continue
            try:
                con = duckdb.connect(str(info.path), read_only=True,
                                     config={"autoinstall_known_extensions": False,
                                             "autoload_known_extensions": False})
                if self.confine:
                    con.execute("set enable_external_access = false")
                    con.execute("set lock_configuration = true")
            except BaseException:
                os.close(fd)
                raise
            if self._current is not None:
                self._current.retired_at = time.monotonic()
                self._retired.append(self._current)
            self._current = _Generation(info, con, fd)
            self._pointer_stat = stat
            return
        raise NothingPublishedError(f"the published copies in {self.folder} keep changing; try again")

    def _release_unused(self) -> None:
        alive = {t.ident for t in threading.enumerate()}
        self._pins = {tid: gen for tid, gen in self._pins.items() if tid in alive}
        used = {id(gen) for gen in self._pins.values()}
        now = time.monotonic()
        keep = []
        for gen in self._retired:
            if id(gen) in used and now - (gen.retired_at or now) < RETIRED_MAX_AGE_S:
                keep.append(gen)
            else:
                gen.close()
        if len(keep) != len(self._retired):
            self._retired = keep
            try:
                cleanup(self.folder)
            except OSError:
                log.exception("cleaning the publish folder failed")
