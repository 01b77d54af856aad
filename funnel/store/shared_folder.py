"""The shared folder: CSV/XLSX files dropped there are imported on start and on request.

A file whose content was imported before is skipped (by sha256, in the loader); a changed file imports
again. Only regular files directly inside the folder are read: a path that resolves outside it (a symlink
leading out, ``..``) is refused and reported.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from funnel.ingest import parse_files
from funnel.ingest.batch import ImportError_
from funnel.store.config import load_stage_config
from funnel.store.db import PROJECT_ROOT
from funnel.store.loader import ImportReport, import_files

SHARED_DIR_ENV_VAR = "LEAD_FUNNEL_SHARED_DIR"
DEFAULT_SHARED_DIR = PROJECT_ROOT / "data" / "shared"
ACCEPTED_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")


def default_shared_dir() -> Path:
    override = os.environ.get(SHARED_DIR_ENV_VAR)
    return Path(override) if override else DEFAULT_SHARED_DIR


@dataclass
class SyncResult:
    """What a refresh did: the import report (None when there was nothing new), refused and failed files."""

    report: ImportReport | None = None
    refused: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file name, message)


def files_in_folder(folder: Path) -> tuple[list[Path], list[str]]:
    """The importable files inside ``folder`` (sorted by name) and the names refused as leading outside."""
    folder = folder.resolve()
    accepted: list[Path] = []
    refused: list[str] = []
    if not folder.is_dir():
        return accepted, refused
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith((".", "~$")) or entry.suffix.lower() not in ACCEPTED_SUFFIXES:
            continue
        real = entry.resolve()
        if real.parent != folder or not real.is_file():
            refused.append(entry.name)
            continue
        accepted.append(real)
    return accepted, refused


def sync_shared_folder(con: duckdb.DuckDBPyConnection, folder: Path | None = None) -> SyncResult:
    """Import every new or changed file of the shared folder, all of them in one transaction.

    When one file cannot be read at all, the others are still imported and that file is reported in
    ``failed`` with the reason.
    """
    folder = folder or default_shared_dir()
    paths, refused = files_in_folder(folder)
    result = SyncResult(refused=refused)
    readable = paths
    if not readable:
        return result
    try:
        result.report = import_files(con, readable)
    except ImportError_:
        # Find the file(s) that cannot be read and import the rest.
        good: list[Path] = []
        for path in readable:
            try:
                parse_files([path], load_stage_config(con))
                good.append(path)
            except ImportError_ as err:
                result.failed.append((path.name, str(err)))
        if good:
            result.report = import_files(con, good)
    return result
