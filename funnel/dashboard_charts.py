"""Charts the dashboard needs that ``funnel.charts`` does not build (yet): a plain bar chart by category
(losses by stage) and a line per period (median cycle). Same style and CJK font as ``funnel.charts``;
pure: a small DataFrame in, an Altair chart out. (Requested for funnel.charts; move there when it has them.)
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from funnel.charts import PALETTE, _configure, _num, count_axis, period_label


def bar_chart(df: pd.DataFrame, category: str, value: str, title: str, category_title: str, value_title: str,
              lang: str = "zh"):
    """Horizontal bars of ``value`` per ``category``, in the frame's order, each labelled with its value.
    Whole-number values (counts) get whole-number ticks."""
    data = pd.DataFrame({"_cat": df[category].astype(str).values, "_val": [_num(v) or 0 for v in df[value]]})
    order = list(data["_cat"])
    y = alt.Y("_cat:N", sort=order, title=None, axis=alt.Axis(labelLimit=200))
    x_max = max(data["_val"].max() if len(data) else 0, 1)
    tooltip = [alt.Tooltip("_cat:N", title=category_title), alt.Tooltip("_val:Q", title=value_title)]
    whole = bool(len(data)) and all(float(v).is_integer() for v in data["_val"])
    axis = count_axis() if whole else alt.Axis()
    bars = alt.Chart(data).mark_bar(color=PALETTE["accent"]).encode(
        y=y, x=alt.X("_val:Q", title=value_title, scale=alt.Scale(domain=[0, x_max * 1.15]), axis=axis),
        tooltip=tooltip)
    text = alt.Chart(data).mark_text(align="left", dx=4, fontSize=12).encode(y=y, x="_val:Q", text="_val:Q")
    chart = alt.layer(bars, text).properties(title=title, width=460, height=max(120, 30 * len(data)))
    return _configure(chart, lang)


def period_line_chart(df: pd.DataFrame, value: str, title: str, value_title: str, grain: str = "month",
                      lang: str = "zh"):
    """One line of ``value`` per period (``period_start``), periods in time order; missing values left out."""
    src = df.sort_values("period_start") if len(df) else df
    data = pd.DataFrame({"_period": [period_label(p, grain) for p in src["period_start"]],
                         "_val": [_num(v) for v in src[value]]})
    order = list(data["_period"])
    x = alt.X("_period:O", sort=order, title=None, axis=alt.Axis(labelAngle=0 if len(data) <= 8 else -45))
    chart = alt.Chart(data).transform_filter("datum._val != null").mark_line(
        color=PALETTE["line"], point=True).encode(
        x=x, y=alt.Y("_val:Q", title=value_title),
        tooltip=[alt.Tooltip("_period:O"), alt.Tooltip("_val:Q", title=value_title, format=".1f")],
    ).properties(title=title, width=460, height=200)
    return _configure(chart, lang)
