"""Forecast (预测): win curves per source / rep, the cohort triangle, the forecast of today's open leads and
its backtest (SPEC §7.4–7.5). Follows the sidebar filters; the curves and the triangle use the cohort (the
acquisition range applies), the forecast and the backtest the attribute filters only."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from funnel import forecast_charts as fc
from funnel.formats import fmt_num, fmt_pct
from funnel.i18n import grain_word, t
from funnel.metrics import (backtest, backtest_mae, cohort_summary, cohort_triangle, forecast, forecast_leads,
                            win_curve_summary, win_curves)
from funnel.metrics.win_curve import HORIZONS_DAYS, MIN_AT_RISK
from app_pages import _page, _store, _widgets

LEADS_SHOWN = 200
TOP_GROUPS = 8

v = _page.page_header("page_forecast")
_page.require_data(v)
lang = v.lang


def amount_text(value) -> str:
    return fmt_num(value)


# ------------------------------------------------------------------------------------------ win curve
st.subheader(t("fc_curve_title", lang))
_widgets.caption(t("fc_curve_intro", lang))
summary = _store.metric(win_curve_summary)
if not summary["cohort"]["leads"]:
    _widgets.info(t("empty_cohort", lang))
else:
    head = summary["cohort"]
    cols = st.columns(len(HORIZONS_DAYS))
    for col, days in zip(cols, HORIZONS_DAYS):
        col.metric(t("fc_within", lang, d=days), fmt_pct(head[str(days)]))
    cohort = _store.metric(cohort_summary)
    _widgets.caption(t("fc_naive_note", lang, naive=fmt_pct(cohort["overall_conversion"]), open=fmt_num(cohort["open"]),
                       curve=fmt_pct(head["180"])))
    curves = _store.metric(win_curves)
    dims = {"source": t("sources", lang), "rep": t("reps", lang)}
    dim = st.radio(t("fc_curve_group", lang), list(dims), format_func=dims.get, horizontal=True, key="fc_dim")
    chart = fc.win_curve_chart(curves[dim], dim, lang=lang, title=f"{t('fc_curve_title', lang)} · {dims[dim]}",
                               min_at_risk=MIN_AT_RISK, top=TOP_GROUPS)
    _widgets.show_chart(chart, f"win_curve_{dim}", f"fc_curve_{dim}")
    _widgets.caption(t("fc_curve_cut", lang, n=MIN_AT_RISK, top=TOP_GROUPS))
    frame = curves[dim]
    if not len(frame) or not (frame["n"] >= MIN_AT_RISK).any():  # every curve cut before it starts: a blank plot
        _widgets.info(t("fc_curve_none", lang, n=MIN_AT_RISK))
    rows = pd.DataFrame(summary[f"by_{dim}"])
    if len(rows):
        rows[dim] = [r if r is not None else t("unspecified", lang) for r in rows[dim]]
        shown = rows.rename(columns={dim: dims[dim], "leads": t("col_leads", lang),
                                     **{str(d): t("fc_within", lang, d=d) for d in HORIZONS_DAYS}})
        _widgets.table(shown, key="fc_curve_table", column_config={
            t("fc_within", lang, d=d): _widgets.pct_column(t("fc_within", lang, d=d)) for d in HORIZONS_DAYS})
        _widgets.download_table(shown, f"win_curve_{dim}", "fc_curve_dl")

# ------------------------------------------------------------------------------------------- triangle
st.subheader(t("fc_triangle_title", lang))
triangle = _store.metric(cohort_triangle)
if triangle.empty:
    _widgets.info(t("empty_cohort", lang))
else:
    grain = grain_word(v.ctx.grain, lang)
    _widgets.show_chart(fc.triangle_chart(triangle, lang=lang, title=t("fc_triangle_title", lang)), "cohort_triangle",
                        "fc_triangle")
    _widgets.caption(t("fc_triangle_caption", lang, grain=grain if lang == "zh" else grain.lower()))
    table = triangle[["period", "leads"]].copy()
    for d in (30, 60, 90, 120, 150, 180):
        table[t("fc_within", lang, d=d)] = [
            None if s is None or s != s else ("≈" if e else "") + f"{s * 100:.1f}%"
            for s, e in zip(triangle[f"share_{d}"], triangle[f"estimated_{d}"])]
    table = table.rename(columns={"period": t("col_period", lang), "leads": t("col_leads", lang)})
    _widgets.download_table(table, "cohort_triangle", "fc_triangle_dl")

# ------------------------------------------------------------------------------------------- forecast
st.subheader(t("fc_forecast_title", lang))
result = _store.metric(forecast)
horizons = [r["horizon_days"] for r in result]
horizon = st.radio(t("fc_horizon", lang), horizons, index=len(horizons) - 1, horizontal=True, key="fc_h",
                   format_func=lambda h: t("fc_horizon_option", lang, h=h))
entry = next(r for r in result if r["horizon_days"] == horizon)
c1, c2, c3, c4 = st.columns(4)
c1.metric(t("fc_expected_wins", lang), fmt_num(entry["expected_wins"], 1))
c2.metric(t("fc_interval", lang), f"{fmt_num(entry['low'], 1)} – {fmt_num(entry['high'], 1)}")
c3.metric(t("fc_expected_amount", lang), amount_text(entry["expected_amount"]))
c4.metric(t("fc_open_leads", lang), fmt_num(entry["open_leads"]))
_widgets.caption(t("fc_forecast_caption", lang, as_of=v.ctx.as_of.isoformat(), open=fmt_num(entry["open_leads"]),
                   h=horizon, wins=fmt_num(entry["expected_wins"], 1), low=fmt_num(entry["low"], 1),
                   high=fmt_num(entry["high"], 1), amount=amount_text(entry["expected_amount"])))
if entry["undated"]:
    _widgets.caption(t("fc_undated_note", lang, n=fmt_num(entry["undated"])))
if not entry["wins_seen"]:
    _widgets.info(t("fc_no_wins_note", lang))
by_stage = pd.DataFrame(entry["by_stage"])
if len(by_stage):
    by_stage["name"] = [_widgets.stage_name(k) for k in by_stage["stage"]]
    _widgets.show_chart(fc.forecast_stage_chart(by_stage, lang=lang, title=t("fc_by_stage_title", lang, h=horizon)),
                        f"forecast_by_stage_{horizon}", "fc_stage")
    shown = _widgets.localized(by_stage, {"name": "col_stage", "open_leads": "col_open_leads",
                                          "expected_wins": "col_expected_wins",
                                          "expected_amount": "col_expected_amount"})
    # An expected amount is a sum of probability x amount: whole yuan on screen, as on the tile ("localized"
    # printed up to three decimals: 89,738.463).
    _widgets.table(shown.round({t("col_expected_amount", lang): 0}), key="fc_stage_table", column_config={
        t("col_expected_wins", lang): st.column_config.NumberColumn(format="%.1f"),
        t("col_expected_amount", lang): st.column_config.NumberColumn(format="localized")})

st.markdown(f"**{_widgets.md_escape(t('fc_leads_title', lang))}**")
leads = _store.metric(forecast_leads, limit=LEADS_SHOWN)
if len(leads):
    columns = {"lead_id": "col_lead_id", "source": "col_source", "rep": "col_rep", "stage_name": "col_stage",
               "age_days": "col_age_days", "amount": "col_amount"}
    p_labels = {f"p_{h}": t("col_p_within", lang, h=h) for h in horizons}

    def lead_table(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        frame["stage_name"] = [_widgets.stage_name(k) for k in frame["stage"]]
        out = _widgets.localized(frame, columns)
        for key, text in p_labels.items():
            out[text] = frame[key].values
        return out

    shown = lead_table(leads)
    _widgets.table(shown, key="fc_leads_table", height=360,
                   column_config={text: _widgets.pct_column(text) for text in p_labels.values()})
    _widgets.caption(t("fc_leads_caption", lang, h=horizons[-1], shown=fmt_num(len(leads)),
                       n=fmt_num(entry["open_leads"])))
    later = _store.metric_later(forecast_leads)
    _widgets.download_table(lambda: lead_table(later()), "forecast_open_leads", "fc_leads_dl")

# ------------------------------------------------------------------------------------------- backtest
st.subheader(t("fc_backtest_title", lang))
bt = _store.metric(backtest)
mae = backtest_mae(bt)
if len(bt):
    m1, m2 = st.columns(2)
    m1.metric(t("fc_mae_model", lang), fmt_num(mae["model"], 1))
    m2.metric(t("fc_mae_naive", lang), fmt_num(mae["naive"], 1))
    _widgets.show_chart(fc.backtest_chart(bt, lang=lang, title=t("fc_backtest_title", lang)), "backtest", "fc_backtest")
    _widgets.caption(t("fc_backtest_caption", lang, model=fmt_num(mae["model"], 1), naive=fmt_num(mae["naive"], 1),
                       n=mae["periods"]))
    little = int(bt["too_little_history"].sum())
    if little:
        _widgets.caption(t("fc_backtest_little", lang, n=little))
    table = bt.copy()
    table["forecast"] = [None if tl else f for f, tl in zip(table["forecast"], table["too_little_history"])]
    shown = _widgets.localized(table, {"period": "col_period", "open_leads": "col_open_leads",
                                       "forecast": "col_forecast", "low": "col_low", "high": "col_high",
                                       "actual": "col_actual", "naive": "col_naive"})
    _widgets.table(shown, key="fc_backtest_table", column_config={
        t(k, lang): st.column_config.NumberColumn(format="%.1f") for k in ("col_forecast", "col_low", "col_high")})
    _widgets.download_table(shown, "backtest", "fc_backtest_dl")
