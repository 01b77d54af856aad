"""Chart builders: valid Vega-Lite with the expected encodings on tiny frames; PNG export draws Chinese.

How the CJK check works: with a usable font, two different Chinese strings of the same length render to
different pixels (each character has its own glyph). Without one, every character is drawn as the same
.notdef box, or (vl-convert with an unknown family) as nothing at all, so the two renders are identical.
The negative control renders the same pair with a family name no font has and shows the renders agree
there, so the comparison really detects missing glyphs. We also require ink: dark pixels in the text.
"""

from __future__ import annotations

import io

import altair as alt
import pandas as pd
import pytest

from funnel import charts

# Frames with the declared columns a chart reads (funnel.metrics.columns).
STAGES = pd.DataFrame({
    "stage": ["acquired", "screening", "discovery", "won"],
    "name_zh": ["线索获取", "初步筛选", "需求深度挖掘", "成交签约"],
    "name_en": ["Lead acquired", "Screening", "Discovery", "Won"],
    "reached": [10, 6, 3, 1], "step_conversion": [None, 0.6, 0.5, 1 / 3], "dropped": [3, 2, 2, 0],
    "open": [1, 1, 0, 0]})
TIMES = pd.DataFrame({"name_zh": ["线索获取", "初步筛选", "成交签约"], "name_en": ["Lead acquired", "Screening", "Won"], "n": [8, 4, 0], "q1": [1.0, 2.0, None],
                      "median": [2.0, 4.0, None], "q3": [3.0, 7.0, None], "mean": [2.1, 4.5, None],
                      "min": [0.0, 1.0, None], "max": [6.0, 12.0, None], "in_progress": [1, 2, 0]})
REASONS = pd.DataFrame({"reason": ["价格超出预算", "竞品优势", "未填写 / unspecified"], "count": [5, 3, 2],
                        "share": [0.5, 0.3, 0.2], "cumulative_share": [0.5, 0.8, 1.0]})
BOARD = pd.DataFrame({"rep": ["李明", "王芳"], "leads": [10, 1], "won": [3, 1], "conversion": [0.3, 1.0],
                      "conversion_ci_low": [0.108, 0.207], "conversion_ci_high": [0.603, 1.0]})
TREND = pd.DataFrame({"period_start": pd.to_datetime(["2024-01-01", "2024-02-01"]), "leads": [5, 8],
                      "won": [1, 0], "conversion": [0.2, 0.0], "median_cycle_days": [30.0, None]})
ENTRIES = pd.DataFrame({"period_start": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-02-01"]),
                        "stage": ["acquired", "screening", "acquired"], "entries": [5, 3, 8]})
DIST = pd.DataFrame({"bin_start": [0, 10, 20], "bin_end": [10, 20, 30], "count": [1, 4, 2]})


def _encodings(spec: dict) -> list[dict]:
    """Every encoding block anywhere in a (layered / concatenated) spec."""
    found = []
    if isinstance(spec, dict):
        if "encoding" in spec:
            found.append(spec["encoding"])
        for value in spec.values():
            found.extend(_encodings(value))
    elif isinstance(spec, list):
        for item in spec:
            found.extend(_encodings(item))
    return found


def _fields(spec: dict, channel: str) -> set[str]:
    return {e[channel].get("field") for e in _encodings(spec) if channel in e and isinstance(e[channel], dict)}


def _datasets(spec: dict) -> list[list[dict]]:
    return list(spec.get("datasets", {}).values())


def _valid(chart) -> dict:
    spec = chart.to_dict(validate=True)  # raises on a spec Vega-Lite's schema rejects
    assert "WenQuanYi Micro Hei" in spec["config"]["font"]
    return spec


def test_funnel_chart_bars_in_configured_order_with_step_labels():
    spec = _valid(charts.funnel_chart(STAGES, "zh"))
    assert "_reached" in _fields(spec, "x") and "_stage" in _fields(spec, "y")
    sorts = [e["y"].get("sort") for e in _encodings(spec) if "y" in e]
    assert ["线索获取", "初步筛选", "需求深度挖掘", "成交签约"] in sorts
    labels = [row["_label"] for rows in _datasets(spec) for row in rows]
    assert labels == ["10", "6 · 60.0%", "3 · 50.0%", "1 · 33.3%"]  # first stage: no step conversion


