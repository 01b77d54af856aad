"""Format A, the seed template: the stage events and activities a lead row implies.

Events (one row per stage entry): the first stage at 获取时间; the current stage at 进入阶段时间; every stage strictly
between them reached on an unknown date (entered_at NaT). Activities (one row per action): 关键动作记录 split on
; ； and newlines, each with its leading date (a yearless date placed by ``yearless.place_yearless``).
"""

from __future__ import annotations

import re
from concurrent.futures import Future

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from funnel.ingest.action_text import FEEDBACK_TEXT, Pieces, read_actions, split_actions, with_text_keys
from funnel.ingest.batch import ACTIVITY_FIELDS, EVENT_FIELDS, empty_frame
from funnel.ingest.dates import split_leading_date
from funnel.ingest.problems import code_of, warning
from funnel.ingest.repeats import repeated_rows
from funnel.ingest.text_many import with_values
from funnel.ingest.values import feedback_value
from funnel.ingest.yearless import GRACE_DAYS, PLACED, PROBLEMS, day_numbers
from funnel.stages import StageConfig

_SPLIT = re.compile(r"[;；\r\n]+")


def template_events(leads: pd.DataFrame, stages: StageConfig) -> pd.DataFrame:
    """Per lead, in lead order: the first stage at acquired_at (at stage_entered_at when the acquisition date is
    missing and the lead is in the first stage), each stage between the first and the current one at NaT, the
    current one at stage_entered_at. Built as arrays: ``1 + position of the current stage`` events per lead."""
    if leads.empty:
        return empty_frame(EVENT_FIELDS)
    # the stage keys as Arrow text, as the stage log's events hold them: the store scans the 3M stages at 1M leads
    # without converting a Python str per event (0.2-0.3 s CPU of the write)
    keys = pa.array(list(stages.keys), type=pa.large_string())
    found = _stage_positions(leads["current_stage"], stages.keys)  # -1: no current stage
    pos = np.maximum(found, 0)
    acquired = leads["acquired_at"].to_numpy(dtype="datetime64[ns]")
    entered = leads["stage_entered_at"].to_numpy(dtype="datetime64[ns]")
    count = pos + 1
    first = np.cumsum(count) - count  # each lead's first event
    lead = np.repeat(np.arange(len(leads)), count)
    step = np.arange(len(lead)) - first[lead]  # the stage's position
    at = np.full(len(lead), np.datetime64("NaT"), dtype="datetime64[ns]")
    at[first] = np.where(~np.isnat(acquired), acquired, np.where(pos == 0, entered, np.datetime64("NaT")))
    current = pos > 0
    at[(first + pos)[current]] = entered[current]
    return pd.DataFrame({"lead_id": leads["lead_id"].take(lead).reset_index(drop=True),  # its dtype kept
                         "stage": pd.Series(pd.arrays.ArrowExtensionArray(keys.take(pa.array(step))), copy=False),
                         "entered_at": pd.Series(at, copy=False)}, copy=False)


def _stage_positions(current: pd.Series, keys: tuple[str, ...]) -> np.ndarray:
    """The position of each lead's stage in ``keys`` (-1: none), looked up in Arrow for Arrow-backed text."""
    if not isinstance(current.dtype, pd.ArrowDtype):
        return pd.Index(list(keys)).get_indexer(current)
    found = pc.index_in(pa.array(current.array), value_set=pa.array(list(keys), type=current.dtype.pyarrow_dtype))
    return np.asarray(pc.fill_null(found, -1)).astype(np.intp, copy=False)


def action_pieces(actions: pd.Series) -> Pieces | None:
    """The pieces of 关键动作记录 ``actions``, each piece's ``parents`` its position in ``actions``; None when
    Arrow cannot take the text (the per-row path reads it). Needs no lead: ``parse_file`` may split ahead."""
    try:
        texts = pa.array(actions.array if isinstance(actions.dtype, pd.ArrowDtype) else actions.to_numpy(dtype=object),
                         type=pa.large_string(), from_pandas=True)
    except (pa.ArrowException, UnicodeError):  # not all text, or text Arrow cannot hold: per row
        return None
    if texts.null_count == len(texts):
        return Pieces(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), pa.array([], pa.large_string()))
    return split_actions(texts)  # a null text has no pieces: no copy of the others without the nulls


def pieces_of(pieces: Pieces, rows: np.ndarray, count: int) -> Pieces:
    """The pieces of the texts at ``rows`` (ascending positions among ``count``), their parents renumbered
    0.. in that order: what splitting only those texts gives, their distinct values aside (each piece's
    reading depends on its text alone)."""
    position = np.full(count, -1, dtype=np.int64)
    position[rows] = np.arange(len(rows))
    parents = position[pieces.parents]
    keep = parents >= 0
    if keep.all():
        return Pieces(parents, pieces.codes, pieces.distinct)
    return Pieces(parents[keep], pieces.codes[keep], pieces.distinct)


