"""What the ingest layer hands the store: one ParsedFile per input file, nothing written yet.

Every DataFrame uses the canonical column names of ``funnel.store.schema`` (without ``import_id``, which the
loader sets). Dates are ``datetime64`` (naive, local time), text is ``str`` or None, numbers float.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

LEAD_FIELDS = ("lead_id", "source", "customer", "contact", "contact_info", "acquired_at", "current_stage",
               "stage_entered_at", "expected_close", "rep", "manager", "status_reported",
               "cycle_days_reported", "lost_reason", "lost_at", "notes", "amount")
EVENT_FIELDS = ("lead_id", "stage", "entered_at")
ACTIVITY_FIELDS = ("lead_id", "at", "content", "feedback", "actor")
ROSTER_FIELDS = ("rep", "manager", "team")
# ``code`` / ``params``: the problem by code and its values (funnel.ingest.problems), beside its sentence
REJECT_FIELDS = ("row_number", "raw_values", "reason", "code", "params")
WARNING_FIELDS = ("row_number", "column_name", "raw_value", "problem", "code", "params")


def empty_frame(fields: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype="object") for name in fields})


class ImportError_(Exception):
    """A file that cannot be imported at all (unreadable, wrong kind, no usable header).

    ``str(err)`` is a message for the user: what is wrong and what to do.
    """


@dataclass
class ParsedFile:
    """One input file, read and normalised.

    - ``leads``: one row per lead (LEAD_FIELDS); ``status_reported`` is the file's status mapped to
      untouched/active/won/lost or None when the file gives none.
    - ``events``: one row per stage entry (EVENT_FIELDS); ``entered_at`` NaT = reached on an unknown date.
    - ``activities``: one row per follow-up action (ACTIVITY_FIELDS).
    - ``roster``: one row per rep (ROSTER_FIELDS).
    - ``rejects``: one row per unusable input row (REJECT_FIELDS; ``raw_values`` is a JSON object of the
      row's cells as written, ``row_number`` the 1-based line/row number in the file as a user sees it).
    - ``warnings``: one row per bad cell kept with its field emptied (WARNING_FIELDS).
    - counts: ``rows_read`` = data rows after the header; rows_read = accepted + rejected + blank + duplicate.
    """

    file_name: str
    sha256: str
    format: str  # template | events | wide | roster | mapped
    leads: pd.DataFrame = field(default_factory=lambda: empty_frame(LEAD_FIELDS))
    events: pd.DataFrame = field(default_factory=lambda: empty_frame(EVENT_FIELDS))
    activities: pd.DataFrame = field(default_factory=lambda: empty_frame(ACTIVITY_FIELDS))
    roster: pd.DataFrame = field(default_factory=lambda: empty_frame(ROSTER_FIELDS))
    rejects: pd.DataFrame = field(default_factory=lambda: empty_frame(REJECT_FIELDS))
    warnings: pd.DataFrame = field(default_factory=lambda: empty_frame(WARNING_FIELDS))
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    rows_blank: int = 0
    rows_duplicate: int = 0
    notes: list[str] = field(default_factory=list)  # human sentences, e.g. "2 exact duplicate rows counted once"
