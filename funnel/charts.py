"""Altair chart builders (pure) and PNG / SVG export with a registered CJK font.

Every builder takes one of the small metric DataFrames of ``funnel.metrics`` (a handful of rows: one per
stage, reason, rep or period, never raw leads, so Altair's 5,000-row limit is never near), a language
(``"zh"`` / ``"en"``) for axis titles and an optional ``title``, and returns a configured
``alt.Chart`` / ``LayerChart`` / ``HConcatChart`` whose font family can draw Chinese. Builders never read
a database, a file or the clock. Missing values (an undefined step conversion, a stage with no completed
interval) are left out of the marks, never drawn as 0.

Export: ``chart_to_png(chart, scale=2) -> bytes`` and ``chart_to_svg(chart) -> str`` render offline with
vl-convert. Before the first render they register the directory of a CJK font with
``vl_convert.register_font_directory``; when the chart holds CJK text and no CJK font can be found they
raise ``CJKFontMissingError`` (rather than draw empty boxes). SVG leaves the font to the viewer; PNG embeds
the pixels.
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import altair as alt
import pandas as pd

from funnel import periods
from funnel.formats import fmt_pct as _pct
from funnel.i18n import LABELS, t

# CSS font family list: WenQuanYi (Debian fonts-wqy-microhei), then Noto / Source Han (fonts-noto-cjk),
# then the platform fonts a browser would have (Windows, macOS), then sans-serif.
FONT_FAMILY = ("WenQuanYi Micro Hei, Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, "
               "PingFang SC, sans-serif")

# Where fonts are searched, in order; $LEAD_FUNNEL_CJK_FONT (a file) or $LEAD_FUNNEL_CJK_FONT_DIR win.
FONT_DIRS: tuple[str, ...] = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts",
                              "/Library/Fonts", "/System/Library/Fonts", "C:/Windows/Fonts")
_CJK_FILE = re.compile(r"(wqy|wenquanyi|notosanscjk|notoserifcjk|noto.*cjk|sourcehansans|sourcehanserif|"
                       r"droidsansfallback|msyh|simhei|simsun|pingfang|hiragino)", re.IGNORECASE)
# Preferred first: a .ttf/.otf is usable by every consumer (fpdf2 included); .ttc last within a family.
_CJK_TEXT = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")

PALETTE = {"bar": "#4C78A8", "accent": "#E45756", "line": "#F58518", "muted": "#9D9D9D", "good": "#54A24B"}

class CJKFontMissingError(RuntimeError):
    """A chart with Chinese text was to be rendered but no CJK font is installed."""


def label(key: str, lang: str = "zh") -> str:
    """An axis / chart label in ``lang`` (zh or en): the ``chart.`` keys of ``funnel.i18n``."""
    return t(f"chart.{key}", lang) if f"chart.{key}" in LABELS else key


# ---------------------------------------------------------------------------------------------- helpers

def _configure(chart, lang: str):
    """Font family that can draw Chinese, readable sizes, no border around the view."""
    return (chart.configure(font=FONT_FAMILY)
            .configure_axis(labelFontSize=12, titleFontSize=12, labelFont=FONT_FAMILY, titleFont=FONT_FAMILY)
            # Vertical axis titles horizontal, above the axis: rotated Chinese reads badly.
            .configure_axisLeft(titleAngle=0, titleAlign="left", titleAnchor="end", titleX=-40, titleY=-10,
                                titleBaseline="bottom")
            .configure_axisRight(titleAngle=0, titleAlign="right", titleAnchor="end", titleX=40, titleY=-10,
                                 titleBaseline="bottom")
            .configure_title(fontSize=15, anchor="start", font=FONT_FAMILY, offset=14)
            .configure_legend(labelFont=FONT_FAMILY, titleFont=FONT_FAMILY)
            .configure_view(stroke=None))


def count_axis(**kwargs) -> alt.Axis:
    """An axis of whole things (leads, lost leads, entries, days): ticks at whole numbers, printed without
    decimals (Vega-Lite's default put ticks at 0.2 / 0.5 steps when the largest count was 1 to 3)."""
    return alt.Axis(format=",d", tickMinStep=1, **kwargs)


def _title(title: str | None, key: str, lang: str) -> str:
    return label(key, lang) if title is None else title


def _num(value) -> float | None:
    if value is None or value is pd.NA:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _stage_name_column(lang: str) -> str:
    """The column of a one-row-per-stage frame (funnel.metrics.columns.STAGE_NAMES) naming the stage in
    ``lang``: the configured name."""
    return "name_zh" if lang == "zh" else "name_en"


def _records(df: pd.DataFrame) -> pd.DataFrame:
    """A plain copy with pandas NA / NaN turned into None (JSON null), so Vega-Lite leaves them out."""
    out = df.copy()
    out = out.astype(object).where(out.notna(), None)
    return out


# --------------------------------------------------------------------------------------------- builders

def funnel_chart(stages: pd.DataFrame, lang: str = "zh", title: str | None = None):
    """Horizontal bars of leads reached per stage, in the frame's (configured) order, each labelled
    ``reached · step conversion``. Input: a ``stage_funnel`` frame (``funnel.metrics.columns.STAGE_FUNNEL``;
    the stage named by ``name_zh`` / ``name_en``)."""
    df = _records(stages)
    df["_stage"] = df[_stage_name_column(lang)].astype(str)
    reached = [_num(v) or 0 for v in df["reached"]]
    steps = [_num(v) for v in df["step_conversion"]]
    df["_reached"] = reached
    df["_step"] = pd.Series(steps, index=df.index, dtype=object)
    df["_label"] = [f"{int(r):,}" + ("" if s is None else f" · {_pct(s)}") for r, s in zip(reached, steps)]
    order = list(df["_stage"])
    tooltip = [alt.Tooltip("_stage:N", title=label("stage", lang)),
               alt.Tooltip("_reached:Q", title=label("reached", lang), format=","),
               alt.Tooltip("_step:Q", title=label("step_conversion", lang), format=".1%"),
               alt.Tooltip("dropped:Q"), alt.Tooltip("open:Q")]
    y = alt.Y("_stage:N", sort=order, title=None, axis=alt.Axis(labelLimit=200))
    x_max = max(df["_reached"]) if len(df) else 1
    base = alt.Chart(df.drop(columns=[c for c in df.columns if not c.startswith("_")
                                      and c not in ("dropped", "open")]))
    bars = base.mark_bar(color=PALETTE["bar"]).encode(
        y=y, x=alt.X("_reached:Q", title=label("reached", lang), axis=count_axis(tickCount=6),
                     scale=alt.Scale(domain=[0, (x_max or 1) * 1.3], nice=True)), tooltip=tooltip)
    text = base.mark_text(align="left", dx=4, fontSize=12).encode(y=y, x="_reached:Q", text="_label:N")
    chart = alt.layer(bars, text).properties(title=_title(title, "funnel", lang), width=460,
                                             height=max(120, 34 * len(df)))
    return _configure(chart, lang)


def time_in_stage_boxplot(times: pd.DataFrame, lang: str = "zh", title: str | None = None):
    """Boxplot per stage drawn from precomputed quartiles: a rule from min to max (whiskers), a bar from
    q1 to q3, a tick at the median; beside it the count of completed intervals and of in-progress
    (censored) ones, which are never part of the box. Input: a ``time_in_stage`` frame
    (``funnel.metrics.columns.TIME_IN_STAGE``)."""
    df = _records(times)
    df["_stage"] = df[_stage_name_column(lang)].astype(str)
    for col in ("q1", "median", "q3", "min", "max", "mean"):
        df[f"_{col}"] = [_num(v) for v in df[col]]
    df["_n"] = [int(_num(v) or 0) for v in df["n"]]
    df["_ip"] = [int(_num(v) or 0) for v in df["in_progress"]]
    df["_side"] = [t("chart.tis_side", lang, n=n, ip=ip) for n, ip in zip(df["_n"], df["_ip"])]
    order = list(df["_stage"])
    df = df[[c for c in df.columns if c.startswith("_")]]
    y = alt.Y("_stage:N", sort=order, title=None, axis=alt.Axis(labelLimit=200))
    height = max(120, 34 * len(df))
    tooltip = [alt.Tooltip("_stage:N", title=label("stage", lang))] + [
        alt.Tooltip(f"_{c}:Q", title=label(c, lang), format=".1f") for c in ("min", "q1", "median", "q3", "max")
    ] + [alt.Tooltip("_n:Q", title=label("n", lang)), alt.Tooltip("_ip:Q", title=label("in_progress", lang))]
    boxed = alt.Chart(df).transform_filter("datum._median != null")
    x_title = label("days", lang)
    whisker = boxed.mark_rule(color=PALETTE["muted"]).encode(
        y=y, x=alt.X("_min:Q", title=x_title), x2="_max:Q", tooltip=tooltip)
    box = boxed.mark_bar(size=18, color=PALETTE["bar"], opacity=0.85).encode(
        y=y, x="_q1:Q", x2="_q3:Q", tooltip=tooltip)
    median = boxed.mark_tick(color="white", thickness=3, size=18).encode(y=y, x="_median:Q", tooltip=tooltip)
    left = alt.layer(whisker, box, median).properties(width=380, height=height)
    side = alt.Chart(df).mark_text(align="left", fontSize=12, color="#555").encode(
        y=alt.Y("_stage:N", sort=order, title=None, axis=None), text="_side:N",
        x=alt.value(0)).properties(width=130, height=height)
    chart = alt.hconcat(left, side, spacing=6).resolve_scale(y="shared").properties(
        title=_title(title, "time_in_stage", lang))
    return _configure(chart, lang)


def cycle_histogram(dist: pd.DataFrame, lang: str = "zh", title: str | None = None,
                    median: float | None = None):
    """Histogram of cycle days of won leads. Input: cycle_distribution rows (``bin_start``, ``bin_end``,
    ``count``). With ``median`` a dashed rule marks it."""
    df = _records(dist)[["bin_start", "bin_end", "count"]]
    bars = alt.Chart(df).mark_bar(color=PALETTE["bar"], binSpacing=1).encode(
        x=alt.X("bin_start:Q", title=label("cycle_days", lang), bin="binned", axis=count_axis()),
        x2="bin_end:Q", y=alt.Y("count:Q", title=label("leads", lang), axis=count_axis()),
        tooltip=[alt.Tooltip("bin_start:Q", title="≥"), alt.Tooltip("bin_end:Q", title="<"),
                 alt.Tooltip("count:Q", title=label("leads", lang))])
    layers = [bars]
    m = _num(median)
    if m is not None:
        md = pd.DataFrame({"m": [m], "t": [f"{label('median', lang)} {m:.0f}"]})
        layers.append(alt.Chart(md).mark_rule(color=PALETTE["accent"], strokeDash=[4, 3]).encode(x="m:Q"))
        layers.append(alt.Chart(md).mark_text(align="left", dx=4, color=PALETTE["accent"], baseline="bottom")
                      .encode(x="m:Q", y=alt.value(-2), text="t:N"))
    chart = alt.layer(*layers).properties(title=_title(title, "cycle", lang), width=460, height=220)
    return _configure(chart, lang)


def pareto_chart(reasons: pd.DataFrame, lang: str = "zh", title: str | None = None, top: int = 12):
    """Bars of lost leads per reason (count, descending as given), the cumulative share as a line on a
    second axis (0–100%), and a guide rule at 80%. Input: a ``loss_reasons`` / ``loss_categories`` frame
    (``funnel.metrics.columns.PARETO``); only the first ``top`` reasons are drawn."""
    df = _records(reasons).head(top)
    df = pd.DataFrame({"_reason": df["reason"].astype(str), "_count": [_num(v) or 0 for v in df["count"]],
                       "_share": [_num(v) for v in df["share"]],
                       "_cum": [_num(v) for v in df["cumulative_share"]]})
    order = list(df["_reason"])
    x = alt.X("_reason:N", sort=order, title=None, axis=alt.Axis(labelAngle=-30, labelLimit=140))
    tooltip = [alt.Tooltip("_reason:N", title=label("reason", lang)),
               alt.Tooltip("_count:Q", title=label("count", lang)),
               alt.Tooltip("_share:Q", format=".1%"),
               alt.Tooltip("_cum:Q", title=label("cumulative_share", lang), format=".1%")]
    bars = alt.Chart(df).mark_bar(color=PALETTE["bar"]).encode(
        x=x, y=alt.Y("_count:Q", title=label("count", lang), axis=count_axis()), tooltip=tooltip)
    share_scale = alt.Scale(domain=[0, 1])
    line = alt.Chart(df).mark_line(color=PALETTE["line"], point=alt.OverlayMarkDef(color=PALETTE["line"])).encode(
        x=x, y=alt.Y("_cum:Q", title=label("cumulative_share", lang), scale=share_scale,
                     axis=alt.Axis(format="%", orient="right")), tooltip=tooltip)
    # The guide has its own (independent) scale with the same 0..1 domain and range as the line's, so it
    # sits at 80% of the right axis; axis=None keeps a third axis from appearing.
    guide = alt.Chart(pd.DataFrame({"g": [0.8]})).mark_rule(color=PALETTE["accent"], strokeDash=[4, 3]).encode(
        y=alt.Y("g:Q", scale=share_scale, axis=None))
    chart = alt.layer(bars, line, guide).resolve_scale(y="independent").properties(
        title=_title(title, "pareto", lang), width=460, height=240)
    return _configure(chart, lang)


def leaderboard_ci_chart(board: pd.DataFrame, lang: str = "zh", title: str | None = None,
                         team_rate: float | None = None, top: int = 15, name_label: str | None = None,
                         by: str = "rep"):
    """Conversion per value of the dimension ``by`` (rep, manager, team, source) as a point with its 95%
    Wilson interval as an error bar, in the frame's order (sorted by the interval's lower bound). Input:
    a ``leaderboard(by=by)`` frame (``funnel.metrics.columns.leaderboard_columns(by)``). ``team_rate``
    draws a dashed reference rule."""
    src = _records(board).head(top)
    df = pd.DataFrame({"_name": ["—" if v is None else str(v) for v in src[by]], "_conv": [_num(v) for v in src["conversion"]],
                       "_low": [_num(v) for v in src["conversion_ci_low"]],
                       "_high": [_num(v) for v in src["conversion_ci_high"]],
                       "_leads": [int(_num(v) or 0) for v in src["leads"]],
                       "_won": [int(_num(v) or 0) for v in src["won"]]})
    df["_label"] = [f"{w}/{n}" for w, n in zip(df["_won"], df["_leads"])]
    order = list(df["_name"])
    who = name_label or label("rep", lang)
    y = alt.Y("_name:N", sort=order, title=None, axis=alt.Axis(labelLimit=160))
    tooltip = [alt.Tooltip("_name:N", title=who), alt.Tooltip("_leads:Q", title=label("leads", lang)),
               alt.Tooltip("_won:Q", title=label("won", lang)),
               alt.Tooltip("_conv:Q", title=label("conversion", lang), format=".1%"),
               alt.Tooltip("_low:Q", title="CI low", format=".1%"), alt.Tooltip("_high:Q", title="CI high", format=".1%")]
    xs = alt.Scale(domain=[0, 1])
    err = alt.Chart(df).transform_filter("datum._low != null").mark_rule(color=PALETTE["muted"], strokeWidth=2).encode(
        y=y, x=alt.X("_low:Q", title=f"{label('conversion', lang)} · {label('ci', lang)}", scale=xs,
                     axis=alt.Axis(format="%")), x2="_high:Q", tooltip=tooltip)
    pts = alt.Chart(df).transform_filter("datum._conv != null").mark_point(
        filled=True, size=70, color=PALETTE["bar"]).encode(y=y, x=alt.X("_conv:Q", scale=xs), tooltip=tooltip)
    txt = alt.Chart(df).mark_text(align="left", dx=6, fontSize=11, color="#555").encode(
        y=y, x=alt.value(0), text="_label:N")
    layers = [err, pts]
    rate = _num(team_rate)
    if rate is not None:
        layers.append(alt.Chart(pd.DataFrame({"r": [rate]})).mark_rule(color=PALETTE["accent"], strokeDash=[4, 3])
                      .encode(x=alt.X("r:Q", scale=xs)))
    main = alt.layer(*layers).properties(width=380, height=max(100, 26 * len(df)))
    side = txt.properties(width=50, height=max(100, 26 * len(df)))
    side = side.encode(y=alt.Y("_name:N", sort=order, title=None, axis=None))
    chart = alt.hconcat(main, side, spacing=4).resolve_scale(y="shared").properties(
        title=_title(title, "leaderboard", lang))
    return _configure(chart, lang)


def period_label(value, grain: str = "month") -> str:
    """A period start as people write it: 2024-03 (month), 2024-Q1 (quarter), 2024-W10 (ISO week)."""
    return periods.period_label(pd.Timestamp(value).date(), grain)


def trend_chart(trend: pd.DataFrame, lang: str = "zh", title: str | None = None, grain: str = "month"):
    """Leads acquired per period (bars) and conversion (line, right axis, 0–100%), periods in time order.
    Input: a ``trends`` frame (``funnel.metrics.columns.TRENDS``)."""
    src = _records(trend).sort_values("period_start") if len(trend) else _records(trend)
    df = pd.DataFrame({"_period": [period_label(v, grain) for v in src["period_start"]],
                       "_leads": [_num(v) or 0 for v in src["leads"]],
                       "_won": [_num(v) or 0 for v in src["won"]],
                       "_conv": [_num(v) for v in src["conversion"]],
                       "_cycle": [_num(v) for v in src["median_cycle_days"]]})
    order = list(df["_period"])
    x = alt.X("_period:O", sort=order, title=None, axis=alt.Axis(labelAngle=0 if len(df) <= 8 else -45))
    tooltip = [alt.Tooltip("_period:O", title=label("period", lang)),
               alt.Tooltip("_leads:Q", title=label("leads", lang)), alt.Tooltip("_won:Q", title=label("won", lang)),
               alt.Tooltip("_conv:Q", title=label("conversion", lang), format=".1%"),
               alt.Tooltip("_cycle:Q", title=label("median_cycle_days", lang), format=".0f")]
    bars = alt.Chart(df).mark_bar(color=PALETTE["bar"], opacity=0.8).encode(
        x=x, y=alt.Y("_leads:Q", title=label("leads", lang), axis=count_axis()), tooltip=tooltip)
    line = alt.Chart(df).transform_filter("datum._conv != null").mark_line(color=PALETTE["line"], point=True).encode(
        x=x, y=alt.Y("_conv:Q", title=label("conversion", lang), axis=alt.Axis(format="%", orient="right")),
        tooltip=tooltip)
    chart = alt.layer(bars, line).resolve_scale(y="independent").properties(
        title=_title(title, "trend", lang), width=460, height=220)
    return _configure(chart, lang)


def stage_entries_chart(entries: pd.DataFrame, lang: str = "zh", title: str | None = None,
                        stage_names: Mapping[str, str] | None = None, grain: str = "month"):
    """Stage entries dated in each period, one line per stage, legend in configured order (``stage_names``
    key -> display name, in order; else the keys, in the order stages first appear). Input: a
    ``stage_entries`` frame (``funnel.metrics.columns.STAGE_ENTRIES``)."""
    df = _records(entries)
    if len(df):
        df = df.sort_values("period_start", kind="stable")
    if stage_names:
        names = df["stage"].map(lambda k: stage_names.get(k, k)).astype(str)
    else:
        names = df["stage"].astype(str)
    present = set(names)
    order = [o for o in (list(stage_names.values()) if stage_names else list(dict.fromkeys(names))) if o in present]
    out = pd.DataFrame({"_period": [period_label(v, grain) for v in df["period_start"]],
                        "_stage": names.values, "_entries": [_num(v) or 0 for v in df["entries"]]})
    periods = list(dict.fromkeys(out["_period"]))
    chart = alt.Chart(out).mark_line(point=True).encode(
        x=alt.X("_period:O", sort=periods, title=None, axis=alt.Axis(labelAngle=0 if len(periods) <= 8 else -45)),
        y=alt.Y("_entries:Q", title=label("entries", lang), axis=count_axis()),
        color=alt.Color("_stage:N", sort=order, title=label("stage", lang),
                        scale=alt.Scale(domain=order, scheme="tableau10")),
        tooltip=[alt.Tooltip("_period:O", title=label("period", lang)),
                 alt.Tooltip("_stage:N", title=label("stage", lang)),
                 alt.Tooltip("_entries:Q", title=label("entries", lang))],
    ).properties(title=_title(title, "stage_entries", lang), width=460, height=220)
    return _configure(chart, lang)


# ----------------------------------------------------------------------------------------------- export

_font_lock = threading.Lock()
_registered: list[str] = []


def find_cjk_fonts(dirs: Sequence[str] = FONT_DIRS) -> list[Path]:
    """Installed CJK font files (WenQuanYi, Noto CJK, Source Han, Windows / macOS Chinese fonts), .ttf/.otf
    before .ttc. ``$LEAD_FUNNEL_CJK_FONT`` (a file) and ``$LEAD_FUNNEL_CJK_FONT_DIR`` come first."""
    found: list[Path] = []
    env_file = os.environ.get("LEAD_FUNNEL_CJK_FONT")
    if env_file and Path(env_file).is_file():
        found.append(Path(env_file))
    search = list(dirs)
    env_dir = os.environ.get("LEAD_FUNNEL_CJK_FONT_DIR")
    if env_dir:
        search.insert(0, env_dir)
    for d in search:
        root = Path(os.path.expanduser(d))
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.suffix.lower() in (".ttf", ".otf", ".ttc", ".otc") and _CJK_FILE.search(path.name):
                found.append(path)
    # wqy first (the family named first in FONT_DIRS), single-font files before collections.
    found = list(dict.fromkeys(found))
    return sorted(found, key=lambda p: (0 if p == (Path(env_file) if env_file else None) else 1,
                                        0 if "wqy" in p.name.lower() else 1,
                                        1 if p.suffix.lower() in (".ttc", ".otc") else 0))


def _missing_message() -> str:
    return ("No Chinese (CJK) font found, so Chinese text would render as empty boxes. Install one, e.g. "
            "`apt-get install fonts-wqy-microhei` or `fonts-noto-cjk`, or set LEAD_FUNNEL_CJK_FONT_DIR to a "
            f"folder holding a CJK .ttf/.otf/.ttc. Searched: {', '.join(FONT_DIRS)}.")


def ensure_cjk_font(required: bool = True) -> Path | None:
    """Register the directory of the first CJK font found with vl-convert (once per process) and return
    the font file. Raises CJKFontMissingError when none is found and ``required``."""
    import vl_convert as vlc

    with _font_lock:
        fonts = find_cjk_fonts()
        if not fonts:
            if required:
                raise CJKFontMissingError(_missing_message())
            return None
        directory = str(fonts[0].parent)
        if directory not in _registered:
            vlc.register_font_directory(directory)
            _registered.append(directory)
        return fonts[0]


def _spec(chart) -> dict:
    return chart.to_dict() if hasattr(chart, "to_dict") else dict(chart)


def _needs_cjk(spec: dict) -> bool:
    return bool(_CJK_TEXT.search(json.dumps(spec, ensure_ascii=False, default=str)))


def chart_to_png(chart, scale: float = 2) -> bytes:
    """The chart as PNG bytes (offline, vl-convert), CJK font registered; raises CJKFontMissingError when
    the chart holds Chinese text and no CJK font is installed."""
    import vl_convert as vlc

    spec = _spec(chart)
    ensure_cjk_font(required=_needs_cjk(spec))
    return vlc.vegalite_to_png(spec, scale=scale)


def chart_to_svg(chart) -> str:
    """The chart as an SVG string (text as <text> elements: the viewer's fonts draw it)."""
    import vl_convert as vlc

    spec = _spec(chart)
    ensure_cjk_font(required=_needs_cjk(spec))
    return vlc.vegalite_to_svg(spec)
