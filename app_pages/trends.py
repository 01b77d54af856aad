"""Trends: leads, won and conversion per acquisition period; median cycle; stage entries per period."""

from __future__ import annotations

import streamlit as st

from funnel import charts
from funnel.formats import fmt_days, fmt_num, fmt_pct
from funnel.i18n import grain_word, t
from funnel.metrics import stage_entries, trends
from app_pages import _common as common

v = common.page_header("page_trends")
common.require_data(v)
lang = v.lang
grain = grain_word(v.ctx.grain, lang)

trend = common.metric(trends)
if trend.empty:
    common.info(t("trend_empty", lang))
    st.stop()

chart = charts.trend_chart(trend, lang=lang, title=t("trend_leads_title", lang, grain=grain), grain=v.ctx.grain)
common.show_chart(chart, "trends", "trend")
last = trend.iloc[-1]
common.caption(t("trend_caption", lang, n=fmt_num(len(trend)), grain=grain,
                 period=charts.period_label(last["period_start"], v.ctx.grain), leads=fmt_num(last.get("leads")),
                 won=fmt_num(last.get("won")), conversion=fmt_pct(last.get("conversion")),
                 cycle=fmt_days(last.get("median_cycle_days"))))
if trend["median_cycle_days"].notna().any():
    chart = common.line_chart(trend, "median_cycle_days", t("trend_cycle_title", lang, grain=grain),
                              t("metric_cycle", lang), v.ctx.grain)
    common.show_chart(chart, "median_cycle", "trend_cycle")

table = trend.copy()
table["period"] = [charts.period_label(p, v.ctx.grain) for p in table["period_start"]]
shown = common.localized(table, {"period": "col_period", "leads": "col_leads", "won": "col_won", "lost": "col_lost",
                                 "conversion": "col_conversion", "median_cycle_days": "col_median_cycle"})
common.table(shown, key="trend_table", column_config={t("col_conversion", lang): common.pct_column(t("col_conversion", lang))})
common.download_table(shown, "trends", "trend_dl")

st.subheader(t("trend_entries_title", lang, grain=grain))
entries = common.metric(stage_entries)
if entries.empty:
    common.info(t("trend_empty", lang))
else:
    names = {s.key: s.name(lang) for s in v.stages.stages}
    chart = charts.stage_entries_chart(entries, lang=lang, title=t("trend_entries_title", lang, grain=grain),
                                       grain=v.ctx.grain, stage_names=names)
    common.show_chart(chart, "stage_entries", "entries")
    common.caption(t("trend_entries_caption", lang, n=fmt_num(entries["entries"].sum())))
