"""The base tables as a Parquet "lake", for engines past one machine (issue 17, part 2: Spark).

``export_lake(con, folder)`` writes one folder per base table of SPEC §2 (``leads``, ``stage_events``,
``activities``, ``stages``, ``stage_synonyms``, ``roster``, ``imports``, ``rejects``, ``import_warnings``,
``loss_categories``, ``settings``) holding Parquet files, and ``manifest.json`` (row counts, data version, when).
``leads`` is partitioned by acquisition month, Hive style: ``leads/acquired_month=2024-03/…parquet``; leads
without an acquisition date sit in ``acquired_month=undated``. The derived tables are not exported: an engine
reading the lake derives them itself. The folder must be new or empty (an export never overwrites one).

Paths cannot be bound as parameters in ``COPY … TO``, so they are checked as backups' are
(``funnel.store.backup``): absolute, no quote, backslash or control character.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb

from funnel.store.backup import BackupError, _checked

BASE_TABLES: tuple[str, ...] = ("leads", "stage_events", "activities", "stages", "stage_synonyms", "roster",
                                "imports", "rejects", "import_warnings", "loss_categories", "settings")
PARTITION_COLUMN = "acquired_month"
UNDATED_PARTITION = "undated"
MANIFEST = "manifest.json"


class LakeError(BackupError):
    """A lake folder that cannot be used (not empty, odd characters)."""


def export_lake(con: duckdb.DuckDBPyConnection, folder: str | Path) -> dict:
    """Write the base tables of ``con`` into ``folder`` as Parquet; returns the manifest (also written as
    ``manifest.json``): ``{"tables": {name: rows}, "partitioned_by": {"leads": "acquired_month"},
    "data_version", "exported_at"}``."""
    try:
        path = _checked(folder, None)
    except BackupError as err:
        raise LakeError(str(err)) from err
    if path.exists() and any(path.iterdir()):
        raise LakeError(f"lake folder {path} is not empty: choose a new folder")
    path.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for table in BASE_TABLES:  # names from the fixed list above, never from input
        counts[table] = int(con.execute(f"select count(*) from {table}").fetchall()[0][0])
        target = path / table
        if table == "leads":  # the partition column and its 'undated' value: PARTITION_COLUMN, UNDATED_PARTITION
            con.execute(
                "copy (select *, coalesce(strftime(acquired_at, '%Y-%m'), 'undated') as acquired_month "
                f"from leads order by acquired_at, lead_id) to '{target}' "
                "(format parquet, partition_by (acquired_month), write_partition_columns false)")
        else:
            target.mkdir()
            part = target / "part-0.parquet"
            con.execute(f"copy (select * from {table}) to '{part}' (format parquet)")
    version = con.execute("select value from settings where key = 'data_version'").fetchall()
    manifest = {"tables": counts, "partitioned_by": {"leads": PARTITION_COLUMN},
                "data_version": version[0][0] if version else None,
                "exported_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    (path / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return manifest
