"""Helpers of the Data page that need no Streamlit: preview an uploaded file (header row, sample values,
detected format) and turn the mapping editor's rows into a mapping profile (TOML in data/profiles/).

Read-only: nothing here writes to the database; ``save_mapping_profile`` writes one TOML file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from funnel.ingest import FileMapping, MappingProfile, detect_format, save_profile
from funnel.ingest.batch import ImportError_
from funnel.ingest.decode import csv_grid, decode_text, sniff_separator
from funnel.ingest.headers import _ALIASES, match_header, wide_stage
from funnel.ingest.sources import read_source
from funnel.ingest.table import HEADER_SEARCH_ROWS, header_score
from funnel.ingest.xlsx import read_workbook
from funnel.stages import StageConfig
from funnel.store.db import PROJECT_ROOT

PROFILES_DIR = PROJECT_ROOT / "data" / "profiles"
CANONICAL_FIELDS: tuple[str, ...] = tuple(_ALIASES)
FORMAT_CHOICES = ("auto", "template", "events", "wide", "roster")
# The mapping editor's value for a column that is not used (an empty cell would show as "None" in the editor).
UNUSED = "-"
_PROFILE_NAME = re.compile(r"^[\w\-]{1,60}$")


@dataclass
class FilePreview:
    """One uploaded file as the Data page shows it before importing."""

    file_name: str
    headers: list[str] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)     # a few values per column, joined
    matched: list[str | None] = field(default_factory=list)  # canonical field per column (None = unknown)
    detected: str | None = None                           # template | events | wide | roster | None
    problem: str | None = None                            # the file cannot be read at all

    @property
    def needs_mapping(self) -> bool:
        return self.problem is None and self.detected is None


def _grid(file_name: str, data: bytes) -> pd.DataFrame:
    src = read_source((file_name, data), max_bytes=len(data) + 1)
    if src.kind == "xlsx":
        book = read_workbook(src.data, file_name)
        sheets = [s for s in book.sheets if not s.grid.empty]
        if not sheets:
            raise ImportError_(f"{file_name}: the workbook is empty.")
        return sheets[0].grid
    text, _encoding = decode_text(src.data, file_name)
    return csv_grid(text, sniff_separator(text))


def preview_file(file_name: str, data: bytes, stages: StageConfig | None = None) -> FilePreview:
    """Header row (the row among the first 20 with the most known headers, else the first non-empty one),
    three sample values per column and the detected format. Never raises: a problem is put in ``problem``."""
    stages = stages or StageConfig()
    preview = FilePreview(file_name)
    try:
        grid = _grid(file_name, data)
    except ImportError_ as err:
        preview.problem = str(err)
        return preview
    except Exception as err:  # noqa: BLE001 - any unreadable upload becomes a message
        preview.problem = f"{file_name}: {err}"
        return preview
    if grid.empty:
        preview.problem = f"{file_name}: the file is empty."
        return preview
    top = grid.head(HEADER_SEARCH_ROWS)
    scores = [header_score([str(c) for c in row], stages) for row in top.itertuples(index=False)]
    best = max(range(len(scores)), key=lambda i: scores[i]) if scores and max(scores) > 0 else None
    if best is None:
        best = next((i for i, row in enumerate(top.itertuples(index=False)) if any(str(c).strip() for c in row)), 0)
    headers = [str(c).strip() for c in grid.iloc[best]]
    body = grid.iloc[best + 1:]
    preview.headers = headers
    preview.samples = [", ".join([str(v) for v in body.iloc[:, i].tolist() if str(v).strip()][:3])
                       for i in range(len(headers))]
    preview.matched = [match_header(h) if h else None for h in headers]
    preview.detected = detect_format(headers, stages)
    return preview


def field_label(name: str, lang: str) -> str:
    """A canonical field as the mapping editor offers it: its Chinese header name (zh) or its English words
    (en), with the key in brackets, e.g. ``线索编号(lead_id)`` / ``Lead ID (lead_id)``."""
    names = _ALIASES.get(name, ())
    if lang == "zh":
        zh = next((n for n in names if any("\u4e00" <= ch <= "\u9fff" for ch in n)), name)
        return f"{zh}({name})"
    en = next((n for n in names if n.isascii()), name.replace("_", " "))
    return f"{en[:1].upper()}{en[1:]} ({name})"


def mapping_rows(preview: FilePreview, stages: StageConfig | None = None) -> pd.DataFrame:
    """The mapping editor's rows: file column, sample values, the field it maps to (UNUSED = not used)."""
    stages = stages or StageConfig()
    rows = []
    for header, sample, matched in zip(preview.headers, preview.samples, preview.matched):
        if not header:
            continue
        target = matched or UNUSED
        rows.append({"file_column": header, "sample": sample, "maps_to": target})
    return pd.DataFrame(rows, columns=["file_column", "sample", "maps_to"])


def profile_match(file_name: str) -> str:
    """The file-name glob a saved profile section uses: digits become ``*`` so next month's export matches
    (``crm_2024-03.csv`` -> ``crm_*-*.csv``)."""
    return re.sub(r"\d+", "*", file_name.lower())


def profile_from_rows(name: str, file_name: str, rows: pd.DataFrame, fmt: str = "auto") -> MappingProfile:
    """A one-section profile from the editor's rows (rows without a target are left out)."""
    columns: dict[str, list[str]] = {}
    for row in rows.to_dict("records"):
        target = str(row.get("maps_to") or "").strip()
        column = str(row.get("file_column") or "").strip()
        if target and target != UNUSED and column:
            columns[column] = [target]
    section = FileMapping(match=profile_match(file_name), format=fmt if fmt != "auto" else "auto", columns=columns)
    return MappingProfile(name=name, description=f"made on the Data page from {file_name}", files=[section])


def valid_profile_name(name: str) -> bool:
    return bool(_PROFILE_NAME.match(name or ""))


def save_mapping_profile(profile: MappingProfile, folder: Path = PROFILES_DIR) -> Path:
    """Write ``<folder>/<name>.toml``; the name is checked (letters, digits, Chinese, - and _ only)."""
    if not valid_profile_name(profile.name):
        raise ValueError(f"invalid profile name {profile.name!r}")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{profile.name}.toml"
    save_profile(profile, path)
    return path


def saved_profiles(folder: Path = PROFILES_DIR) -> list[Path]:
    return sorted(folder.glob("*.toml")) if folder.is_dir() else []
