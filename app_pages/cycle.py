"""Cycle time: boxplot of completed time per stage (from quartiles) with in-progress counts; cycle histogram."""

from __future__ import annotations

import streamlit as st

from funnel import charts
from funnel.formats import fmt_days, fmt_num
from funnel.i18n import t
from funnel.metrics import cohort_summary, cycle_distribution, cycle_summary, time_in_stage
from app_pages import _page, _store, _widgets

v = _page.page_header("page_cycle")
_page.require_data(v)
lang = v.lang

summary = _store.metric(cohort_summary)
if not summary.get("leads"):
    _widgets.info(t("empty_cohort", lang))
    st.stop()

# --- time in stage --------------------------------------------------------------------------------------
times = _widgets.with_stage_names(_store.metric(time_in_stage))
completed = times[times["n"].fillna(0) > 0]
if completed.empty:
    _widgets.info(t("tis_empty", lang))
else:
    chart = charts.time_in_stage_boxplot(times, lang=lang, title=t("tis_title", lang))
    _widgets.show_chart(chart, "time_in_stage", "tis")
    details = ("；" if lang == "zh" else "; ").join(
        t("tis_stage_detail", lang, stage=row["name"], median=fmt_days(row.get("median")), n=fmt_num(row.get("n")),
          in_progress=fmt_num(row.get("in_progress")))
        for _, row in times.iterrows() if (row.get("n") or 0) > 0)
    _widgets.caption(t("tis_caption", lang, details=details))
times = times.round({"q1": 1, "median": 1, "q3": 1, "mean": 1})
shown = _widgets.localized(times, {"name": "col_stage", "n": "col_n", "q1": "col_q1", "median": "col_median",
                                   "q3": "col_q3", "mean": "col_mean", "in_progress": "col_in_progress"})
_widgets.table(shown, key="tis_table")
_widgets.download_table(shown, "time_in_stage", "tis_dl")

# --- cycle ------------------------------------------------------------------------------------------------
st.subheader(t("cycle_title", lang))
cycle = _store.metric(cycle_summary)
if not cycle.get("n"):
    _widgets.info(t("cycle_empty", lang))
else:
    dist = _store.metric(cycle_distribution)
    chart = charts.cycle_histogram(dist, lang=lang, title=t("cycle_title", lang))
    _widgets.show_chart(chart, "cycle_distribution", "cycle")
    _widgets.caption(t("cycle_caption", lang, n=fmt_num(cycle.get("n")), median=fmt_days(cycle.get("median")),
                       q1=fmt_days(cycle.get("q1")), q3=fmt_days(cycle.get("q3")), mean=fmt_days(cycle.get("mean"))))
    if cycle.get("n_reported"):
        _widgets.caption(t("cycle_reported_note", lang, n=fmt_num(cycle.get("n_reported"))))
