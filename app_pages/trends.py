"""Trends: leads, won and conversion per acquisition period; median cycle; stage entries per period."""

from __future__ import annotations

import streamlit as st

from funnel import charts
from funnel.formats import fmt_days, fmt_num, fmt_pct
from funnel.i18n import grain_word, t
from funnel.metrics import stage_entries, trends
from app_pages import _page, _store, _widgets

v = _page.page_header("page_trends")
_page.require_data(v)
lang = v.lang
grain = grain_word(v.ctx.grain, lang)

trend = _store.metric(trends)
if trend.empty:
    _widgets.info(t("trend_empty", lang))
    st.stop()

chart = charts.trend_chart(trend, lang=lang, title=t("trend_leads_title", lang, grain=grain), grain=v.ctx.grain)
_widgets.show_chart(chart, "trends", "trend")
last = trend.iloc[-1]
_widgets.caption(t("trend_caption", lang, n=fmt_num(len(trend)), grain=grain,
                   period=charts.period_label(last["period_start"], v.ctx.grain), leads=fmt_num(last.get("leads")),
                   won=fmt_num(last.get("won")), conversion=fmt_pct(last.get("conversion")),
                   cycle=fmt_days(last.get("median_cycle_days"))))
if trend["median_cycle_days"].notna().any():
    chart = _widgets.line_chart(trend, "median_cycle_days", t("trend_cycle_title", lang, grain=grain),
                                t("metric_cycle", lang), v.ctx.grain)
    _widgets.show_chart(chart, "median_cycle", "trend_cycle")

table = trend.copy()
table["period"] = [charts.period_label(p, v.ctx.grain) for p in table["period_start"]]
shown = _widgets.localized(table, {"period": "col_period", "leads": "col_leads", "won": "col_won", "lost": "col_lost",
                                   "conversion": "col_conversion", "median_cycle_days": "col_median_cycle"})
_widgets.table(shown, key="trend_table",
               column_config={t("col_conversion", lang): _widgets.pct_column(t("col_conversion", lang))})
_widgets.download_table(shown, "trends", "trend_dl")

st.subheader(t("trend_entries_title", lang, grain=grain))
entries = _store.metric(stage_entries)
if entries.empty:
    _widgets.info(t("trend_empty", lang))
else:
    names = {s.key: s.name(lang) for s in v.stages.stages}
    chart = charts.stage_entries_chart(entries, lang=lang, title=t("trend_entries_title", lang, grain=grain),
                                       grain=v.ctx.grain, stage_names=names)
    _widgets.show_chart(chart, "stage_entries", "entries")
    _widgets.caption(t("trend_entries_caption", lang, n=fmt_num(entries["entries"].sum())))
