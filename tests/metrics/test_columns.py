"""Every metric frame has exactly the columns funnel.metrics.columns declares, on data and on an empty cohort."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

import funnel.metrics as M
from funnel.filters import BOARD_DIMENSIONS
from funnel.metrics.columns import FRAMES, leaderboard_columns

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "report"))
from report_data import make_store  # noqa: E402


@pytest.fixture(scope="module")
def store():
    con = make_store()
    yield con
    con.close()


@pytest.mark.parametrize("empty", [False, True], ids=["data", "empty cohort"])
def test_every_frame_matches_its_declaration(store, empty):
    flt = M.FunnelFilter(date_from=dt.date(1990, 1, 1), date_to=dt.date(1990, 1, 31)) if empty else M.FunnelFilter()
    ctx = M.resolve_context(store, flt)
    for name, declared in FRAMES.items():
        frame = getattr(M, name)(store, ctx)
        assert tuple(frame.columns) == declared, name
        assert empty or name in ("overdue_leads", "past_expected_close", "data_quality") or len(frame), name
    for dim in BOARD_DIMENSIONS:
        assert tuple(M.leaderboard(store, ctx, by=dim.column).columns) == leaderboard_columns(dim.column)
