"""Presentation mode: the monthly report one section per screen, large type, only prev / next buttons.

For screensharing in the monthly review. It shows the same ``ReportData`` as the HTML / XLSX / PDF report
(``funnel.report.build_report``) for the sidebar's view: its filter (source, rep, manager, team), as-of
date, stalled threshold and language. The period is the last whole period of the view's grain (one that
has ended by the as-of date) holding or before the end of the view's date range (``review_period``);
``?period=2024-03`` in the link picks another. Charts are the
report's PNG renders (white cards, legible in light and dark themes); all user text is escaped.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from funnel.report import build_report
from funnel.report.labels import L
from funnel.report.model import ReportData, fmt_delta, fmt_value
from funnel.periods import parse_period, review_period
from app_pages import _page, _store, _widgets

SLIDE_KEY = "_presentation_slide"
TABLE_ROWS = 10  # rows of a table on one screen (the files hold all of them)

CSS = """
<style>
.st-key-lf_slide h1 { font-size: 2.6rem !important; line-height: 1.25; }
.st-key-lf_slide h2 { font-size: 2.2rem !important; }
.st-key-lf_slide p, .st-key-lf_slide li { font-size: 1.45rem !important; line-height: 1.6; }
.st-key-lf_slide [data-testid="stMetricValue"], .st-key-lf_slide [data-testid="stMetricValue"] * {
    font-size: 2.8rem !important; line-height: 1.2; font-weight: 600; }
.st-key-lf_slide [data-testid="stMetricLabel"] p { font-size: 1.15rem !important; }
.st-key-lf_slide [data-testid="stMetricDelta"], .st-key-lf_slide [data-testid="stMetricDelta"] * {
    font-size: 1.05rem !important; }
.st-key-lf_slide [data-testid="stImage"] img { border-radius: 6px; }
</style>
"""


def _period_for(v) -> str:
    """?period=... when given and valid, else the view's grain period holding its date_to (or as-of)."""
    raw = st.query_params.get("period")
    if raw:
        try:
            return parse_period(raw).label
        except ValueError:
            _widgets.info(f"period={_widgets.md_escape(raw)} ✗")
    return review_period(v.ctx.as_of, v.ctx.grain, v.ctx.filter.date_to).label


@st.cache_resource(show_spinner=False, max_entries=8)
def _report(db_key: str, version: str, ctx_key: str, period: str, lang: str, _ctx) -> ReportData:
    report = build_report(_store.store().cursor(), _ctx, period=period, lang=lang, list_limit=TABLE_ROWS)
    # Charts render to PNG when their slide is first shown (ChartItem.png() keeps the result in this
    # cached report), not all at once here: the title slide, where every visit starts, needs none.
    for section in report.sections:
        for table in section.tables:  # the slides show TABLE_ROWS rows and the count; keep nothing more
            table.cut_for_screen(TABLE_ROWS)
    return report


def report_for_view(v, period: str | None = None) -> ReportData:
    """The report of the view (cached by data version + context + period + language); for download buttons."""
    period = period or _period_for(v)
    return _report(_store.db_key(), v.version, repr(v.ctx), period, v.lang, v.ctx)


def _text(text: str, muted: bool = False) -> None:
    """User-bearing text, escaped (md_escape makes every Markdown / HTML character literal)."""
    st.markdown(f":gray[{_widgets.md_escape(text)}]" if muted else _widgets.md_escape(text))


def _slide_title(report: ReportData) -> None:
    st.markdown(f"# {_widgets.md_escape(report.title)}")
    st.markdown(f"## {_widgets.md_escape(report.subtitle)}")
    for m in report.meta:
        _text(m, muted=True)
    if report.young:  # the young-cohort sentence of section 1, on the slide every visit starts with
        st.warning(_widgets.md_escape(report.section("headline").paragraphs[0]))


def _slide(report: ReportData, index: int) -> None:
    lang = report.lang
    section = report.sections[index]
    st.markdown(f"## {section.number}. {_widgets.md_escape(section.title)}")
    if section.kpis:
        per_row = 4
        for start in range(0, len(section.kpis), per_row):
            cols = st.columns(per_row)
            for col, k in zip(cols, section.kpis[start:start + per_row]):
                kind = "int" if k.kind == "amount" else k.kind
                delta = fmt_delta(k, lang) if k.compare and k.delta is not None else None
                col.metric(k.label, fmt_value(k.value, kind, lang), delta=delta, border=True,
                           delta_color="inverse" if k.kind == "days" else "normal",
                           help=(f"{L('previous', lang)}: {fmt_value(k.previous, kind, lang)}" if k.compare else None))
    for para in section.paragraphs:
        _text(para)
    for i, a in enumerate(section.actions, 1):
        st.markdown(f"{i}\\. {_widgets.md_escape(a.text)}")
        _text(f"{L('fig_ref', lang)}:{a.basis}", muted=True)
    if section.charts:
        cols = st.columns(min(2, len(section.charts)))
        for col, chart in zip(cols * 2, section.charts):
            col.image(chart.png(), width="stretch")
    for table in section.tables[:2]:
        st.markdown(f"**{_widgets.md_escape(table.title)}**")
        frame = pd.DataFrame([{c.header: fmt_value(r.get(c.key), c.kind, lang) for c in table.columns}
                              for r in table.all_rows[:TABLE_ROWS]], columns=[c.header for c in table.columns])
        st.dataframe(frame, hide_index=True, width="stretch")
        if table.row_count > TABLE_ROWS:
            _text(L("list_cut", lang, shown=TABLE_ROWS, total=table.row_count), muted=True)


def main() -> None:
    v = _store.view()
    _page.require_data(v)
    st.markdown(CSS, unsafe_allow_html=True)  # static CSS only, no user value
    report = report_for_view(v)
    slides = len(report.sections) + 1  # the title slide, then one per section
    index = min(max(int(st.session_state.get(SLIDE_KEY, 0)), 0), slides - 1)

    nav = st.columns([1, 6, 1])
    if nav[0].button("◀", key="lf_prev", disabled=index == 0, width="stretch",
                     help=L("previous", v.lang)):
        index -= 1
    if nav[2].button("▶", key="lf_next", disabled=index == slides - 1, width="stretch"):
        index += 1
    st.session_state[SLIDE_KEY] = index
    nav[1].progress((index + 1) / slides, text=f"{index + 1} / {slides}")

    with st.container(key="lf_slide"):
        if index == 0:
            _slide_title(report)
        else:
            _slide(report, index - 1)


main()