class ActionsAhead:
    """关键动作记录 read on a thread of its own while the lead file's other fields are converted and its lead rows
    and events built: its text (what ``convert_fields`` makes of it, no warning possible) and its pieces
    (``action_pieces``, the split: DuckDB and Arrow, which release the GIL), for every row of the table before
    ``drop_non_data_rows``. Each piece is read from its own text, so the extra distinct pieces of rows dropped
    or rejected change nothing."""

    def __init__(self, future: Future) -> None:
        self.future: Future | None = future
        self.kept: np.ndarray | None = None  # positions of the rows kept by drop_non_data_rows

    def take(self, rows: np.ndarray) -> tuple[pd.Series, Pieces | None]:
        """(text, pieces) of the kept rows at ``rows`` (ascending), as ``convert_fields`` and ``action_pieces``
        of those rows alone give them; once (the split's memory is let go)."""
        text, pieces = self.future.result()
        self.future = None
        rows = rows if self.kept is None else self.kept[rows]
        taken = text.iloc[rows].reset_index(drop=True)
        return taken, None if pieces is None else pieces_of(pieces, rows, len(text))


def template_activities(leads: pd.DataFrame, actions: pd.Series, row_numbers: np.ndarray, label: str,
                        warnings: list[dict], lead_positions: list[np.ndarray] | None = None,
                        pieces: Pieces | None = None, repeated: list[np.ndarray] | None = None) -> pd.DataFrame:
    """One row per action of 关键动作记录; actions whose date cannot be placed keep their text (at NaT, warned).

    Vectorised (``action_text``); the pieces it does not decide go through ``_read_piece`` one by one.
    ``lead_positions``, when given, receives the position in ``leads`` of each activity's lead. ``pieces``: the
    ``action_pieces`` of ``actions`` when split already. ``repeated``, when given, receives per activity whether
    an earlier one is the same row (lead_id, at, content, feedback, actor), found on integer keys (``repeats``):
    ``leads`` has one row per lead ID (as ``lead_rows`` gives them), so a lead's position stands for its ID and
    rep. The per-row path leaves ``repeated`` empty: not known.
    """
    lead_positions = [] if lead_positions is None else lead_positions
    pieces = action_pieces(actions) if pieces is None else pieces
    if pieces is None:
        return template_activities_per_row(leads, actions, row_numbers, label, warnings, lead_positions)
    if len(pieces) == 0:
        lead_positions.append(np.zeros(0, dtype=np.int64))
        return empty_frame(ACTIVITY_FIELDS)
    lead_pos = pieces.parents
    lead_positions.append(lead_pos.astype(np.int64, copy=False))
    acquired, anchors, limit = _action_bases(leads)
    cols = read_actions(pieces, lead_pos, day_numbers(acquired), [day_numbers(a) for a in anchors],
                        day_numbers(np.array([limit]))[0])
    at, content, feedback = cols.at, cols.content, cols.feedback
    found: list[tuple[int, dict]] = []  # (piece, warning), put in piece order below
    unplaced = np.flatnonzero(cols.problem != PLACED)
    if len(unplaced):
        found += _unplaced_warnings(unplaced, cols.problem[unplaced], pieces.text(unplaced),
                                    row_numbers[lead_pos[unplaced]], label)
    slow = np.flatnonzero(~cols.done)
    content_key, feedback_code = cols.content_key, cols.feedback_code
    if len(slow):
        slow_content, slow_feedback = [], []
        for k, pos, text in zip(slow, lead_pos[slow], pieces.text(slow)):
            said: list[dict] = []
            when, one_content, one_feedback = _read_piece(text, acquired[pos], [a[pos] for a in anchors], limit,
                                                          int(row_numbers[pos]), label, said)
            slow_content.append(one_content)
            slow_feedback.append(one_feedback)
            found += [(k, w) for w in said]
            at[k] = np.datetime64("NaT") if when is None else np.datetime64(when.to_datetime64(), "us")
        mask = np.zeros(len(pieces), dtype=bool)
        mask[slow] = True
        content, feedback = with_values(content, mask, slow_content), with_values(feedback, mask, slow_feedback)
        if repeated is not None:
            content_key, _ = with_text_keys(content_key, cols.content_texts, slow, slow_content)
            feedback_code = feedback_code.copy()
            feedback_code[slow] = [_FEEDBACK_CODE[value] for value in slow_feedback]
    if repeated is not None:  # lead_id and actor are the lead's (its position); at, content and feedback keyed
        repeated.append(repeated_rows(lead_pos, [at.view(np.int64), content_key * len(FEEDBACK_TEXT) + feedback_code]))
    found.sort(key=lambda item: item[0])
    warnings.extend(w for _, w in found)
    columns = {"lead_id": leads["lead_id"].array.take(lead_pos),  # Arrow-backed text stays Arrow
               "at": at if (~np.isnat(at)).any() else at.astype("datetime64[s]"),  # as pd.to_datetime gives
               "content": pd.arrays.ArrowExtensionArray(content), "feedback": pd.arrays.ArrowExtensionArray(feedback),
               "actor": leads["rep"].array.take(lead_pos)}
    # one block per column, no copies: 5M values copied into a 2-D block cost about a second at 1M leads
    return pd.DataFrame({name: pd.Series(values, dtype=values.dtype, copy=False)
                         for name, values in columns.items()}, copy=False)


