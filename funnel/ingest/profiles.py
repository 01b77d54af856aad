"""Mapping profiles: how to read files whose headers the importer does not know (TOML, one file per profile).

Schema (see data/profiles/*.toml)::

    name = "olist"
    description = "..."
    [[files]]                       # one section per kind of file, chosen by a glob on the file name
    match = "*closed_deals*"        # fnmatch, case-insensitive; the first matching section wins
    format = "leads"                # template | leads | events | wide | roster (auto when omitted)
    [files.columns]                 # file column -> canonical column (a list maps one column to several)
    mql_id = "lead_id"
    deal_stage = ["current_stage", "status"]
    [files.constants]               # canonical column -> value, read as if every row held it
    status = "won"
    [files.stages]                  # value in the file -> stage key
    Engaging = "screening"
    [files.statuses]                # value in the file -> untouched / active / won / lost
    Lost = "lost"
    [[files.fields]]                # conditional columns: copy `column` into `to` only when `when` holds
    column = "close_date"
    to = "lost_at"
    when = { deal_stage = ["Lost"] }
    [[files.events]]                # one stage event per row with a value in `column` (optionally `when`)
    column = "won_date"
    stage = "won"

``leads`` = one row per lead whose only stage events are those of ``[[files.events]]`` (``template`` also
derives the template's events: acquired, every stage up to the current one).
"""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import tomli_w

from funnel.ingest.batch import ImportError_
from funnel.ingest.headers import header_key, match_header

FORMATS = ("auto", "template", "leads", "events", "wide", "roster")


@dataclass
class ConditionalField:
    column: str
    to: str
    when: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class EventRule:
    column: str
    stage: str
    when: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class FileMapping:
    """How to read the files whose name matches ``match``."""

    match: str = "*"
    format: str = "auto"
    columns: dict[str, list[str]] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    stages: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)
    fields: list[ConditionalField] = field(default_factory=list)
    events: list[EventRule] = field(default_factory=list)

    def column_targets(self) -> dict[str, list[str]]:
        """header_key(file column) -> canonical fields."""
        return {header_key(k): [_canonical(v) for v in vs] for k, vs in self.columns.items()}


@dataclass
class MappingProfile:
    name: str
    description: str = ""
    files: list[FileMapping] = field(default_factory=list)

    def for_file(self, file_name: str) -> FileMapping | None:
        for section in self.files:
            if fnmatch.fnmatch(file_name.lower(), section.match.lower()):
                return section
        return None


def _canonical(name: str) -> str:
    """A canonical column named in a profile (``status`` means status_reported)."""
    return match_header(name) or name


def _as_list(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _when(raw: object) -> dict[str, list[str]]:
    return {str(k): _as_list(v) for k, v in (raw or {}).items()}


def profile_from_dict(data: dict, origin: str = "profile") -> MappingProfile:
    try:
        files = []
        for section in data.get("files", []):
            fmt = section.get("format", "auto")
            if fmt not in FORMATS:
                raise ImportError_(f"{origin}: format {fmt!r} is not one of {', '.join(FORMATS)}.")
            files.append(FileMapping(
                match=str(section.get("match", "*")), format=fmt,
                columns={str(k): _as_list(v) for k, v in section.get("columns", {}).items()},
                constants={str(k): str(v) for k, v in section.get("constants", {}).items()},
                stages={str(k): str(v) for k, v in section.get("stages", {}).items()},
                statuses={str(k): str(v) for k, v in section.get("statuses", {}).items()},
                fields=[ConditionalField(str(f["column"]), _canonical(str(f["to"])), _when(f.get("when")))
                        for f in section.get("fields", [])],
                events=[EventRule(str(e["column"]), str(e["stage"]), _when(e.get("when")))
                        for e in section.get("events", [])]))
        return MappingProfile(str(data.get("name", origin)), str(data.get("description", "")), files)
    except (KeyError, TypeError, AttributeError) as err:
        raise ImportError_(f"{origin}: the mapping profile is incomplete or malformed ({err}).") from err


def load_profile(path: str | Path) -> MappingProfile:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ImportError_(f"{path.name}: the mapping profile could not be read ({err}).") from err
    return profile_from_dict(data, path.name)


def profile_to_dict(profile: MappingProfile) -> dict:
    files = []
    for s in profile.files:
        section: dict = {"match": s.match, "format": s.format}
        if s.columns:
            section["columns"] = {k: v[0] if len(v) == 1 else v for k, v in s.columns.items()}
        for name in ("constants", "stages", "statuses"):
            if getattr(s, name):
                section[name] = dict(getattr(s, name))
        if s.fields:
            section["fields"] = [{"column": f.column, "to": f.to, "when": f.when} if f.when
                                 else {"column": f.column, "to": f.to} for f in s.fields]
        if s.events:
            section["events"] = [{"column": e.column, "stage": e.stage, "when": e.when} if e.when
                                 else {"column": e.column, "stage": e.stage} for e in s.events]
        files.append(section)
    return {"name": profile.name, "description": profile.description, "files": files}


def save_profile(profile: MappingProfile, path: str | Path) -> None:
    Path(path).write_text(tomli_w.dumps(profile_to_dict(profile)), encoding="utf-8")
