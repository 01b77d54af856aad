"""What the ingest layer hands the store: one ParsedFile per input file, nothing written yet.

Every frame uses the canonical column names of ``funnel.store.schema`` (without ``import_id``, which the
loader sets). Dates are ``datetime64`` (naive, local time), numbers float, text ``str`` or None (in the pandas
view; Arrow-backed strings with nulls as built).

Decision (issue 16, import speed): the parse keeps the four data frames (leads, events, activities, roster)
as it built them, text Arrow-backed where the converters made it so (the distinct values taken by their
codes, no Python ``str`` per row), and ``ParsedFile.arrow(name)`` hands the store an Arrow table of them
(Arrow-backed columns without a copy; a column that is still of Python objects converted once, a column
holding no value typed as text so it reaches DuckDB as VARCHAR). Reading ``parsed.leads`` (tests, the UI,
scripts) makes the pandas view the store never needs: text as object ``str`` / None, converted on first
access and cached; assigning a frame (tests build ParsedFile by hand) replaces both. rejects and warnings
are small and stay plain pandas frames of objects.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

LEAD_FIELDS = ("lead_id", "source", "customer", "contact", "contact_info", "acquired_at", "current_stage",
               "stage_entered_at", "expected_close", "rep", "manager", "status_reported",
               "cycle_days_reported", "lost_reason", "lost_at", "notes", "amount")
EVENT_FIELDS = ("lead_id", "stage", "entered_at")
ACTIVITY_FIELDS = ("lead_id", "at", "content", "feedback", "actor")
ROSTER_FIELDS = ("rep", "manager", "team")
# ``code`` / ``params``: the problem by code and its values (funnel.ingest.problems), beside its sentence
REJECT_FIELDS = ("row_number", "raw_values", "reason", "code", "params")
WARNING_FIELDS = ("row_number", "column_name", "raw_value", "problem", "code", "params")


FRAME_FIELDS = {"leads": LEAD_FIELDS, "events": EVENT_FIELDS, "activities": ACTIVITY_FIELDS,
                "roster": ROSTER_FIELDS}


def empty_frame(fields: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype="object") for name in fields})


def is_text(dtype) -> bool:
    """Text held as Python objects or in Arrow (pandas' ``str`` dtype, or an Arrow string type)."""
    return dtype == object or isinstance(dtype, pd.StringDtype) or (
        isinstance(dtype, pd.ArrowDtype) and (pa.types.is_string(dtype.pyarrow_dtype)
                                              or pa.types.is_large_string(dtype.pyarrow_dtype)))


def text_as_object(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as object dtype holding str or None (pandas 3 would infer a str dtype with NaN)."""
    columns = {}
    for name in frame.columns:
        column = frame[name]
        if is_text(column.dtype):
            column = column.astype(object)
            missing = column.isna()
            if missing.any():
                column = column.where(~missing, None)
        columns[name] = column.reset_index(drop=True)
    return pd.DataFrame(columns, columns=frame.columns, copy=False) if columns else frame.reset_index(drop=True)


def frame_as_arrow(frame: pd.DataFrame | pa.Table) -> pa.Table:
    """A parsed frame as the Arrow table DuckDB scans (text as strings, NaN and None as null). Arrow-backed
    columns are taken as they are; object columns holding no value become text (they would reach DuckDB as
    INTEGER / NULL type)."""
    if isinstance(frame, pa.Table):
        return frame
    empty = {c for c in frame.columns if frame[c].dtype == object and _all_missing(frame[c])}
    if not empty:
        return pa.Table.from_pandas(frame, preserve_index=False)
    given = pa.Table.from_pandas(frame.drop(columns=list(empty)), preserve_index=False)
    # the empty ones typed as text, without a per-row conversion
    return pa.table({name: pa.nulls(len(frame), pa.string()) if name in empty else given.column(name)
                     for name in frame.columns})


def _all_missing(column: pd.Series) -> bool:
    """True when every value is None/NaN (decided by the first value for most columns)."""
    return len(column) == 0 or (pd.isna(column.iat[0]) and bool(column.isna().all()))


class _Frame:
    """A data frame of ParsedFile: set as built; read as the pandas view (text as object str / None)."""

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, parsed, owner=None):
        if parsed is None:
            return self
        views = parsed._views
        if self.name not in views:
            views[self.name] = text_as_object(parsed.frame(self.name))
        return views[self.name]

    def __set__(self, parsed, frame: pd.DataFrame) -> None:
        parsed._frames[self.name] = frame
        parsed._views.pop(self.name, None)
        # a new frame: what the parse marked about it is not known any more
        parsed._marks.pop(("repeats", self.name), None)
        if self.name in ("leads", "activities"):
            parsed._marks.pop(_OF_LEAD_ROWS, None)
        if self.name in ("leads", "events"):
            parsed._marks.pop(_EVENTS_ONCE, None)
            parsed._marks.pop(_EVENTS_OF_LEAD_ROWS, None)


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

    leads, events, activities and roster read as pandas views made on first access (module docstring);
    the store reads ``arrow(name)`` and ``count(name)``, which make none. A view is a copy: to change what
    the store writes, assign a frame (``parsed.leads = frame``), do not edit the view in place.
    """

    leads = _Frame()
    events = _Frame()
    activities = _Frame()
    roster = _Frame()

    file_name: str
    sha256: str
    format: str  # template | events | wide | roster | mapped
    rejects: pd.DataFrame = field(default_factory=lambda: empty_frame(REJECT_FIELDS))
    warnings: pd.DataFrame = field(default_factory=lambda: empty_frame(WARNING_FIELDS))
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    rows_blank: int = 0
    rows_duplicate: int = 0
    notes: list[str] = field(default_factory=list)  # human sentences, e.g. "2 exact duplicate rows counted once"
    _frames: dict = field(default_factory=dict, repr=False, compare=False)  # name -> the frame as built
    _views: dict = field(default_factory=dict, repr=False, compare=False)   # name -> its pandas view
    _marks: dict = field(default_factory=dict, repr=False, compare=False)  # what the parse marked (below)
    # What is left of the parse (``parse_files(rest_later=True)``): None when the file is whole; else a function
    # to run, or a Future of the rest running on a parse thread. Until ``complete()`` only leads, events, their
    # counts, rows_read / rows_blank / rows_duplicate and the file's name, hash and format may be read.
    rest: object = field(default=None, repr=False, compare=False)

    def frame(self, name: str) -> pd.DataFrame:
        """The frame as the parse built it (text Arrow-backed or objects; no copy made)."""
        if name not in self._frames:
            self._frames[name] = empty_frame(FRAME_FIELDS[name])
        return self._frames[name]

    def complete(self) -> None:
        """Wait for (or run) the rest of the parse: activities, rejects, warnings and notes then final. Raises
        what the rest raised."""
        rest, self.rest = self.rest, None
        if isinstance(rest, Future):
            rest.result()
        elif rest is not None:
            rest()

    def arrow(self, name: str) -> pa.Table:
        """The frame as the Arrow table the store scans (``frame_as_arrow``)."""
        return frame_as_arrow(self.frame(name))

    def count(self, name: str) -> int:
        """Rows of the frame, without making its view."""
        return len(self.frame(name))

    def mark_repeats(self, name: str, repeated: np.ndarray) -> None:
        """Say which rows of the frame (as built) repeat an earlier row in every column: ``repeated``, bool per
        row. The store then writes the frame without them and without a DISTINCT of its own (the activities).
        Assigning the frame anew forgets it."""
        if len(repeated) != self.count(name):
            raise ValueError(f"{name}: {len(repeated)} marks for {self.count(name)} rows")
        self._marks[("repeats", name)] = repeated

    def repeats(self, name: str) -> np.ndarray | None:
        """``mark_repeats``' mask of the frame, or None: not known (the store de-duplicates the rows itself)."""
        return self._marks.get(("repeats", name))

    def mark_activities_of_lead_rows(self) -> None:
        """Say that every activity names a lead of ``leads`` (a template's actions are its lead rows' own): the
        store's new / changed / unchanged outcome then needs the activities only where they are new. Assigning
        leads or activities anew forgets it."""
        self._marks[_OF_LEAD_ROWS] = True

    def activities_of_lead_rows(self) -> bool:
        return self._marks.get(_OF_LEAD_ROWS, False)

    def mark_events_once(self) -> None:
        """Say that no two rows of ``events`` share a lead and a stage (a template's own events: one per stage up
        to each lead row's current one, one row per lead ID): the store then writes them into an empty table as
        they are, without a DISTINCT and without looking for an undated event the file also dates. Assigning
        leads or events anew forgets it."""
        self._marks[_EVENTS_ONCE] = True

    def events_once(self) -> bool:
        return self._marks.get(_EVENTS_ONCE, False)

    def mark_events_of_lead_rows(self) -> None:
        """Say that every event names a lead of ``leads`` (events built from the file's accepted rows, whose lead
        IDs the lead rows hold): where the store held no lead before the import, the events then name no lead the
        lead rows do not, and the store does not look for one. Assigning leads or events anew forgets it."""
        self._marks[_EVENTS_OF_LEAD_ROWS] = True

    def events_of_lead_rows(self) -> bool:
        return self._marks.get(_EVENTS_OF_LEAD_ROWS, False)


_OF_LEAD_ROWS = "activities_of_lead_rows"
_EVENTS_ONCE = "events_once_per_lead_and_stage"
_EVENTS_OF_LEAD_ROWS = "events_of_lead_rows"
