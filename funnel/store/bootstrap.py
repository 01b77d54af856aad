"""First start: a database with no leads gets the sample data of data/sample/, so a new user sees a
working dashboard without uploading anything. Set LEAD_FUNNEL_NO_SAMPLE=1 to start empty."""

from __future__ import annotations

import os

import duckdb

from funnel.store.db import PROJECT_ROOT
from funnel.store.loader import ImportReport, import_files
from funnel.store.queries import lead_count

SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"
NO_SAMPLE_ENV_VAR = "LEAD_FUNNEL_NO_SAMPLE"


def sample_files() -> list:
    """The sample dataset's files (template, stage log, roster), sorted by name."""
    if not SAMPLE_DIR.is_dir():
        return []
    return sorted(p for p in SAMPLE_DIR.iterdir() if p.suffix.lower() in (".csv", ".xlsx"))


def ensure_sample_data(con: duckdb.DuckDBPyConnection) -> ImportReport | None:
    """Import the sample data when the database holds no lead (and the user did not opt out)."""
    if os.environ.get(NO_SAMPLE_ENV_VAR) or lead_count(con) > 0:
        return None
    files = sample_files()
    return import_files(con, files, who="sample") if files else None
