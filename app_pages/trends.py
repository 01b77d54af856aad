"""Trends: leads, won and conversion per acquisition period; median cycle; stage entries per period."""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

from funnel import charts
from funnel.formats import fmt_days, fmt_num, fmt_pct, is_undefined
from funnel.i18n import DASH, grain_word, t
from funnel.metrics import cohort_age, stage_entries, trends
from funnel.periods import period_containing
from funnel.review_text import young_sentence
from app_pages import _page, _store, _widgets

v = _page.page_header("page_trends")
_page.require_data(v)
lang = v.lang
grain = grain_word(v.ctx.grain, lang)
grain = grain if lang == "zh" else grain.lower()  # mid-sentence: "Leads and conversion per month", as on the Overview

trend = _store.metric(trends)
if trend.empty:
    _widgets.info(t("trend_empty", lang))
    st.stop()

chart = charts.trend_chart(trend, lang=lang, title=t("trend_leads_title", lang, grain=grain), grain=v.ctx.grain)
_widgets.show_chart(chart, "trends", "trend")
last = trend.iloc[-1]
last_label = charts.period_label(last["period_start"], v.ctx.grain)
cycle = last.get("median_cycle_days")
_widgets.caption(t("trend_caption", lang, n=fmt_num(len(trend)), grain=grain, period=last_label,
                   leads=fmt_num(last.get("leads")), won=fmt_num(last.get("won")),
                   conversion=fmt_pct(last.get("conversion")),
                   cycle=DASH if is_undefined(cycle) else f"{fmt_days(cycle)} {t('days_unit', lang)}"))


def latest_period_age() -> dict:
    """``cohort_age`` of the latest period on the chart (within the sidebar's date range): the same test
    of "still young" as the Overview tiles and the Review, so Trends does not judge a young period."""
    period = period_containing(pd.Timestamp(last["period_start"]).date(), v.ctx.grain)
    flt = v.ctx.filter
    first = max(period.start, flt.date_from) if flt.date_from else period.start
    end = min(period.end, flt.date_to) if flt.date_to else period.end
    return _store.metric(cohort_age, ctx=dataclasses.replace(
        v.ctx, filter=dataclasses.replace(flt, date_from=first, date_to=end)))


young = young_sentence({**latest_period_age(), "period": last_label}, lang)
if young:
    st.warning(_widgets.md_escape(young))
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