def test_boxplot_from_quartiles_with_in_progress_beside():
    spec = _valid(charts.time_in_stage_boxplot(TIMES, "en"))
    marks = {(l.get("mark") or {}).get("type") for h in spec["hconcat"] for l in h.get("layer", [h])}
    assert {"rule", "bar", "tick", "text"} <= marks
    assert {"_min", "_q1", "_median"} <= _fields(spec, "x")
    sides = [row["_side"] for rows in _datasets(spec) for row in rows]
    assert "n=4 · In progress 2" in sides


def test_cycle_histogram_bins():
    spec = _valid(charts.cycle_histogram(DIST, "en", median=14))
    assert "bin_start" in _fields(spec, "x") and "count" in _fields(spec, "y")
    assert "bin_end" in _fields(spec, "x2")


def test_pareto_two_axes_and_80_percent_guide():
    spec = _valid(charts.pareto_chart(REASONS, "zh"))
    assert spec["resolve"]["scale"]["y"] == "independent"
    assert {"_count", "_cum", "g"} <= _fields(spec, "y")
    guide_rows = [rows for rows in _datasets(spec) if rows and "g" in rows[0]]
    assert guide_rows == [[{"g": 0.8}]]


def test_leaderboard_points_with_wilson_interval():
    spec = _valid(charts.leaderboard_ci_chart(BOARD, "zh", team_rate=0.36))
    assert {"_low", "_conv", "r"} <= _fields(spec, "x") and "_high" in _fields(spec, "x2")
    rows = [r for rows in _datasets(spec) for r in rows if "_name" in r]
    assert [r["_name"] for r in rows][:2] == ["李明", "王芳"] and rows[1]["_label"] == "1/1"


def test_trend_and_stage_entries():
    spec = _valid(charts.trend_chart(TREND, "en"))
    assert {"_leads", "_conv"} <= _fields(spec, "y") and _fields(spec, "x") == {"_period"}
    periods = [r["_period"] for rows in _datasets(spec) for r in rows]
    assert periods == ["2024-01", "2024-02"]
    spec = _valid(charts.stage_entries_chart(ENTRIES, "zh", stage_names={"acquired": "线索获取",
                                                                         "screening": "初步筛选"}))
    assert "_stage" in _fields(spec, "color")
    assert spec["encoding"]["color"]["scale"]["domain"] == ["线索获取", "初步筛选"]


def test_period_label():
    assert charts.period_label("2024-03-01", "month") == "2024-03"
    assert charts.period_label("2024-04-01", "quarter") == "2024-Q2"
    assert charts.period_label("2024-03-04", "week") == "2024-W10"


def test_empty_frames_do_not_crash():
    assert charts.chart_to_svg(charts.funnel_chart(STAGES.head(0), "en")).startswith("<svg")
    assert charts.chart_to_svg(charts.pareto_chart(REASONS.head(0), "en")).startswith("<svg")


def _text_png(text: str, family: str) -> bytes:
    chart = alt.Chart(pd.DataFrame({"t": [text]})).mark_text(fontSize=32, font=family).encode(
        text="t").properties(width=220, height=60).configure(font=family)
    return charts.chart_to_png(chart, scale=1)


def _ink(png: bytes) -> int:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("L")
    return sum(image.histogram()[:128])  # dark pixels


def test_png_draws_chinese_glyphs():
    family = charts.FONT_FAMILY
    a, b = _text_png("线索获取", family), _text_png("初步筛选", family)
    assert a != b, "two different Chinese strings rendered the same: glyphs missing"
    assert _ink(a) > 200 and _ink(b) > 200
    # Negative control: a family no font provides draws no glyphs, so both renders agree.
    assert _text_png("线索获取", "NoSuchFontFamily") == _text_png("初步筛选", "NoSuchFontFamily")


def test_full_chart_png_has_chinese_axis_labels():
    zh = charts.chart_to_png(charts.funnel_chart(STAGES, "zh"), scale=1)
    renamed = STAGES.assign(name_zh=["获取线索", "筛选初步", "挖掘需求深度", "签约成交"])
    assert zh.startswith(b"\x89PNG") and zh != charts.chart_to_png(charts.funnel_chart(renamed, "zh"), scale=1)


