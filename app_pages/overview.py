"""Overview: KPI tiles with period-over-period deltas, the funnel, drop-off / open per stage, bottleneck."""

from __future__ import annotations

import streamlit as st

from funnel import charts
from funnel.formats import fmt_days, fmt_num, fmt_pct
from funnel.i18n import grain_word, t
from funnel.metrics import bottleneck, cohort_summary, stage_funnel
from app_pages import _page, _store, _widgets
from app_pages._report_download import report_downloads

v = _page.page_header("page_overview")
_page.require_data(v)
lang = v.lang

summary = _store.metric(cohort_summary)  # the filter's whole range: the funnel and the stage table
undated = int(summary.get("undated") or 0)
if not summary.get("leads"):
    _widgets.info(t("empty_cohort", lang))
    if undated:
        _widgets.caption(t("undated_note", lang, n=fmt_num(undated)))
    st.stop()

# --- KPI tiles ------------------------------------------------------------------------------------------
# The tiles show one window and their arrows compare that same window with the one just before it
# (docs/metrics.md, "Overview tiles"): the sidebar's date range, else the last whole period.
cmp = _page.overview_comparison()
cur = (cmp or {}).get("current") or {}
maturity = (cmp or {}).get("maturity") or {}
young = bool(maturity.get("young"))
tiles = (
    ("kpi_leads", "leads", fmt_num, "count"),
    ("kpi_won", "won", fmt_num, "count"),
    ("kpi_conversion", "overall_conversion", fmt_pct, "ratio"),
    ("kpi_win_rate", "win_rate", fmt_pct, "ratio"),
    ("kpi_cycle", "median_cycle_days", lambda x: f"{fmt_days(x)} {t('days_unit', lang)}"
     if x is not None else fmt_days(x), "days"),
)
columns = st.columns(len(tiles))
for column, (label_key, key, fmt, kind) in zip(columns, tiles):
    # no arrow against a window the data does not cover; for a young cohort only the lead count compares
    show = bool(cmp and cmp.get("comparable")) and (key == "leads" or not young)
    delta = _widgets.delta_text(cmp, key, kind) if show else None
    # an undefined figure ("—") says why on hover: nothing in the window is closed (win rate) or won (cycle)
    why = t(f"{label_key}_none", lang) if cur.get(key) is None and key in ("win_rate", "median_cycle_days") else None
    column.metric(t(label_key, lang), fmt(cur.get(key)), delta=delta, border=True, help=why,
                  delta_color="inverse" if kind == "days" else "normal")
if cmp:
    previous = cmp["previous"]["period"]
    if cmp["kind"] == "period":
        grain = grain_word(v.ctx.grain, lang)
        _widgets.caption(t("kpi_window_period", lang, period=cmp["current"]["period"], previous=previous,
                           as_of=v.ctx.as_of.isoformat(), grain=grain if lang == "zh" else grain.lower()))
    else:
        _widgets.caption(t("kpi_window_range", lang, period=cmp["current"]["period"], previous=previous))
    if not cmp.get("comparable"):
        _widgets.info(t("kpi_prev_none" if cmp.get("coverage") == "none" else "kpi_prev_partial", lang,
                        previous=previous, start=cmp.get("data_start") or "—"))
    if young:
        st.warning(_widgets.md_escape(t("kpi_young", lang, as_of=v.ctx.as_of.isoformat(),
                                        age=fmt_days(maturity.get("median_age_days")),
                                        cycle=fmt_days(maturity.get("median_cycle_days")))))

# --- funnel ---------------------------------------------------------------------------------------------
funnel = _store.metric(stage_funnel)
named = _widgets.with_stage_names(funnel)
# A taller chart than the builder's default, so every stage name on the axis has room (none is dropped).
chart = charts.funnel_chart(funnel, lang=lang, title=t("funnel_title", lang)).properties(height=44 * len(funnel))
_widgets.show_chart(chart, "funnel", "funnel")
won_stage = v.stages.won_stage
closed = int(summary.get("won") or 0) + int(summary.get("lost") or 0)
_widgets.caption(t("funnel_caption", lang, leads=fmt_num(summary.get("leads")), won=fmt_num(summary.get("won")),
                   won_stage=won_stage.name(lang), conversion=fmt_pct(summary.get("overall_conversion")),
                   win_rate=fmt_pct(summary.get("win_rate")), closed=fmt_num(closed)))
for _, row in named.iterrows():
    if int(row.get("reached") or 0) == 0:
        _widgets.caption(t("no_stage_reached", lang, stage=row["name"]))
        break

# --- bottleneck -----------------------------------------------------------------------------------------
named_bottleneck = _store.metric(bottleneck)
sentence = named_bottleneck.get(f"sentence_{lang}") if named_bottleneck else None
_widgets.info(sentence or t("bottleneck_none", lang))

# --- drop-off and open per stage ------------------------------------------------------------------------
st.subheader(t("stage_table_title", lang))
shown = _widgets.localized(named, {"name": "col_stage", "reached": "col_reached",
                                   "step_conversion": "col_step_conversion", "dropped": "col_dropped",
                                   "open": "col_open", "in_progress": "col_in_progress"})
_widgets.table(shown,
               column_config={t("col_step_conversion", lang): _widgets.pct_column(t("col_step_conversion", lang))})
_widgets.caption(t("stage_table_caption", lang))
_widgets.download_table(shown, "stages", "stages")

if undated:
    _widgets.info(t("undated_note", lang, n=fmt_num(undated)))

# --- the report for a period, as files -------------------------------------------------------------------
report_downloads()
