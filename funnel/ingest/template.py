"""Format A, the seed template: the stage events and activities a lead row implies.

Events (one row per stage entry): the first stage at 获取时间; the current stage at 进入阶段时间; every stage strictly
between them reached on an unknown date (entered_at NaT). Activities (one row per action): 关键动作记录 split on
; ； and newlines, each with its leading date (a yearless date placed on/after the acquisition date).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from funnel.ingest.batch import ACTIVITY_FIELDS, EVENT_FIELDS, empty_frame
from funnel.ingest.dates import split_leading_date
from funnel.ingest.values import feedback_value
from funnel.stages import StageConfig

_SPLIT = re.compile(r"[;；\r\n]+")


def template_events(leads: pd.DataFrame, stages: StageConfig) -> pd.DataFrame:
    if leads.empty:
        return empty_frame(EVENT_FIELDS)
    keys = list(stages.keys)
    first = keys[0]
    position = leads["current_stage"].map({k: i for i, k in enumerate(keys)})
    has_current = position.notna().to_numpy()
    pos = position.fillna(0).astype(int).to_numpy()
    first_at = leads["acquired_at"].where(leads["acquired_at"].notna(),
                                          leads["stage_entered_at"].where(pos == 0))
    parts = [pd.DataFrame({"lead_id": leads["lead_id"], "stage": first, "entered_at": first_at})]
    for i, key in enumerate(keys[1:], start=1):
        between = pos > i
        if between.any():
            parts.append(pd.DataFrame({"lead_id": leads["lead_id"][between], "stage": key,
                                       "entered_at": pd.Series(pd.NaT, index=leads.index[between],
                                                               dtype="datetime64[ns]")}))
        current = has_current & (pos == i)
        if current.any():
            parts.append(pd.DataFrame({"lead_id": leads["lead_id"][current], "stage": key,
                                       "entered_at": leads["stage_entered_at"][current]}))
    events = pd.concat(parts)
    events["entered_at"] = pd.to_datetime(events["entered_at"])
    return events.sort_index(kind="stable").reset_index(drop=True)[list(EVENT_FIELDS)]


def template_activities(leads: pd.DataFrame, actions: pd.Series, row_numbers: np.ndarray, label: str,
                        warnings: list[dict]) -> pd.DataFrame:
    """One row per action of 关键动作记录; actions whose date cannot be placed keep their text (at NaT, warned)."""
    rows = []
    # Plain lists: per-row pandas indexing costs ~100 µs a cell, which made 2,000 leads take seconds.
    acquired = leads["acquired_at"].tolist()
    entered = leads["stage_entered_at"].tolist()
    lead_ids = leads["lead_id"].tolist()
    reps = leads["rep"].tolist()
    texts = actions.tolist()
    for i in np.flatnonzero(actions.notna().to_numpy()):
        base = acquired[i]
        if pd.isna(base):
            base = entered[i]
        for piece in _SPLIT.split(str(texts[i])):
            piece = piece.strip()
            if not piece:
                continue
            at, content, problem = split_leading_date(piece, None if pd.isna(base) else base)
            if problem:
                warnings.append({"row_number": int(row_numbers[i]), "column_name": label, "raw_value": piece,
                                 "problem": f"action date: {problem}; the action is kept without a date"})
            rows.append({"lead_id": lead_ids[i], "at": at, "content": content or None,
                         "feedback": feedback_value(content or ""), "actor": reps[i]})
    if not rows:
        return empty_frame(ACTIVITY_FIELDS)
    frame = pd.DataFrame(rows, columns=list(ACTIVITY_FIELDS))
    frame["at"] = pd.to_datetime(frame["at"])
    return frame
