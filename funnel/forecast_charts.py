"""Charts of SPEC §7.4–7.5 (成交曲线 win curve, cohort triangle, 预测 forecast, 回测 backtest): pure Altair
builders over the small frames of ``funnel.metrics.win_curve`` / ``funnel.metrics.forecast``, in the style
and CJK font of ``funnel.charts`` (kept in their own module so the Review charts can land beside them).
"""

from __future__ import annotations

import json

import altair as alt
import numpy as np
import pandas as pd

from funnel.charts import PALETTE, _configure, _num
from funnel.i18n import t

AT_RISK_DAYS = (0, 30, 60, 90, 120, 150, 180)


def _l(key: str, lang: str) -> str:
    return t(f"chart.fc_{key}", lang)


def _finish(chart, lang: str):
    """The project's font and style, and ``fit-x`` sizing: Streamlit gives a chart without an autosize
    ``fit`` with the padding contained, which takes the axes and title out of the given height and left a
    four-bar chart 25 px tall in the browser; ``fit-x`` stretches the width only, the height stays the
    plot's."""
    return _configure(chart, lang).properties(autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


def _points(frame: pd.DataFrame, min_at_risk: int) -> pd.DataFrame:
    """A curve cut where fewer than ``min_at_risk`` leads are at risk, thinned past day 180 to one point a
    week (a step curve drawn 'step-after' looks the same), so a chart stays far below 5,000 rows."""
    kept = frame[frame["n"] >= min_at_risk]
    t = kept["t"].to_numpy()
    keep = (t <= 180) | (t % 7 == 0) | (t == (t.max() if len(t) else 0))
    return kept[keep]


def win_curve_chart(curves: pd.DataFrame, group: str | None, lang: str = "zh", title: str | None = None,
                    min_at_risk: int = 10, top: int = 8, names: dict | None = None):
    """F_W(t) as step lines, one per group (the ``top`` largest; ``group`` None: one line for the cohort),
    each cut where fewer than ``min_at_risk`` leads are at risk, above a grid of the leads at risk at
    day 0, 30 … 180 (the number-at-risk table of a survival chart). Input: ``win_curves`` frames."""
    src = curves.copy()
    if group is None:
        src["_g"] = _l("all", lang)
    else:
        src["_g"] = ["—" if v is None or (isinstance(v, float) and np.isnan(v)) else str((names or {}).get(v, v))
                     for v in src[group]]
    sizes = src[src["t"] == 0].sort_values("n", ascending=False)
    order = list(dict.fromkeys(sizes["_g"]))[:top]
    src = src[src["_g"].isin(order)]
    lines = pd.concat([_points(part, min_at_risk) for _, part in src.groupby("_g", sort=False)]) \
        if len(src) else src
    data = pd.DataFrame({"_g": lines["_g"].values if len(lines) else [], "_t": lines["t"].values if len(lines) else [],
                         "_f": lines["f_w"].values if len(lines) else [], "_n": lines["n"].values if len(lines) else []})
    color = alt.Color("_g:N", sort=order, title=_l("group", lang), legend=alt.Legend(orient="right", labelLimit=160))
    tooltip = [alt.Tooltip("_g:N", title=_l("group", lang)), alt.Tooltip("_t:Q", title=_l("days", lang)),
               alt.Tooltip("_f:Q", title=_l("f_w", lang), format=".1%"),
               alt.Tooltip("_n:Q", title=_l("n", lang), format=",.0f")]
    top_chart = alt.Chart(data).mark_line(interpolate="step-after", strokeWidth=2).encode(
        x=alt.X("_t:Q", title=_l("days", lang), scale=alt.Scale(domainMin=0)),
        y=alt.Y("_f:Q", title=_l("f_w", lang), axis=alt.Axis(format="%")), color=color, tooltip=tooltip,
    ).properties(width=520, height=260, title=title or "")
    grid_rows = []
    for name, part in src.groupby("_g", sort=False):
        n = part.set_index("t")["n"]
        for day in AT_RISK_DAYS:
            value = int(n.get(day, 0))
            grid_rows.append({"_g": name, "_d": str(day), "_n": f"{value:,}" if value >= min_at_risk or value == 0
                              else f"({value})"})
    grid = pd.DataFrame(grid_rows, columns=["_g", "_d", "_n"])
    table = alt.Chart(grid).mark_text(fontSize=11).encode(
        x=alt.X("_d:O", sort=[str(d) for d in AT_RISK_DAYS], title=f"{_l('n', lang)} · {_l('days', lang)}",
                axis=alt.Axis(orient="top", labelAngle=0)),
        y=alt.Y("_g:N", sort=order, title=None, axis=alt.Axis(labelLimit=160)),
        text="_n:N", color=alt.value("#333"),
    ).properties(width=520, height=18 * max(1, len(order)))
    return _configure(alt.vconcat(top_chart, table, spacing=18), lang)


def triangle_chart(triangle: pd.DataFrame, days=(30, 60, 90, 120, 150, 180), lang: str = "zh",
                   title: str | None = None):
    """The cohort triangle as a heat table: rows = acquisition periods, columns = won within 30 … 180 days.
    Estimated cells (from the row's win curve) are pale, outlined dashed and labelled '≈12.3%'; observed
    cells are solid with a plain label; cells past the row's longest time stay empty."""
    rows = []
    for row in triangle.to_dict("records"):
        for d in days:
            share = _num(row.get(f"share_{d}"))
            if share is None:
                continue
            est = bool(row.get(f"estimated_{d}"))
            rows.append({"_p": f"{row['period']} · {int(row['leads']):,}", "_d": _l("within", lang).format(d=d),
                         "_s": share, "_e": _l("estimated", lang) if est else _l("observed", lang),
                         "_t": ("≈" if est else "") + f"{share * 100:.1f}%", "_o": 0.45 if est else 1.0})
    data = pd.DataFrame(rows, columns=["_p", "_d", "_s", "_e", "_t", "_o"])
    dark = 0.6 * (float(data["_s"].max()) if len(data) else 1.0)  # white text on the darker observed cells
    period_order = [f"{r['period']} · {int(r['leads']):,}" for r in triangle.to_dict("records")]
    day_order = [_l("within", lang).format(d=d) for d in days]
    x = alt.X("_d:O", sort=day_order, title=None, axis=alt.Axis(orient="top", labelAngle=0))
    y = alt.Y("_p:O", sort=period_order, title=_l("period", lang), axis=alt.Axis(labelLimit=200, labelOverlap=False))
    tooltip = [alt.Tooltip("_p:O", title=_l("period", lang)), alt.Tooltip("_d:O", title=_l("share", lang)),
               alt.Tooltip("_s:Q", title=_l("share", lang), format=".1%"), alt.Tooltip("_e:N", title=" ")]
    heat = alt.Chart(data).mark_rect().encode(
        x=x, y=y, color=alt.Color("_s:Q", title=_l("share", lang), scale=alt.Scale(scheme="blues", domainMin=0),
                                  legend=alt.Legend(format="%")),
        opacity=alt.Opacity("_o:Q", legend=None, scale=None),
        strokeDash=alt.condition(f"datum._e == {json.dumps(_l('estimated', lang))}", alt.value([4, 3]), alt.value([1, 0])),
        stroke=alt.condition(f"datum._e == {json.dumps(_l('estimated', lang))}", alt.value("#555"), alt.value(None)),
        tooltip=tooltip)
    text = alt.Chart(data).mark_text(fontSize=12).encode(
        x=x, y=y, text="_t:N",
        color=alt.condition(f"datum._s > {dark} && datum._o == 1", alt.value("white"), alt.value("#222")))
    y_axis_rows = max(120, 26 * len(period_order))
    chart = alt.layer(heat, text).properties(width=560, height=y_axis_rows, title=title or "")
    return _finish(chart, lang)


def forecast_stage_chart(by_stage: pd.DataFrame, lang: str = "zh", title: str | None = None):
    """Expected wins per stage (bars, in configured order) with the open leads of the stage in the label.
    Input: rows with ``name`` (stage name), ``open_leads``, ``expected_wins``."""
    data = pd.DataFrame({"_s": by_stage["name"].astype(str).values,
                         "_w": [_num(v) or 0.0 for v in by_stage["expected_wins"]],
                         "_n": [int(_num(v) or 0) for v in by_stage["open_leads"]]})
    data["_t"] = [f"{w:,.1f} / {n:,}" for w, n in zip(data["_w"], data["_n"])]
    order = list(data["_s"])
    y = alt.Y("_s:N", sort=order, title=None, axis=alt.Axis(labelLimit=200))
    top = max(float(data["_w"].max()) if len(data) else 0.0, 1.0)
    tooltip = [alt.Tooltip("_s:N", title=_l("stage", lang)),
               alt.Tooltip("_w:Q", title=_l("expected_wins", lang), format=",.1f"),
               alt.Tooltip("_n:Q", title=_l("open_leads", lang), format=",.0f")]
    bars = alt.Chart(data).mark_bar(color=PALETTE["good"]).encode(
        y=y, x=alt.X("_w:Q", title=f"{_l('expected_wins', lang)} / {_l('open_leads', lang)}",
                     scale=alt.Scale(domain=[0, top * 1.3])), tooltip=tooltip)
    text = alt.Chart(data).mark_text(align="left", dx=4, fontSize=12).encode(y=y, x="_w:Q", text="_t:N")
    return _finish(alt.layer(bars, text).properties(width=460, height=max(100, 32 * len(data)),
                                                      title=title or ""), lang)


def backtest_chart(frame: pd.DataFrame, lang: str = "zh", title: str | None = None):
    """Forecast (bars) with its 80% interval (whiskers), the actual wins (black dots) and the naive
    guess (open diamonds), one group per backtest period, oldest first. Periods with too little history
    show no bar. Input: ``backtest`` rows."""
    data = pd.DataFrame({"_p": frame["period"].astype(str).values,
                         "_f": [_num(v) for v in frame["forecast"]], "_lo": [_num(v) for v in frame["low"]],
                         "_hi": [_num(v) for v in frame["high"]], "_a": [_num(v) for v in frame["actual"]],
                         "_nv": [_num(v) for v in frame["naive"]]})
    order = list(data["_p"])
    x = alt.X("_p:O", sort=order, title=None, axis=alt.Axis(labelAngle=0))
    tooltip = [alt.Tooltip("_p:O", title=" "), alt.Tooltip("_f:Q", title=_l("forecast", lang), format=",.1f"),
               alt.Tooltip("_lo:Q", title=_l("low", lang), format=",.1f"),
               alt.Tooltip("_hi:Q", title=_l("high", lang), format=",.1f"),
               alt.Tooltip("_a:Q", title=_l("actual", lang), format=",.0f"),
               alt.Tooltip("_nv:Q", title=_l("naive", lang), format=",.0f")]
    legend_domain = [_l("forecast", lang), _l("actual", lang), _l("naive", lang)]
    legend_scale = alt.Scale(domain=legend_domain, range=[PALETTE["bar"], "#222222", PALETTE["line"]])
    legend = alt.Legend(title=None, labelLimit=280)
    y_title = _l("wins", lang)
    bars = alt.Chart(data).transform_filter("datum._f != null").transform_calculate(
        _k=json.dumps(legend_domain[0])).mark_bar(opacity=0.75, size=34).encode(
        x=x, y=alt.Y("_f:Q", title=y_title), color=alt.Color("_k:N", scale=legend_scale, legend=legend),
        tooltip=tooltip)
    whiskers = alt.Chart(data).transform_filter("datum._lo != null").mark_rule(color="#666", strokeWidth=1.5).encode(
        x=x, y="_lo:Q", y2="_hi:Q", tooltip=tooltip)
    actual = alt.Chart(data).transform_calculate(_k=json.dumps(legend_domain[1])).mark_point(
        shape="circle", filled=True, size=80, opacity=1).encode(x=x, y="_a:Q", color=alt.Color("_k:N", scale=legend_scale, legend=legend),
                                     tooltip=tooltip)
    naive = alt.Chart(data).transform_filter("datum._nv != null").transform_calculate(
        _k=json.dumps(legend_domain[2])).mark_point(shape="diamond", size=90, filled=False, strokeWidth=2).encode(
        x=x, y="_nv:Q", color=alt.Color("_k:N", scale=legend_scale, legend=legend), tooltip=tooltip)
    missing = alt.Chart(data).transform_filter("datum._f == null").mark_text(
        fontSize=11, color="#888", dy=-10).encode(x=x, y="_a:Q", text=alt.value(_l("too_little", lang)))
    chart = alt.layer(bars, whiskers, actual, naive, missing).properties(width=520, height=260, title=title or "")
    return _finish(chart, lang)
