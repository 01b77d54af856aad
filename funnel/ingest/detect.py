"""Which of the formats A-D a header describes (SPEC §3)."""

from __future__ import annotations

from funnel.ingest.headers import match_header, wide_stage
from funnel.stages import StageConfig

# Fields that only a lead list (template) has: their presence makes stage/entered_at the current stage's.
TEMPLATE_MARKERS = frozenset({"current_stage", "stage_entered_at", "key_actions", "cycle_days_reported",
                              "expected_close", "contact", "contact_info"})


def detect_from_fields(fields: set[str], n_wide: int) -> str | None:
    if "lead_id" not in fields:
        if "rep" in fields and ({"manager", "team"} & fields):
            return "roster"
        return None
    stage = bool({"stage", "current_stage"} & fields)
    entered = bool({"entered_at", "stage_entered_at"} & fields)
    if {"stage", "entered_at"} <= fields and not (TEMPLATE_MARKERS & fields):
        return "events"
    if n_wide >= 2 and not (stage and entered):
        return "wide"
    return "template"


def detect_format(header_cells: list[object], stages: StageConfig | None = None) -> str | None:
    """"template" | "events" | "wide" | "roster" | None for a header row as written."""
    stages = stages or StageConfig()
    fields = {f for f in (match_header(c) for c in header_cells) if f}
    n_wide = sum(1 for c in header_cells if match_header(c) is None and wide_stage(c, stages))
    return detect_from_fields(fields, n_wide)
