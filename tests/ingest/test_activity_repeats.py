"""The parse marks the activities that repeat an earlier one (``repeats.repeated_rows`` on integer keys) so the
store can write them distinct without a DISTINCT over their text: the mark must be exactly pandas'
``duplicated`` of the rows as the store sees them (lead_id, at, content, feedback, actor)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funnel.ingest import _text_as_object
from funnel.ingest import repeats
from funnel.ingest.template import template_activities

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])




@given(st.lists(st.tuples(st.integers(0, 3), st.integers(-2, 2), st.integers(-1, 2)), max_size=40),
       st.booleans(), st.booleans())
@FAST
def test_repeated_rows_equal_duplicated(rows, in_order, collide):
    """Groups in order or not; with every hash colliding (the keys then compared only among candidates)."""
    if in_order:
        rows = sorted(rows, key=lambda r: r[0])
    frame = pd.DataFrame(rows, columns=["g", "a", "b"], dtype=np.int64)
    expected = frame.duplicated().to_numpy()
    keys = [frame["a"].to_numpy(), frame["b"].to_numpy()]
    original = repeats._hash
    if collide:
        repeats._hash = lambda keys, n: np.zeros(n, dtype=np.uint64)
    try:
        got = repeats.repeated_rows(frame["g"].to_numpy(), keys)
    finally:
        repeats._hash = original
    assert got.tolist() == expected.tolist()


def test_repeated_rows_extreme_keys():
    # NaT is the smallest int64; the group may be 0 only; a negative group is hashed with the keys
    nat = np.iinfo(np.int64).min
    at = np.array([nat, nat, 5, nat, np.iinfo(np.int64).max, np.iinfo(np.int64).max], dtype=np.int64)
    key = np.array([-1, -1, -1, 3, 7, 7], dtype=np.int64)
    assert repeats.repeated_rows(np.zeros(6, dtype=np.int64), [at, key]).tolist() == \
        [False, True, False, False, False, True]
    assert repeats.repeated_rows(np.array([0, -1, 0, 0, 2, 2]), [at, key]).tolist() == \
        [False, False, False, False, False, True]


_PIECES = ["03-05 电话", "3-5 电话", "2024-03-05 电话", "2024/3/5 电话", "03-05电话", "电话", "电话,积极", "积极",
           "０３-０５ 电话", "０３-０５电话", "02-30 电话", "2024-13-01 电话", "03-05 25:00 电话", "", "反馈消极",
           "03-05 14:30 电话", "ｐｏｓｉｔｉｖｅ", "positive", "03-05"]


@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=6), min_size=1, max_size=5),
       st.lists(st.sampled_from(["2024-01-01", "2024-03-05", None]), min_size=5, max_size=5),
       st.lists(st.sampled_from(["李明", "王芳", None]), min_size=5, max_size=5))
@FAST
def test_template_activities_mark_repeats_as_duplicated(logs, acquired, reps):
    """Pieces written differently with the same date and content (03-05 / 3-5 / 2024-03-05, full-width digits
    read per row, unplaced dates kept whole) are repeats; two leads' equal actions are not."""
    n = len(logs)
    leads = pd.DataFrame({"lead_id": [f"L{i}" for i in range(n)],
                          "acquired_at": pd.to_datetime(acquired[:n]),
                          "stage_entered_at": pd.to_datetime([None] * n), "rep": reps[:n]})
    actions = pd.Series([";".join(log) if log else None for log in logs], dtype=object)
    marked: list[np.ndarray] = []
    frame = template_activities(leads, actions, np.arange(2, n + 2), "k", [], None, None, marked)
    expected = _text_as_object(frame).duplicated().to_numpy() if len(frame) else np.zeros(0, dtype=bool)
    if len(frame):
        assert marked[0].tolist() == expected.tolist()


def test_template_activities_repeats_worked_by_hand():
    # L1 acquired 2024-01-01, in its stage since 2024-06-01: 03-05 / 3-5 / 2024-03-05 and the full-width ０３-０５ (read per row) all say
    # 2024-03-05 00:00 "电话" -> the 2nd, 3rd and 4th repeat the 1st; "电话,积极" (feedback positive) differs from
    # "电话"; 02-30 cannot be placed: kept whole ("02-30 电话", no date), twice -> the 2nd repeats.
    # L2 writes the same log once: its rows repeat nothing of L1's (another lead).
    leads = pd.DataFrame({"lead_id": ["L1", "L2"], "acquired_at": pd.to_datetime(["2024-01-01", "2024-01-01"]),
                          "stage_entered_at": pd.to_datetime(["2024-06-01", "2024-06-01"]), "rep": ["李明", "李明"]})
    actions = pd.Series(["03-05 电话;3-5 电话；2024-03-05 电话\n０３-０５ 电话;03-05 电话,积极;02-30 电话;02-30 电话",
                         "03-05 电话"], dtype=object)
    marked: list[np.ndarray] = []
    frame = template_activities(leads, actions, np.array([2, 3]), "k", [], None, None, marked)
    assert marked[0].tolist() == [False, True, True, True, False, False, True, False]
    assert _text_as_object(frame)["content"].tolist() == ["电话"] * 4 + ["电话,积极", "02-30 电话", "02-30 电话", "电话"]
