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


def test_charts_draw_the_declared_frames(store):
    """The chart builders read the metric frames' declared columns directly (no guessed names): each draws
    its frame as the metric function returns it, in both languages."""
    from funnel import charts

    ctx = M.resolve_context(store, M.FunnelFilter())
    names = {s.key: s.name_en for s in ctx.stages.stages}
    for lang in ("zh", "en"):
        built = [charts.funnel_chart(M.stage_funnel(store, ctx), lang),
                 charts.time_in_stage_boxplot(M.time_in_stage(store, ctx), lang),
                 charts.cycle_histogram(M.cycle_distribution(store, ctx), lang),
                 charts.pareto_chart(M.loss_reasons(store, ctx), lang),
                 charts.pareto_chart(M.loss_categories(store, ctx), lang),
                 charts.trend_chart(M.trends(store, ctx), lang),
                 charts.stage_entries_chart(M.stage_entries(store, ctx), lang, stage_names=names)]
        built += [charts.leaderboard_ci_chart(M.leaderboard(store, ctx, by=d.column), lang, by=d.column)
                  for d in BOARD_DIMENSIONS]
        for chart in built:
            chart.to_dict(validate=True)