def test_missing_cjk_font_raises_clear_error(monkeypatch):
    monkeypatch.setattr(charts, "find_cjk_fonts", lambda dirs=charts.FONT_DIRS: [])
    with pytest.raises(charts.CJKFontMissingError, match="fonts-wqy-microhei"):
        charts.chart_to_png(charts.funnel_chart(STAGES, "zh"))
    # A chart without Chinese text still renders without a CJK font.
    latin = STAGES.assign(name_en=["Lead", "Screen", "Discover", "Won"])
    assert charts.chart_to_png(charts.funnel_chart(latin, "en"), scale=1).startswith(b"\x89PNG")


def test_svg_export_escapes_markup():
    board = BOARD.assign(rep=["<img src=x onerror=alert(1)>", "王芳"])
    svg = charts.chart_to_svg(charts.leaderboard_ci_chart(board, "zh"))
    assert "<img" not in svg and "&lt;img" in svg


# --- axes of whole things (the walk of a new user: a 1-lead loss chart read 0.0, 0.2 ... 1.0 lost leads)

def _axes(spec: dict, channel: str, field: str) -> list[dict]:
    """The axes set on ``channel`` where it draws ``field`` (layers that only reuse the scale set none)."""
    return [e[channel]["axis"] for e in _encodings(spec) if isinstance(e.get(channel), dict)
            and e[channel].get("field") == field and isinstance(e[channel].get("axis"), dict)]


def _whole_ticks(axis: dict) -> bool:
    return axis.get("tickMinStep") == 1 and axis.get("format") == ",d"


def test_count_axes_tick_at_whole_numbers():
    one = pd.DataFrame({"bin_start": [45], "bin_end": [50], "count": [1]})
    spec = _valid(charts.cycle_histogram(one, "zh"))
    assert _axes(spec, "y", "count") and all(_whole_ticks(a) for a in _axes(spec, "y", "count"))
    assert _axes(spec, "x", "bin_start") and all(_whole_ticks(a) for a in _axes(spec, "x", "bin_start"))
    spec = _valid(charts.pareto_chart(REASONS.head(1), "zh"))
    assert _axes(spec, "y", "_count") and all(_whole_ticks(a) for a in _axes(spec, "y", "_count"))
    spec = _valid(charts.trend_chart(TREND, "zh"))
    assert _axes(spec, "y", "_leads") and all(_whole_ticks(a) for a in _axes(spec, "y", "_leads"))
    assert not any(_whole_ticks(a) for a in _axes(spec, "y", "_conv"))  # a share keeps its % axis
    spec = _valid(charts.stage_entries_chart(ENTRIES, "zh"))
    assert _axes(spec, "y", "_entries") and all(_whole_ticks(a) for a in _axes(spec, "y", "_entries"))
    spec = _valid(charts.funnel_chart(STAGES, "zh"))
    assert _axes(spec, "x", "_reached") and all(_whole_ticks(a) for a in _axes(spec, "x", "_reached"))


def test_bar_chart_of_counts_ticks_whole_numbers_and_of_fractions_does_not():
    from funnel.dashboard_charts import bar_chart

    lost = pd.DataFrame({"name": ["线索获取", "初步筛选"], "lost": [0, 1]})
    spec = _valid(bar_chart(lost, "name", "lost", "按阶段的流失", "阶段", "流失", lang="zh"))
    assert _axes(spec, "x", "_val") and all(_whole_ticks(a) for a in _axes(spec, "x", "_val"))
    part = pd.DataFrame({"name": ["a", "b"], "v": [0.4, 1.5]})
    spec = _valid(bar_chart(part, "name", "v", "t", "c", "v", lang="en"))
    assert not any(_whole_ticks(a) for a in _axes(spec, "x", "_val"))


def test_mix_rate_bars_with_every_term_zero_keep_a_readable_axis():
    """Review, 结构与转化率拆分: two sources with no change drew a collapsed axis whose one tick read 0.000000."""
    from funnel.review_charts import mix_rate_bars

    mix = [{"segment_by": "source", "segment": "官网", "mix": 0.0, "rate": 0.0},
           {"segment_by": "source", "segment": "行业展会", "mix": 0.0, "rate": 0.0}]
    spec = _valid(mix_rate_bars(mix, "zh"))
    x = spec["encoding"]["x"]
    assert x["scale"]["domain"][0] < 0 < x["scale"]["domain"][1]
    assert x["axis"]["format"] == "+,.1~f"
