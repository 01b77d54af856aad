"""The forecast charts render offline in both languages (vl-convert compiles every expression: a label with
an apostrophe once broke the English backtest chart) and draw what the frames hold."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from funnel import forecast_charts as fc
from funnel.charts import chart_to_svg


def _backtest() -> pd.DataFrame:
    return pd.DataFrame({"period": ["2024-05", "2024-06"], "start": [dt.date(2024, 5, 1), dt.date(2024, 6, 1)],
                         "forecast": [None, 12.5], "low": [None, 9.0], "high": [None, 16.0], "actual": [3, 14],
                         "naive": [2, 3], "too_little_history": [True, False]})


def _triangle() -> pd.DataFrame:
    row = {"period_start": dt.date(2024, 5, 1), "period": "2024-05", "leads": 40, "youngest_age_days": 45,
           "longest_t_days": 70}
    for d, share, est in ((30, 0.1, False), (60, 0.2, True), (90, None, None), (120, None, None),
                          (150, None, None), (180, None, None)):
        row[f"share_{d}"], row[f"estimated_{d}"] = share, est
    return pd.DataFrame([row])


def _curves() -> pd.DataFrame:
    return pd.DataFrame({"source": ["展会"] * 3 + ["官网"] * 3, "t": [0, 1, 2] * 2, "n": [30, 20, 12, 9, 5, 2],
                         "d_w": [0] * 6, "d_l": [0] * 6, "f_w": [0, 0.1, 0.2, 0, 0.3, 0.3],
                         "f_l": [0] * 6, "s": [1, 0.9, 0.8, 1, 0.7, 0.7]})


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_forecast_chart_renders(lang):
    stage = pd.DataFrame({"name": ["线索获取", "初步筛选"], "open_leads": [10, 5], "expected_wins": [0.5, 1.5]})
    for chart in (fc.backtest_chart(_backtest(), lang=lang, title="t"), fc.triangle_chart(_triangle(), lang=lang),
                  fc.forecast_stage_chart(stage, lang=lang), fc.win_curve_chart(_curves(), "source", lang=lang)):
        assert "<svg" in chart_to_svg(chart)


def test_curve_is_cut_below_ten_at_risk_and_triangle_marks_estimates():
    spec = fc.win_curve_chart(_curves(), "source", lang="en").to_dict()
    lines = pd.DataFrame(next(iter(spec["datasets"].values())))
    assert set(lines["_g"]) == {"展会"} and list(lines["_t"]) == [0, 1, 2]  # 官网 has 9 at risk on day 0
    tri = fc.triangle_chart(_triangle(), lang="en").to_dict()
    cells = pd.DataFrame(next(iter(tri["datasets"].values())))
    assert list(cells["_t"]) == ["10.0%", "≈20.0%"]  # observed, estimated; the empty cells are not drawn
