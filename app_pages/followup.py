"""Follow-up (异常跟进): stalled leads, leads overdue in their stage, leads past their expected close."""

from __future__ import annotations

import streamlit as st

from funnel.i18n import fmt_num, t
from app_pages import _common as common

v = common.page_header("page_followup")
common.require_data(v)
lang = v.lang
as_of = v.ctx.as_of.isoformat()

COLUMNS = {"lead_id": "col_lead_id", "customer": "col_customer", "rep": "col_rep", "manager": "col_manager",
           "stage_name": "col_stage", "idle_days": "col_idle_days", "days_in_stage": "col_days_in_stage",
           "expected_days": "col_expected_days", "overdue_days": "col_days_overdue",
           "entered_at": "col_entered_at",
           "expected_close": "col_expected_close", "days_past": "col_days_past", "last_activity_at": "col_last_activity",
           "source": "col_source"}
SECTIONS = (
    ("stalled_leads", "fu_stalled", "fu_stalled_caption", {"days": v.ctx.stalled_days}),
    ("overdue_leads", "fu_overdue", "fu_overdue_caption", {}),
    ("past_expected_close", "fu_past_close", "fu_past_close_caption", {}),
)
tabs = st.tabs([t(title, lang) for _, title, _, _ in SECTIONS])
for tab, (name, title, caption, extra) in zip(tabs, SECTIONS):
    with tab:
        frame = common.metric(name)
        common.caption(t(caption, lang, n=fmt_num(len(frame)), as_of=as_of, **extra))
        if frame.empty:
            common.info(t("fu_none", lang))
            continue
        frame = common.with_stage_names(frame)
        frame = frame.rename(columns={"name": "stage_name"})
        for column in ("idle_days", "days_in_stage", "overdue_days", "days_past"):
            if column in frame.columns:
                frame[column] = frame[column].astype(float).round(1)
        shown = common.localized(frame, COLUMNS)
        common.table(shown, key=f"{name}_table", height=min(560, 38 + 35 * len(shown)))
        common.download_table(shown, name, f"{name}_dl")
