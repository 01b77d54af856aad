"""Figure sets on disk: the folder the dashboard reads batch figures from (issue 17; docs/spark.md).

``python -m funnel metrics … --save [NAME]`` (either engine) writes the figure set of ``metrics --json`` plus
one more key, ``provenance`` (engine, where the data came from, when and how long it took), into
``default_figures_dir()``: ``data/figures/`` in the project, or ``$LEAD_FUNNEL_FIGURES_DIR``. ``--out FILE``
still writes exactly the printed JSON, without ``provenance``; such a file copied into the folder is read
too, its provenance then unknown. The Figure sets page lists what ``read_figure_sets`` finds.

A file that is not a figure set (not JSON, not an object, another program's JSON, a newer schema, too big,
a link leading out of the folder) is listed with a problem code, never raised: the page says why in the
user's language (``funnel.i18n``: ``fs_problem_<code>``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from funnel.store.db import PROJECT_ROOT

FIGURES_DIR_ENV_VAR = "LEAD_FUNNEL_FIGURES_DIR"
DEFAULT_FIGURES_DIR = PROJECT_ROOT / "data" / "figures"
PROVENANCE_KEY = "provenance"
MAX_FILE_BYTES = 64 * 1024 * 1024  # a 1M-lead figure set with full lead lists is ~30 MB
KNOWN_SCHEMA = 2  # funnel.metrics.figures.SCHEMA_VERSION (not imported: the store sits below the metrics)
REQUIRED_KEYS = ("schema_version", "as_of", "cohort", "stages")  # what makes a JSON object one of ours
_NAME = re.compile(r"^[\w.\-]{1,120}$")


def default_figures_dir() -> Path:
    override = os.environ.get(FIGURES_DIR_ENV_VAR)
    return Path(override) if override else DEFAULT_FIGURES_DIR


@dataclass
class FigureSetFile:
    """One ``*.json`` file of the folder: its figures (without ``provenance``) or the problem that kept it out."""

    path: Path
    modified: dt.datetime  # UTC
    size_bytes: int
    figures: dict | None = None
    provenance: dict = field(default_factory=dict)
    problem: str | None = None  # not_json, not_object, foreign, newer_schema, too_big, outside, unreadable
    detail: str = ""

    @property
    def name(self) -> str:
        return self.path.name


def save_name(engine: str, as_of: str, now: dt.datetime) -> str:
    """The file name ``--save`` picks when given none: engine, as-of date, UTC time of the computation."""
    return f"{engine}-{as_of}-{now.strftime('%Y%m%dT%H%M%SZ')}.json"


def checked_name(name: str) -> str:
    """``name`` as the saved file's name (``.json`` added); ValueError when it is not a plain file name."""
    name = name if name.endswith(".json") else name + ".json"
    if not _NAME.match(name) or name.startswith("."):
        raise ValueError(f"not a file name for a figure set: {name!r} (letters, digits, . _ - only)")
    return name


def save_figure_set(figures: dict, provenance: dict, name: str | None = None,
                    folder: Path | None = None) -> Path:
    """Write ``figures`` with ``provenance`` under its own key into the figures folder (created when
    missing), atomically (a temporary file, then a rename: the dashboard never reads half a file)."""
    folder = Path(folder or default_figures_dir())
    now = dt.datetime.fromisoformat(provenance["computed_at"]) if "computed_at" in provenance else \
        dt.datetime.now(dt.timezone.utc)
    name = checked_name(name or save_name(provenance.get("engine", "figures"), str(figures.get("as_of")), now))
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    tmp = folder / f".{name}.tmp"
    text = json.dumps({**figures, PROVENANCE_KEY: provenance}, ensure_ascii=False, indent=2)
    tmp.write_text(text + "\n", encoding="utf-8")
    os.replace(tmp, target)
    return target


def read_figure_set(path: Path, folder: Path | None = None) -> FigureSetFile:
    """The figure set in ``path``, or why it is not one (``problem``); never raises."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as err:
        return FigureSetFile(path, dt.datetime.now(dt.timezone.utc), 0, problem="unreadable", detail=str(err))
    entry = FigureSetFile(path, dt.datetime.fromtimestamp(stat.st_mtime, dt.timezone.utc), stat.st_size)
    if folder is not None and path.resolve().parent != Path(folder).resolve():
        entry.problem = "outside"
        return entry
    if stat.st_size > MAX_FILE_BYTES:
        entry.problem, entry.detail = "too_big", f"{stat.st_size / 2**20:.0f}"
        return entry
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        entry.problem = "not_json"
        return entry
    except json.JSONDecodeError as err:
        entry.problem, entry.detail = "not_json", str(err.lineno)
        return entry
    except OSError as err:
        entry.problem, entry.detail = "unreadable", str(err)
        return entry
    if not isinstance(data, dict):
        entry.problem = "not_object"
        return entry
    missing = [k for k in REQUIRED_KEYS if k not in data]
    if missing or not isinstance(data.get("stages"), list) or not isinstance(data.get("cohort"), dict):
        entry.problem, entry.detail = "foreign", ", ".join(missing or REQUIRED_KEYS)
        return entry
    version = data.get("schema_version")
    if not isinstance(version, int) or version > KNOWN_SCHEMA:
        entry.problem, entry.detail = "newer_schema", str(version)
        return entry
    provenance = data.pop(PROVENANCE_KEY, None)
    entry.provenance = provenance if isinstance(provenance, dict) else {}
    entry.figures = data
    return entry


def read_figure_sets(folder: Path | None = None) -> list[FigureSetFile]:
    """Every ``*.json`` directly in the folder, newest first (by the time it was computed, else the file's
    time); an absent folder holds none. Hidden files (a save in progress) are skipped."""
    folder = Path(folder or default_figures_dir())
    if not folder.is_dir():
        return []
    found = [read_figure_set(p, folder) for p in sorted(folder.iterdir())
             if p.suffix.lower() == ".json" and not p.name.startswith(".")]
    return sort_newest_first(found)


def sort_newest_first(entries: list[FigureSetFile]) -> list[FigureSetFile]:
    """By the time each was computed (its provenance), else the file's time; newest first."""
    def when(entry: FigureSetFile) -> str:
        return str(entry.provenance.get("computed_at") or entry.modified.isoformat(timespec="seconds"))

    return sorted(entries, key=when, reverse=True)
