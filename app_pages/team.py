"""Team: rep / manager / team / source leaderboards with 95% Wilson intervals of conversion."""

from __future__ import annotations

import streamlit as st

from funnel import charts
from funnel.filters import BOARD_DIMENSIONS
from funnel.formats import fmt_num, fmt_pct
from funnel.i18n import t
from funnel.metrics import cohort_summary, leaderboards
from app_pages import _page, _store, _widgets

v = _page.page_header("page_team")
_page.require_data(v)
lang = v.lang

summary = _store.metric(cohort_summary)
if not summary.get("leads"):
    _widgets.info(t("empty_cohort", lang))
    st.stop()

TABS = tuple((d.column, d.tab_key, d.column_key) for d in BOARD_DIMENSIONS)
boards = _store.metric(leaderboards)  # the four boards from one scan of the cohort (one cache entry)
for tab, (by, tab_key, name_key) in zip(st.tabs([t(k, lang) for _, k, _ in TABS]), TABS):
    with tab:
        board = boards[by]
        name_col = by
        if len(board):
            board = board.copy()
            board[name_col] = board[name_col].map(lambda x: t("unspecified", lang) if x is None or x != x else x)
        if board.empty:
            _widgets.info(t("team_no_roster", lang) if by == "team" else t("team_empty", lang, what=t(tab_key, lang)))
            continue
        if len(board) == 1:
            _widgets.info(t("one_rep_note", lang))
        chart = charts.leaderboard_ci_chart(board, lang=lang, title=f"{t(tab_key, lang)} · {t('team_ci_title', lang)}",
                                            by=by)
        _widgets.show_chart(chart, f"leaderboard_{by}", f"board_{by}")
        first = board.iloc[0]
        low, high = first["conversion_ci_low"], first["conversion_ci_high"]
        _widgets.caption(t("team_caption", lang, name=first[name_col], conversion=fmt_pct(first.get("conversion")),
                           low=fmt_pct(low), high=fmt_pct(high), won=fmt_num(first.get("won")),
                           leads=fmt_num(first.get("leads"))))
        table = board.round({"activities_per_lead": 1, "median_cycle_days": 1})
        table["ci_low"], table["ci_high"] = table["conversion_ci_low"], table["conversion_ci_high"]
        shown = _widgets.localized(table, {name_col: name_key, "leads": "col_leads", "won": "col_won",
                                           "lost": "col_lost", "open": "col_open", "conversion": "col_conversion",
                                           "ci_low": "col_ci_low", "ci_high": "col_ci_high", "win_rate": "col_win_rate",
                                           "median_cycle_days": "col_median_cycle", "stalled": "col_stalled",
                                           "activities_per_lead": "col_activities_per_lead"})
        pct = {t(k, lang): _widgets.pct_column(t(k, lang)) for k in ("col_conversion", "col_ci_low", "col_ci_high",
                                                                    "col_win_rate")}
        _widgets.table(shown, column_config=pct, key=f"board_table_{by}")
        _widgets.download_table(shown, f"leaderboard_{by}", f"board_dl_{by}")
