"""The four formats, each turning a Table's typed fields into the frames of a ParsedFile.

- template: one row per lead; events and activities implied by the row (``template.py``).
- leads: one row per lead, events only from a mapping profile's ``[[files.events]]`` rules.
- events: one row per (lead, stage, entered_at); leads keep the last non-empty value per field.
- wide: one row per lead, one event per non-empty stage-date column.
- roster: one row per rep.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from funnel.ingest.batch import EVENT_FIELDS, ROSTER_FIELDS, ParsedFile, empty_frame
from funnel.ingest.dates import parse_dates
from funnel.ingest.far_dates import DateFacts, far_date_warnings
from funnel.ingest.fields import when_mask
from funnel.ingest.leads import codes_as_written, first_seen, lead_rows, to_lead_frame
from funnel.ingest.problems import reject_reason, warning
from funnel.ingest.profiles import FileMapping
from funnel.ingest.rows import keep_last_per_key, reject_frame
from funnel.ingest.table import Table
from funnel.ingest.template import ActionsAhead, template_activities, template_events
from funnel.ingest.headers import header_key
from funnel.stages import StageConfig


def parse_lead_file(parsed: ParsedFile, table: Table, values: pd.DataFrame, stages: StageConfig,
                    mapping: FileMapping | None, kind: str, ahead: ActionsAhead | None = None) -> Callable[[], None]:
    """template / leads / wide: fill parsed.leads, events and rejects, and return the rest of the parse: the
    function that fills parsed.activities and adds the far-date warnings (the lead file's own warnings). The
    store can write a lead file's leads and events while that rest still runs (``ParsedFile.rest``).
    ``ahead``: 关键动作记录 read on another thread (``parse_file``; then ``values`` has no key_actions): taken
    by the rest, once the lead rows and the events are built, which do not need it."""
    if kind == "template":
        for generic, specific in (("stage", "current_stage"), ("entered_at", "stage_entered_at")):
            if generic in values and specific not in values:
                values = values.rename(columns={generic: specific})
    leads, accepted, rejects = lead_rows(values, table)
    parsed.leads, parsed.rejects = leads, rejects
    events = [rule_events(table, values, accepted, mapping, stages)]
    if kind == "template":
        events.insert(0, template_events(leads, stages))
    elif kind == "wide":
        events.insert(0, wide_events(table, leads, accepted, stages))
    parsed.events = _concat_events(events)
    parsed.mark_events_of_lead_rows()  # every event is an accepted row's, whose lead is a lead row
    if kind == "template" and events[1].empty:  # its own events only: one per lead row and stage
        parsed.mark_events_once()
    parsed.rows_accepted = len(leads)
    actions = None
    if kind == "template" and ahead is None and "key_actions" in values:
        actions = values["key_actions"].iloc[accepted].reset_index(drop=True)
    del values, events
    # the rest reads only the date cells (_lead_date_facts): the grid's other columns let go before the store
    # writes the leads (at 1M leads about 0.8 GB held through the write otherwise)
    table.keep_cells_of({table.field_columns[f] for fields in _DATE_FACT_FIELDS for f in fields
                         if f in table.field_columns})

    def rest() -> None:
        _lead_file_activities(parsed, table, leads, accepted, actions, ahead)
    return rest


def _lead_file_activities(parsed: ParsedFile, table: Table, leads: pd.DataFrame, accepted: np.ndarray,
                          actions: pd.Series | None, ahead: ActionsAhead | None) -> None:
    """The rest of ``parse_lead_file``: a template's activities from 关键动作记录 (``ahead``'s, or ``actions``),
    then the far-date warnings of every date of the file."""
    rows = table.row_numbers[accepted]
    activity_leads: list[np.ndarray] = []  # the position in leads of each activity's lead
    repeated: list[np.ndarray] = []  # per activity: an earlier one is the same row (empty: not known)
    if ahead is not None or actions is not None:
        label = table.column_label(table.field_columns["key_actions"])
        actions, pieces = ahead.take(accepted) if ahead is not None else (actions, None)
        parsed.activities = template_activities(leads, actions, rows, label, table.warnings, activity_leads, pieces,
                                                repeated)
        del actions, pieces  # the split of 1M texts (~80 MB at 1M leads): not held to the end of the parse
        parsed.mark_activities_of_lead_rows()  # each action is a lead row's own
        if repeated:
            parsed.mark_repeats("activities", repeated[0])
    table.warnings.extend(far_date_warnings(_lead_date_facts(table, leads, accepted, parsed.frame("activities"),
                                                             activity_leads[0] if activity_leads else None)))


# The lead fields whose dates say something happened, each read from the first of its columns the file has
_DATE_FACT_FIELDS = (("acquired_at",), ("stage_entered_at", "entered_at"), ("lost_at",))


def _lead_date_facts(table: Table, leads: pd.DataFrame, accepted: np.ndarray, activities: pd.DataFrame,
                     activity_leads: np.ndarray | None = None) -> list[DateFacts]:
    """The dates of a lead file that say something happened (planned dates left out), for far_date_warnings.
    Leads are keyed by their position (lead IDs are unique here; ``activity_leads``: each activity's lead
    position, looked up by ID when not given); the text of a date is written out only for the far ones."""
    rows = table.row_numbers[accepted]
    keys = np.arange(len(leads), dtype=np.int64)
    facts = []
    for name, fields in zip(("acquired_at", "stage_entered_at", "lost_at"), _DATE_FACT_FIELDS):
        column = next((table.field_columns[f] for f in fields if f in table.field_columns), None)
        dates = leads[name].to_numpy(dtype="datetime64[ns]")
        if column is not None:
            cells = table.cells[column]
            raw, label = (lambda pos, cells=cells: cells.iloc[accepted[pos]].tolist()), table.column_label(column)
        else:
            raw, label = (lambda pos, dates=dates: [str(d)[:10] for d in dates[pos]]), name
        facts.append(DateFacts(keys, dates, rows, label, raw))
    if len(activities) and "key_actions" in table.field_columns:
        position = activity_leads if activity_leads is not None and len(activity_leads) == len(activities) else \
            pd.Index(leads["lead_id"].to_numpy(dtype=object)).get_indexer(activities["lead_id"].to_numpy(dtype=object))
        at = activities["at"].to_numpy(dtype="datetime64[ns]")
        content = activities["content"]

        def raw_actions(pos: np.ndarray) -> list[str]:
            return [f"{str(d)[:10]} {c if isinstance(c, str) else ''}".strip()  # None, or NA in Arrow text
                    for d, c in zip(at[pos], content.iloc[pos])]

        facts.append(DateFacts(position.astype(np.int64), at, np.where(position >= 0, rows[position], 0),
                               table.column_label(table.field_columns["key_actions"]), raw_actions))
    return facts


def rule_events(table: Table, values: pd.DataFrame, accepted: np.ndarray, mapping: FileMapping | None,
                stages: StageConfig) -> pd.DataFrame:
    """Events from a mapping profile's ``[[files.events]]`` rules (one per accepted row with a date)."""
    if not mapping or not mapping.events:
        return empty_frame(EVENT_FIELDS)
    keys = {header_key(h): i for i, h in reversed(list(enumerate(table.headers)))}
    parts = []
    for rule in mapping.events:
        index = keys.get(header_key(rule.column))
        stage = rule.stage if rule.stage in stages.keys else stages.resolve(rule.stage)
        if index is None or stage is None:
            table.notes.append(f"mapping: event rule {rule.column!r} -> {rule.stage!r} not applied "
                               "(column or stage not found)")
            continue
        cells = table.cells[index].iloc[accepted]
        mask = when_mask(table, rule.when).iloc[accepted].to_numpy()
        dates, problems = parse_dates(cells, table.date1904)
        for pos in np.flatnonzero(problems.notna().to_numpy() & mask):
            table.warnings.append(warning(int(table.row_numbers[accepted[pos]]), table.column_label(index),
                                          str(cells.iat[pos]), sentence=problems.iat[pos]))
        take = mask & dates.notna().to_numpy()
        parts.append(pd.DataFrame({"lead_id": values["lead_id"].iloc[accepted].to_numpy()[take], "stage": stage,
                                   "entered_at": dates.to_numpy()[take]}))
    return _concat_events(parts)


