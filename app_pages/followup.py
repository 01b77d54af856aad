"""Follow-up (异常跟进): stalled leads, leads overdue in their stage, leads past their expected close."""

from __future__ import annotations

import streamlit as st

from funnel.formats import fmt_num
from funnel.i18n import t
from funnel.metrics import followup_counts, overdue_leads, past_expected_close, stalled_leads
from app_pages import _page, _store, _widgets

v = _page.page_header("page_followup")
_page.require_data(v)
lang = v.lang
as_of = v.ctx.as_of.isoformat()

COLUMNS = {"lead_id": "col_lead_id", "customer": "col_customer", "rep": "col_rep", "manager": "col_manager",
           "stage_name": "col_stage", "idle_days": "col_idle_days", "days_in_stage": "col_days_in_stage",
           "expected_days": "col_expected_days", "overdue_days": "col_days_overdue",
           "entered_at": "col_entered_at",
           "expected_close": "col_expected_close", "days_past": "col_days_past", "last_activity_at": "col_last_activity",
           "source": "col_source"}
# A list draws at most this many rows (the most urgent first); its caption gives the whole count and the
# download holds every row. At 1M leads the stalled list has 76k rows: drawn whole it sent 22.6 MiB to the
# browser per render (docs/load.md).
LIST_ROWS = 1_000
# (list function, its key in followup_counts, tab title, caption, caption extras, its day columns as
# funnel.metrics.columns declares them)
SECTIONS = (
    (stalled_leads, "stalled", "fu_stalled", "fu_stalled_caption", {"days": v.ctx.stalled_days}, ("idle_days",)),
    (overdue_leads, "overdue", "fu_overdue", "fu_overdue_caption", {}, ("days_in_stage", "overdue_days")),
    (past_expected_close, "past_expected_close", "fu_past_close", "fu_past_close_caption", {}, ("days_past",)),
)


def prepare(frame, day_columns: tuple[str, ...]):
    """A follow-up list as shown and downloaded: stage names, ``day_columns`` to one decimal, localized
    headers."""
    frame = frame.copy()
    frame["stage_name"] = [_widgets.stage_name(k, v) for k in frame["stage"]]
    for column in day_columns:
        frame[column] = frame[column].astype(float).round(1)
    return _widgets.localized(frame, COLUMNS, v)


counts = _store.metric(followup_counts)
tabs = st.tabs([t(title, lang) for _, _, title, _, _, _ in SECTIONS])
for tab, (list_of, count_key, title, caption, extra, day_columns) in zip(tabs, SECTIONS):
    name = list_of.__name__
    with tab:
        total = counts[count_key]
        _widgets.caption(t(caption, lang, n=fmt_num(total), as_of=as_of, **extra))
        if not total:
            _widgets.info(t("fu_none", lang))
            continue
        shown = prepare(_store.metric(list_of, limit=LIST_ROWS), day_columns)
        if total > len(shown):
            _widgets.caption(t("fu_first_rows", lang, shown=fmt_num(len(shown)), total=fmt_num(total)))
        _widgets.table(shown, key=f"{name}_table", height=min(560, 38 + 35 * len(shown)))
        full = _store.metric_later(list_of)
        _widgets.download_table(lambda full=full, days=day_columns: prepare(full(), days), name, f"{name}_dl")
