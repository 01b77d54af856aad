"""Overview: KPI tiles with period-over-period deltas, the funnel, drop-off / open per stage, bottleneck."""

from __future__ import annotations

import streamlit as st

from funnel import charts
from funnel.i18n import fmt_days, fmt_num, fmt_pct, grain_word, t
from app_pages import _common as common

v = common.page_header("page_overview")
common.require_data(v)
lang = v.lang

summary = common.metric("cohort_summary")
undated = int(summary.get("undated") or 0)
if not summary.get("leads"):
    common.info(t("empty_cohort", lang))
    if undated:
        common.caption(t("undated_note", lang, n=fmt_num(undated)))
    st.stop()

# --- KPI tiles ------------------------------------------------------------------------------------------
cycle = common.metric("cycle_summary")
pop = common.overview_period_over_period()
tiles = (
    ("kpi_leads", summary.get("leads"), fmt_num, "leads", "count"),
    ("kpi_won", summary.get("won"), fmt_num, "won", "count"),
    ("kpi_conversion", summary.get("overall_conversion"), fmt_pct, "overall_conversion", "ratio"),
    ("kpi_win_rate", summary.get("win_rate"), fmt_pct, "win_rate", "ratio"),
    ("kpi_cycle", cycle.get("median"), lambda x: f"{fmt_days(x)} {'天' if lang == 'zh' else 'd'}"
     if x is not None else fmt_days(x), "median_cycle_days", "days"),
)
columns = st.columns(len(tiles))
for column, (label_key, value, fmt, delta_key, kind) in zip(columns, tiles):
    delta = common.delta_text(pop, delta_key, kind) if pop else None
    column.metric(t(label_key, lang), fmt(value), delta=delta, border=True,
                  delta_color="inverse" if kind == "days" else "normal")
if pop:
    ranged = v.ctx.filter.date_from is not None and v.ctx.filter.date_to is not None
    common.caption(t("kpi_period_range" if ranged else "kpi_period", lang, period=pop["current"]["period"],
                     previous=pop["previous"]["period"]))

# --- funnel ---------------------------------------------------------------------------------------------
funnel = common.metric("stage_funnel")
named = common.with_stage_names(funnel)
# A taller chart than the builder's default, so every stage name on the axis has room (none is dropped).
chart = charts.funnel_chart(named, lang=lang, title=t("funnel_title", lang)).properties(height=44 * len(named))
common.show_chart(chart, "funnel", "funnel")
won_stage = v.stages.won_stage
closed = int(summary.get("won") or 0) + int(summary.get("lost") or 0)
common.caption(t("funnel_caption", lang, leads=fmt_num(summary.get("leads")), won=fmt_num(summary.get("won")),
                 won_stage=won_stage.name(lang), conversion=fmt_pct(summary.get("overall_conversion")),
                 win_rate=fmt_pct(summary.get("win_rate")), closed=fmt_num(closed)))
for _, row in named.iterrows():
    if int(row.get("reached") or 0) == 0:
        common.caption(t("no_stage_reached", lang, stage=row["name"]))
        break

# --- bottleneck -----------------------------------------------------------------------------------------
bottleneck = common.metric("bottleneck")
sentence = bottleneck.get(f"sentence_{lang}") if bottleneck else None
common.info(sentence or t("bottleneck_none", lang))

# --- drop-off and open per stage ------------------------------------------------------------------------
st.subheader(t("stage_table_title", lang))
shown = common.localized(named, {"name": "col_stage", "reached": "col_reached",
                                 "step_conversion": "col_step_conversion", "dropped": "col_dropped",
                                 "open": "col_open", "in_progress": "col_in_progress"})
common.table(shown, column_config={t("col_step_conversion", lang): common.pct_column(t("col_step_conversion", lang))})
common.caption(t("stage_table_caption", lang))
common.download_table(shown, "stages", "stages")

if undated:
    common.info(t("undated_note", lang, n=fmt_num(undated)))
