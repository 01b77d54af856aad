"""trends, stage_entries, period_over_period, bottleneck, resolve_context, figures (JSON shape), render_text."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from funnel.metrics import (FunnelFilter, bottleneck, figures, period_activity, period_over_period, range_over_range,
                            render_text, resolve_context, stage_entries, trends)


def month_data(b):
    # March: 2 leads (1 won in 10 days); April: 1 lead (lost); a planned date far in the future never sets as-of
    b.lead("M1", acquired="2024-03-04", status="won", expected_close="2025-01-01",
           events=[("acquired", "2024-03-04"), ("screening", "2024-03-06"), ("won", "2024-03-14")])
    b.lead("M2", acquired="2024-03-20", status="active", stage="screening",
           events=[("acquired", "2024-03-20"), ("screening", "2024-03-25")])
    b.lead("A1", acquired="2024-04-02", status="lost", reason="价格", lost_at="2024-04-09",
           events=[("acquired", "2024-04-02")])
    b.activity("M2", "2024-04-12")
    return b.derive()


def test_resolve_context_as_of_is_latest_fact(build):
    con = month_data(build)
    ctx = resolve_context(con)
    assert ctx.as_of == dt.date(2024, 4, 12)  # the activity, not the expected close 2025-01-01
    assert resolve_context(con, as_of=dt.date(2024, 5, 1)).as_of == dt.date(2024, 5, 1)


def test_trends_by_month_and_week(build):
    con = month_data(build)
    t = trends(con, build.ctx())
    assert list(t["period"]) == ["2024-03", "2024-04"]
    assert list(t["leads"]) == [2, 1] and list(t["won"]) == [1, 0]
    assert t["conversion"].iloc[0] == 0.5  # 1 of 2
    assert t["median_cycle_days"].iloc[0] == 10.0  # 03-04 -> 03-14
    w = trends(con, build.ctx(grain="week"))
    assert str(w["period_start"].iloc[0])[:10] == "2024-03-04"  # ISO week starts on Monday
    assert list(w["period"]) == ["2024-W10", "2024-W12", "2024-W14"]


def test_stage_entries_by_entry_period(build):
    con = month_data(build)
    e = stage_entries(con, build.ctx())
    march = e[e["period"] == "2024-03"].set_index("stage")["entries"].to_dict()
    assert march == {"acquired": 2, "screening": 2, "won": 1}


def test_period_over_period_and_activity(build):
    con = month_data(build)
    pop = period_over_period(con, build.ctx(), dt.date(2024, 4, 1))
    assert (pop["current"]["period"], pop["previous"]["period"]) == ("2024-04", "2024-03")
    assert (pop["current"]["leads"], pop["previous"]["leads"], pop["change"]["leads"]) == (1, 2, -1)
    act = period_activity(con, build.ctx(), dt.date(2024, 4, 1))
    assert (act["won"], act["lost"], act["stage_entries"]["acquired"]) == (0, 1, 1)


def test_bottleneck_sentences(build):
    con = month_data(build)
    b = bottleneck(con, build.ctx())
    # steps: screening 2/3, discovery 1/2 (the won lead skipped it? no: furthest won -> passed), ...
    assert b["step"]["conversion"] <= 1.0
    assert "→" in b["sentence_en"] and "转化率" in b["sentence_zh"]


def test_figures_json_shape(build):
    con = month_data(build)
    figs = figures(con, build.ctx())
    text = json.dumps(figs, ensure_ascii=False, allow_nan=False)
    assert json.loads(text) == figs
    for key in ("as_of", "cohort", "overall_conversion", "win_rate", "stages", "cycle_days", "loss_reasons", "reps",
                "sources", "stalled", "managers", "teams", "overdue", "past_expected_close", "bottleneck", "trends",
                "data_quality", "filter"):
        assert key in figs
    assert set(figs["cohort"]) == {"leads", "won", "lost", "open", "undated"}
    assert [s["key"] for s in figs["stages"]] == ["acquired", "screening", "discovery", "proposal", "won", "after_sales"]
    first = figs["stages"][0]
    assert first["step_conversion"] is None and first["name"] == "线索获取"
    for s in figs["stages"]:
        assert {"key", "name", "name_en", "reached", "step_conversion", "dropped", "open", "in_progress",
                "time_in_stage_days"} <= set(s)
        if s["time_in_stage_days"] is not None:
            assert set(s["time_in_stage_days"]) == {"n", "q1", "median", "q3", "mean"}
    assert set(figs["cycle_days"]) == {"n", "n_reported", "q1", "median", "q3", "mean"}
    rep = figs["reps"][0]
    assert {"rep", "leads", "won", "lost", "open", "conversion", "conversion_ci", "win_rate", "median_cycle_days",
            "stalled"} <= set(rep)
    assert figs["sources"][0]["source"] == "展会"
    assert figs["as_of"] == "2024-04-12"


def test_render_text_both_languages(build):
    con = month_data(build)
    figs = figures(con, build.ctx())
    en, zh = render_text(figs, "en"), render_text(figs, "zh")
    assert "Funnel" in en and "Lead acquired" in en
    assert "漏斗" in zh and "线索获取" in zh


def test_filter_applies_to_figures(build):
    con = month_data(build)
    figs = figures(con, build.ctx(filter=FunnelFilter(date_from=dt.date(2024, 4, 1))))
    assert figs["cohort"]["leads"] == 1 and figs["filter"]["date_from"] == "2024-04-01"
    assert figs["loss_reasons"] == [{"reason": "价格", "count": 1, "share": 1.0, "cumulative_share": 1.0}]


def test_previous_window_whole_periods_or_same_days():
    from funnel.metrics import previous_window

    d = dt.date
    # three whole months -> the three months before (February 2024 has 29 days)
    assert previous_window(d(2024, 3, 1), d(2024, 5, 31), "month") == (d(2023, 12, 1), d(2024, 2, 29))
    # one whole quarter -> the quarter before
    assert previous_window(d(2024, 4, 1), d(2024, 6, 30), "quarter") == (d(2024, 1, 1), d(2024, 3, 31))
    # one ISO week (Monday..Sunday) -> the week before
    assert previous_window(d(2024, 3, 11), d(2024, 3, 17), "week") == (d(2024, 3, 4), d(2024, 3, 10))
    # not whole months: the same number of days (10) ending the day before
    assert previous_window(d(2024, 3, 5), d(2024, 3, 14), "month") == (d(2024, 2, 24), d(2024, 3, 4))


def test_range_over_range_compares_the_tiles_range_with_the_window_before(build):
    con = month_data(build)
    # range = April (whole month) -> previous = March: April has A1 (lost), March has M1 (won) and M2 (open)
    ctx = build.ctx(filter=FunnelFilter(date_from=dt.date(2024, 4, 1), date_to=dt.date(2024, 4, 30)))
    rr = range_over_range(con, ctx)
    assert (rr["current"]["period"], rr["previous"]["period"]) == ("2024-04", "2024-03")
    assert (rr["current"]["leads"], rr["previous"]["leads"], rr["change"]["leads"]) == (1, 2, -1)
    assert (rr["current"]["won"], rr["previous"]["won"]) == (0, 1)
    # conversion: April 0/1 = 0, March 1/2 = 0.5 -> change -0.5
    assert rr["change"]["overall_conversion"] == pytest.approx(-0.5)
    # a 9-day range 2024-03-20..03-28 holds M2; the 9 days before (03-11..03-19) hold nothing
    ctx = build.ctx(filter=FunnelFilter(date_from=dt.date(2024, 3, 20), date_to=dt.date(2024, 3, 28)))
    rr = range_over_range(con, ctx)
    assert rr["previous"]["period"] == "2024-03-11 – 2024-03-19"
    assert (rr["current"]["leads"], rr["previous"]["leads"]) == (1, 0)
    assert rr["change"]["overall_conversion"] is None  # 0 / 0 before: undefined, not a change
    assert range_over_range(con, build.ctx()) is None  # no range chosen