def _action_bases(leads: pd.DataFrame) -> tuple[np.ndarray, list[np.ndarray], np.datetime64]:
    """What a yearless action date is placed by (``yearless.place_yearless``): per lead its acquisition
    date and its other dates (current stage entry, loss), and the file's latest lead date (the limit)."""
    def column(name: str) -> np.ndarray:
        if name not in leads:
            return np.full(len(leads), np.datetime64("NaT"), dtype="datetime64[ns]")
        return leads[name].to_numpy(dtype="datetime64[ns]")

    acquired = column("acquired_at")
    anchors = [column("stage_entered_at"), column("lost_at")]
    # the latest date: NaT is the smallest int64, so the integer maximum skips it (no copy of the 3M dates)
    latest = max((int(a.view(np.int64).max()) for a in (acquired, *anchors) if len(a)), default=_NAT)
    limit = np.datetime64("NaT", "ns") if latest == _NAT else \
        np.datetime64(latest, "ns") + np.timedelta64(GRACE_DAYS, "D")
    return acquired, anchors, limit


_NAT = int(np.datetime64("NaT", "ns").view(np.int64))
_FEEDBACK_CODE = {value: code for code, value in enumerate(FEEDBACK_TEXT.to_pylist())}  # None: the last


def _unplaced_warnings(positions: np.ndarray, problems: np.ndarray, texts: list[str], row_numbers: np.ndarray,
                       label: str) -> list[tuple[int, dict]]:
    """(piece, warning) of each action whose yearless date was not placed, as ``_read_piece`` words it."""
    said = {}
    for code in np.unique(problems).tolist():
        nested, _ = code_of(PROBLEMS[code])
        said[code] = warning(0, label, "", code="action_date", problem=nested) if nested else \
            warning(0, label, "", sentence=f"action date: {PROBLEMS[code]}; the action is kept without a date")
    return [(k, {**said[code], "row_number": row, "raw_value": text})
            for k, code, row, text in zip(positions.tolist(), problems.tolist(), row_numbers.tolist(), texts)]


def _read_piece(piece: str, acquired: np.datetime64, anchors: list[np.datetime64], limit: np.datetime64,
                row_number: int, label: str,
                warnings: list[dict]) -> tuple[pd.Timestamp | None, str | None, str | None]:
    """(at, content, feedback) of one stripped action; a date it cannot place is warned."""
    def stamp(value: np.datetime64) -> pd.Timestamp | None:
        return None if np.isnat(value) else pd.Timestamp(value)

    at, content, problem = split_leading_date(piece, stamp(acquired), tuple(stamp(a) for a in anchors), stamp(limit))
    if problem:
        nested, _ = code_of(problem)
        warnings.append(warning(row_number, label, piece, code="action_date", problem=nested) if nested else
                        warning(row_number, label, piece,
                                sentence=f"action date: {problem}; the action is kept without a date"))
    return at, content or None, feedback_value(content or "")


def template_activities_per_row(leads: pd.DataFrame, actions: pd.Series, row_numbers: np.ndarray, label: str,
                                warnings: list[dict], lead_positions: list[np.ndarray] | None = None) -> pd.DataFrame:
    """The per-row reference of ``template_activities`` (same output; used when Arrow cannot take the text)."""
    rows, positions = [], []
    acquired, anchors, limit = _action_bases(leads)
    lead_ids = leads["lead_id"].tolist()
    reps = leads["rep"].tolist()
    texts = actions.tolist()
    for i in np.flatnonzero(actions.notna().to_numpy()):
        for piece in _SPLIT.split(str(texts[i])):
            piece = piece.strip()
            if piece:
                at, content, feedback = _read_piece(piece, acquired[i], [a[i] for a in anchors], limit,
                                                    int(row_numbers[i]), label, warnings)
                rows.append({"lead_id": lead_ids[i], "at": at, "content": content, "feedback": feedback,
                             "actor": reps[i]})
                positions.append(i)
    if lead_positions is not None:
        lead_positions.append(np.array(positions, dtype=np.int64))
    if not rows:
        return empty_frame(ACTIVITY_FIELDS)
    frame = pd.DataFrame(rows, columns=list(ACTIVITY_FIELDS))
    frame["at"] = pd.to_datetime(frame["at"])
    return frame