def wide_events(table: Table, leads: pd.DataFrame, accepted: np.ndarray, stages: StageConfig) -> pd.DataFrame:
    """One event per non-empty stage-date column; the first stage at acquired_at when it has no column."""
    parts = []
    for index, stage in table.wide_columns.items():
        cells = table.cells[index].iloc[accepted]
        dates, problems = parse_dates(cells, table.date1904)
        for pos in np.flatnonzero(problems.notna().to_numpy()):
            table.warnings.append(warning(int(table.row_numbers[accepted[pos]]), table.column_label(index),
                                          str(cells.iat[pos]), sentence=problems.iat[pos]))
        take = dates.notna().to_numpy()
        parts.append(pd.DataFrame({"lead_id": leads["lead_id"].to_numpy()[take], "stage": stage,
                                   "entered_at": dates.to_numpy()[take]}))
    first = stages.keys[0]
    if first not in table.wide_columns.values():
        take = leads["acquired_at"].notna().to_numpy()
        parts.insert(0, pd.DataFrame({"lead_id": leads["lead_id"].to_numpy()[take], "stage": first,
                                      "entered_at": leads["acquired_at"].to_numpy()[take]}))
    return _concat_events(parts)


def _concat_events(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_frame(EVENT_FIELDS)
    events = pd.concat(parts, ignore_index=True)[list(EVENT_FIELDS)]
    events["entered_at"] = pd.to_datetime(events["entered_at"])
    return events


def parse_event_log(parsed: ParsedFile, table: Table, values: pd.DataFrame, stages: StageConfig,
                    mapping: FileMapping | None) -> None:
    """Format B: rows without lead ID or stage are rejected; no superseding between rows."""
    for generic, specific in (("stage", "current_stage"), ("entered_at", "stage_entered_at")):
        if specific in values and generic not in values:
            values = values.rename(columns={specific: generic})
    ids = values["lead_id"]
    stage = values["stage"] if "stage" in values else pd.Series(None, index=values.index, dtype=object)
    raw_stage = table.cells[table.field_columns["stage"]] if "stage" in table.field_columns else None
    no_id = ids.isna().to_numpy()
    no_stage = stage.isna().to_numpy() & ~no_id
    reasons = []
    for pos in np.flatnonzero(no_id | no_stage):
        if no_id[pos]:
            reasons.append(reject_reason("no_lead_id_event"))
        elif raw_stage is not None and str(raw_stage.iat[pos]).strip() not in ("", "-"):
            reasons.append(reject_reason("event_stage_unknown", stage=repr(str(raw_stage.iat[pos]).strip())))
        else:
            reasons.append(reject_reason("event_no_stage"))
    bad = np.flatnonzero(no_id | no_stage)
    # the stage warning for the rejected row is redundant: the reject says it
    rejected_rows = set(table.row_numbers[bad].tolist())
    table.warnings[:] = [w for w in table.warnings if not (w["row_number"] in rejected_rows
                                                          and w["problem"].startswith("unknown stage"))]
    parsed.rejects = reject_frame(table, bad, reasons)
    accepted = np.flatnonzero(~(no_id | no_stage))
    good = values.iloc[accepted]
    entered = good["entered_at"] if "entered_at" in good else pd.Series(pd.NaT, index=good.index)
    events = pd.DataFrame({"lead_id": good["lead_id"].array, "stage": good["stage"].array,  # text as converted
                           "entered_at": pd.to_datetime(entered).to_numpy()})
    parsed.events = _concat_events([events, rule_events(table, values, accepted, mapping, stages)])
    # the IDs hashed once (by drop_non_data_rows, for the cells) when the cells are the IDs: each lead's key and
    # first row by integers, not by hashing the 3M IDs twice more (factorize, drop_duplicates)
    written = codes_as_written(ids, no_id, table)
    keys, firsts = first_seen(written[accepted]) if written is not None else (None, None)
    if "entered_at" in table.field_columns or "stage_entered_at" in table.field_columns:
        column = table.field_columns.get("entered_at", table.field_columns.get("stage_entered_at"))
        table.warnings.extend(far_date_warnings([DateFacts(
            pd.factorize(events["lead_id"])[0] if keys is None else keys,
            events["entered_at"].to_numpy(dtype="datetime64[ns]"),
            table.row_numbers[accepted], table.column_label(column),
            lambda pos: table.cells[column].iloc[accepted[pos]].tolist())]))
    attributes = good.drop(columns=[c for c in ("stage", "entered_at", "key_actions") if c in good])
    if len(attributes.columns) > 1:
        leads = attributes.groupby("lead_id", sort=False).last().reset_index()
    else:
        leads = attributes.drop_duplicates("lead_id") if firsts is None else attributes.iloc[firsts]
    parsed.leads = to_lead_frame(leads)
    parsed.mark_events_of_lead_rows()  # the lead rows are the events' accepted rows, one per lead
    parsed.rows_accepted = len(accepted)


def parse_roster(parsed: ParsedFile, table: Table, values: pd.DataFrame) -> None:
    """Format D: one row per rep; a rep listed twice keeps the later row."""
    reps = values["rep"] if "rep" in values else pd.Series(None, index=values.index, dtype=object)
    no_rep = reps.isna().to_numpy()
    kept, superseded, sup_reasons = keep_last_per_key(reps.where(~no_rep), table)
    positions = np.concatenate([np.flatnonzero(no_rep), superseded]).astype(int)
    reasons = [reject_reason("no_rep")] * int(no_rep.sum()) + sup_reasons
    order = np.argsort(positions, kind="stable")
    parsed.rejects = reject_frame(table, positions[order], [reasons[i] for i in order])
    accepted = np.flatnonzero(kept & ~no_rep)
    roster = pd.DataFrame(index=range(len(accepted)))
    for name in ROSTER_FIELDS:
        roster[name] = values[name].iloc[accepted].to_numpy() if name in values else None
    parsed.roster = roster
    parsed.rows_accepted = len(accepted)
