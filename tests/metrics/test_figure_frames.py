"""A figure set written by the command line (``metrics --save``, DuckDB on the sample data) turns back into the
declared frames the charts take, equal to what the metric functions give on the same database, for every
column the JSON carries (funnel.metrics.figure_frames)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from funnel.metrics import columns as declared
from funnel.metrics import figure_frames as ff
from funnel.plain import plain_rows


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """(figure set as read back from the folder, connection, context) for one filter with an as-of date."""
    from funnel.cli import main
    from funnel.metrics import FunnelFilter, resolve_context
    from funnel.store.bootstrap import sample_files
    from funnel.store.db import connect
    from funnel.store.figure_sets import read_figure_sets
    from funnel.store.loader import import_files

    tmp = tmp_path_factory.mktemp("fs")
    db, folder = tmp / "s.duckdb", tmp / "figures"
    con = connect(db)
    import_files(con, sample_files(), who="test")
    con.close()
    mp = pytest.MonkeyPatch()
    mp.setenv("LEAD_FUNNEL_FIGURES_DIR", str(folder))
    try:
        assert main(["metrics", "--db", str(db), "--from", "2024-02-01", "--as-of", "2024-11-30", "--save"]) == 0
    finally:
        mp.undo()
    (entry,) = read_figure_sets(folder)
    assert entry.problem is None and entry.provenance["engine"] == "duckdb"
    con = connect(db, read_only=True)
    ctx = resolve_context(con, FunnelFilter(date_from=dt.date(2024, 2, 1)), as_of=dt.date(2024, 11, 30))
    yield entry.figures, con, ctx
    con.close()


def _live(name, con, ctx):
    import funnel.metrics as m
    from funnel.metrics.forecast import backtest

    if name == "backtest":
        return backtest(con, ctx)
    return getattr(m, name)(con, ctx)


# columns a figure set does not carry (missing in the rebuilt frame)
NOT_CARRIED = {"time_in_stage": {"min", "max"}, "cohort_triangle": {"youngest_age_days", "longest_t_days"},
               "backtest": {"wins_seen"}}


@pytest.mark.parametrize("name", sorted(ff.FRAME_BUILDERS))
def test_each_frame_round_trips(saved, name):
    figs, con, ctx = saved
    rebuilt = ff.FRAME_BUILDERS[name](figs)
    live = _live(name, con, ctx)
    if name in declared.FRAMES:
        assert tuple(rebuilt.columns) == declared.FRAMES[name]
    carried = [c for c in live.columns if c in rebuilt.columns and c not in NOT_CARRIED.get(name, ())]
    assert len(live) > 0 and len(rebuilt) == len(live)
    assert plain_rows(rebuilt[carried]) == plain_rows(live[carried])
    for c in NOT_CARRIED.get(name, ()):  # missing, never made up (backtest's wins_seen is not even a column)
        assert c not in rebuilt.columns or rebuilt[c].isna().all()
    for c in carried:  # timestamps stay timestamps (the charts and the tables format them)
        assert pd.api.types.is_datetime64_any_dtype(rebuilt[c]) == pd.api.types.is_datetime64_any_dtype(live[c]), c


@pytest.mark.parametrize("by", ["rep", "manager", "team", "source"])
def test_leaderboards_round_trip_with_their_intervals(saved, by):
    from funnel.metrics import leaderboard

    figs, con, ctx = saved
    rebuilt = ff.leaderboard_frame(figs, by)
    live = leaderboard(con, ctx, by=by)
    assert tuple(rebuilt.columns) == declared.leaderboard_columns(by)
    assert plain_rows(rebuilt) == plain_rows(live)


def test_the_cohort_curve_round_trips(saved):
    from funnel.metrics import win_curves

    figs, con, ctx = saved
    live = win_curves(con, ctx)["cohort"]
    assert plain_rows(ff.win_curve_frame(figs)) == plain_rows(live[list(ff.WIN_CURVE)])


def test_the_charts_draw_the_rebuilt_frames(saved):
    """Each chart builder takes its rebuilt frame (a spec comes out; Altair validates it)."""
    from funnel import charts, forecast_charts as fc

    figs, _, _ = saved
    specs = [charts.funnel_chart(ff.stage_funnel_frame(figs), "en"),
             charts.time_in_stage_boxplot(ff.time_in_stage_frame(figs), "zh"),
             charts.pareto_chart(ff.pareto_frame(figs), "zh"),
             charts.leaderboard_ci_chart(ff.leaderboard_frame(figs, "source"), "en", by="source"),
             charts.trend_chart(ff.trends_frame(figs), "zh"),
             fc.triangle_chart(ff.cohort_triangle_frame(figs), lang="en"),
             fc.backtest_chart(ff.backtest_frame(figs), lang="zh"),
             fc.win_curve_chart(ff.win_curve_frame(figs), None, lang="en")]
    for chart in specs:
        assert chart.to_dict()


def test_a_value_of_the_wrong_shape_is_named():
    with pytest.raises(ff.FigureSetShapeError, match="reps"):
        ff.leaderboard_frame({"reps": "not a list"}, "rep")
    with pytest.raises(ff.FigureSetShapeError, match="stages"):
        ff.time_in_stage_frame({"stages": [{"key": "a", "time_in_stage_days": [1, 2]}]})
