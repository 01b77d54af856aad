"""What pages draw with: tables, charts, download buttons, escaped captions and stage / reason labels, in
the view's language."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from funnel import i18n
from funnel.formats import fmt_delta, is_undefined
from funnel.exports import to_csv_bytes, to_xlsx_bytes
from funnel.i18n import UNSPECIFIED_BUCKET, t
from app_pages._store import View, view


def stage_name(key: str | None, v: View | None = None) -> str:
    v = v or view()
    if key is None:
        return i18n.DASH
    try:
        return v.ctx.stages.get(key).name(v.lang)
    except KeyError:
        return str(key)


def download_table(df, name: str, key: str) -> None:
    """CSV (UTF-8 with BOM, formula-safe) and XLSX buttons for a table (generated when clicked).

    ``df``: the table, or a callable returning it (a list bigger than what the page draws is then only
    fetched when someone downloads it)."""
    lang = view().lang
    frame = df if callable(df) else (lambda: df)
    c1, c2, _ = st.columns([1, 1, 4])
    c1.download_button(t("download_csv", lang), data=lambda: to_csv_bytes(frame()), file_name=f"{name}.csv",
                       mime="text/csv", key=f"{key}_csv", on_click="ignore", icon=":material/download:")
    c2.download_button(t("download_xlsx", lang), data=lambda: to_xlsx_bytes(frame(), name),
                       file_name=f"{name}.xlsx", key=f"{key}_xlsx", on_click="ignore",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       icon=":material/download:")


def screen_sized(chart):
    """The chart with its height kept for the plot, the page's width filled: Streamlit's default autosize
    ("fit", padding included) squeezes axis labels, titles and legends into the chart's height, which drew
    the Pareto's bars ~100 px tall under its rotated labels and dropped 3 of 6 stage names from the
    loss-by-stage bars. "fit-x" fits only the width. Concatenated charts keep Streamlit's default."""
    import altair as alt

    if isinstance(chart, (alt.HConcatChart, alt.VConcatChart, alt.ConcatChart)):
        return chart
    return chart.properties(autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


def show_chart(chart, name: str, key: str) -> None:
    """The chart, then PNG and SVG download buttons (rendered offline with the CJK font when clicked)."""
    from funnel.charts import chart_to_png, chart_to_svg

    lang = view().lang
    st.altair_chart(screen_sized(chart), width="stretch", key=f"{key}_chart")
    c1, c2, _ = st.columns([1, 1, 4])
    c1.download_button(t("download_png", lang), data=lambda: chart_to_png(chart), file_name=f"{name}.png",
                       mime="image/png", key=f"{key}_png", on_click="ignore", icon=":material/image:")
    c2.download_button(t("download_svg", lang), data=lambda: chart_to_svg(chart), file_name=f"{name}.svg",
                       mime="image/svg+xml", key=f"{key}_svg", on_click="ignore", icon=":material/image:")


def localized(df: pd.DataFrame, columns: dict[str, str], v: View | None = None) -> pd.DataFrame:
    """Keep ``columns`` (metric column -> label key) in that order, renamed into the view's language."""
    v = v or view()
    present = [c for c in columns if c in df.columns]
    return df[present].rename(columns={c: t(columns[c], v.lang) for c in present})


PCT_FORMAT = "%.1f%%"  # one decimal on every row (Streamlit's "percent" drew 15% beside 21.43%), as the tiles


def pct_column(label: str):
    """A ratio column (0..1) shown as a percentage with one decimal; ``table`` scales it for the screen."""
    return st.column_config.NumberColumn(label, format=PCT_FORMAT)


def _percent_for_screen(df: pd.DataFrame, config: dict) -> pd.DataFrame:
    """Ratio columns configured by ``pct_column`` times 100 (the format prints, it does not scale)."""
    cols = [c for c, cfg in config.items() if c in df.columns and isinstance(cfg, dict)
            and (cfg.get("type_config") or {}).get("format") == PCT_FORMAT]
    if not cols:
        return df
    out = df.copy()
    for c in cols:
        out[c] = pd.to_numeric(out[c], errors="coerce") * 100
    return out


def date_columns(df: pd.DataFrame) -> dict:
    """Column configs for the frame's timestamp columns: a date (2024-05-01) when every value is at
    midnight (dates stored as timestamps, which drew "2024-05-01 00:00:00"), else date and minute."""
    out = {}
    for c in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[c]):
            values = df[c].dropna()
            whole = bool((values.dt.normalize() == values).all())
            out[c] = st.column_config.DatetimeColumn(format="YYYY-MM-DD" if whole else "YYYY-MM-DD HH:mm")
    return out


