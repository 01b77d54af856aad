"""Loss analysis: Pareto of loss reasons (bars, cumulative line, 80% guide), TOP-3, loss by stage, categories."""

from __future__ import annotations

import streamlit as st

from funnel import charts
from funnel.formats import fmt_num, fmt_pct
from funnel.i18n import t
from funnel.metrics import cohort_summary, loss_by_stage, loss_categories, loss_reasons
from app_pages import _page, _store, _widgets

v = _page.page_header("page_loss")
_page.require_data(v)
lang = v.lang

summary = _store.metric(cohort_summary)
if not summary.get("leads"):
    _widgets.info(t("empty_cohort", lang))
    st.stop()

reasons = _widgets.reason_labels(_store.metric(loss_reasons))
if reasons.empty:
    _widgets.info(t("loss_empty", lang))
    st.stop()

# Every reason named on the axis (the builder's default drops every other label when they crowd).
chart = charts.pareto_chart(reasons, lang=lang, title=t("pareto_title", lang)).configure_axisX(
    labelOverlap=False, labelAngle=-40, labelLimit=140)
_widgets.show_chart(chart, "loss_reasons_pareto", "pareto")
top = reasons.head(3)
top3 = "、".join(f"{r['reason']}\uff08{fmt_pct(r['share'])}\uff09" for _, r in top.iterrows()) if lang == "zh" else \
    "; ".join(f"{r['reason']} ({fmt_pct(r['share'])})" for _, r in top.iterrows())
reach80 = int((reasons["cumulative_share"] < 0.8 - 1e-9).sum()) + 1
_widgets.caption(t("pareto_caption", lang, lost=fmt_num(reasons["count"].sum()), top3=top3,
                   k=min(reach80, len(reasons))))

st.subheader(t("top3_title", lang))
columns = st.columns(3)
for column, (_, row) in zip(columns, top.iterrows()):
    column.metric(_widgets.md_escape(row["reason"]), fmt_num(row["count"]), border=True, delta=fmt_pct(row["share"]),
                  delta_color="off", delta_arrow="off")

shown = _widgets.localized(reasons, {"reason": "col_reason", "count": "col_count", "share": "col_share",
                                     "cumulative_share": "col_cumulative_share"})
_widgets.table(shown, key="reasons_table", column_config={
    t("col_share", lang): _widgets.pct_column(t("col_share", lang)),
    t("col_cumulative_share", lang): _widgets.pct_column(t("col_cumulative_share", lang))})
_widgets.download_table(shown, "loss_reasons", "reasons_dl")

# --- loss by stage ------------------------------------------------------------------------------------------
st.subheader(t("loss_by_stage_title", lang))
by_stage = _widgets.with_stage_names(_store.metric(loss_by_stage))
count_col = "lost"
if len(by_stage) and by_stage[count_col].sum() > 0:
    worst = by_stage.sort_values(count_col, ascending=False).iloc[0]
    chart = _widgets.bar_chart(by_stage, "name", count_col, t("loss_by_stage_title", lang), t("col_stage", lang),
                               t("col_dropped", lang))
    _widgets.show_chart(chart, "loss_by_stage", "loss_stage")
    _widgets.caption(t("loss_by_stage_caption", lang, stage=worst["name"], n=fmt_num(worst[count_col])))
shown = _widgets.localized(by_stage, {"name": "col_stage", count_col: "col_dropped", "share": "col_share",
                                      "loss_rate": "col_loss_rate"})
_widgets.table(shown, key="loss_stage_table", column_config={
    t(k, lang): _widgets.pct_column(t(k, lang)) for k in ("col_share", "col_loss_rate")})
_widgets.download_table(shown, "loss_by_stage", "loss_stage_dl")

# --- categories -----------------------------------------------------------------------------------------
st.subheader(t("loss_categories_title", lang))
categories = _store.metric(loss_categories)
if len(categories):
    cat_col = "reason"  # the category, in the Pareto frame's reason column
    categories = categories.copy()
    categories[cat_col] = categories[cat_col].map(
        lambda c: t("other", lang) if c in (None, "", "other") else _widgets.bilingual(c, lang))
    shown = _widgets.localized(categories, {cat_col: "col_category", "count": "col_count", "share": "col_share",
                                            "cumulative_share": "col_cumulative_share"})
    _widgets.table(shown, key="categories_table", column_config={
        t("col_share", lang): _widgets.pct_column(t("col_share", lang)),
        t("col_cumulative_share", lang): _widgets.pct_column(t("col_cumulative_share", lang))})
    _widgets.caption(t("loss_categories_caption", lang))
    _widgets.download_table(shown, "loss_categories", "categories_dl")