def table(df: pd.DataFrame, column_config: dict | None = None, key: str | None = None, height="auto") -> None:
    """A sortable table; user text shown as text (never Markdown), missing values shown as '—', whole
    numbers with thousands separators (259,411) as on the tiles."""
    config = {c: st.column_config.NumberColumn(format="localized") for c in df.columns
              if pd.api.types.is_integer_dtype(df[c])}
    config.update(date_columns(df))
    config.update(column_config or {})
    df = _percent_for_screen(df, config)
    st.dataframe(df, hide_index=True, width="stretch", column_config=config, placeholder=i18n.DASH,
                 key=key, height=height)


_MD_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:=&\"'^%")


def md_escape(text: object) -> str:
    """Text made inert for st.markdown / st.caption / st.info: every Markdown, HTML and Streamlit directive
    character (``*``, ``<``, ``:``, ``$`` ...) is backslash-escaped, so user text shows exactly as written."""
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in str(text)).replace("\n", "  \n")


def caption(text: str) -> None:
    st.caption(md_escape(text))


def info(text: str) -> None:
    st.info(md_escape(text))


def with_stage_names(df: pd.DataFrame, column: str = "stage") -> pd.DataFrame:
    """A copy with ``name``: the configured name of the stage key in ``column``, in the view's language."""
    out = df.copy()
    out["name"] = [stage_name(k) for k in out[column]]
    return out


def bar_chart(df: pd.DataFrame, category: str, value: str, title: str, category_title: str, value_title: str):
    from funnel.dashboard_charts import bar_chart as _bar

    return _bar(df, category, value, title, category_title, value_title, lang=view().lang)


def line_chart(df: pd.DataFrame, value: str, title: str, value_title: str, grain: str):
    from funnel.dashboard_charts import period_line_chart

    return period_line_chart(df, value, title, value_title, grain=grain, lang=view().lang)


def reason_labels(df: pd.DataFrame) -> pd.DataFrame:
    """Loss reasons with the 'unspecified' bucket labelled in the view's language."""
    out = df.copy()
    unspecified = t("unspecified", view().lang)
    out["reason"] = [unspecified if (r is None or (isinstance(r, float) and r != r) or str(r).strip() == ""
                                     or r == UNSPECIFIED_BUCKET) else r for r in out["reason"]]
    return out


def delta_text(pop: dict, key: str, kind: str) -> str | None:
    """One KPI's change from the previous period as a tile shows it (funnel.formats.fmt_delta)."""
    diff = pop.get("change", {}).get(key)
    if is_undefined(diff):
        return None
    return fmt_delta(diff, "pct" if kind == "ratio" else kind, view().lang)


def bilingual(text: object, lang: str) -> str:
    """'价格 / price' -> '价格' in Chinese, 'price' in English; other text unchanged."""
    value = "" if text is None else str(text)
    if " / " in value:
        zh, _, en = value.partition(" / ")
        return zh if lang == "zh" else en
    return value


def uploader_words(lang: str, mb: int, types: str) -> None:
    """Streamlit draws the file uploader's own button ("Upload") and hint ("50MB per file • CSV, ...") in
    English whatever the page language, and offers no parameter for them (streamlit#13500). This style swaps
    both texts for the catalog's, through CSS: the English text is kept in the page at size 0 (screen
    readers still read the button's aria name), the catalog's text is drawn after it."""
    button = t("upload_button", lang).replace('"', "")
    hint = t("upload_hint", lang, mb=mb, types=types).replace('"', "")
    zone = '[data-testid="stFileUploaderDropzone"]'
    st.html(f"""<style>
{zone} [data-testid="stMarkdownContainer"] p {{ font-size: 0; }}
{zone} [data-testid="stMarkdownContainer"] p::after {{ content: "{button}"; font-size: 0.875rem; }}
{zone} [data-testid="stFileUploaderDropzoneInstructions"] span {{ font-size: 0; }}
{zone} [data-testid="stFileUploaderDropzoneInstructions"] span::after {{ content: "{hint}"; font-size: 0.875rem; }}
</style>""")
