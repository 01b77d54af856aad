"""Figure sets (批量指标集): the figure sets computed in batch (``python -m funnel metrics --save``, e.g. on
Spark from a lake; docs/spark.md), read from the figures folder, each with where it came from and its
figures drawn by the same chart builders as the live pages (``funnel.metrics.figure_frames`` turns the JSON
back into their frames). The sidebar filters do not apply: a figure set keeps the filter it was computed with.
A file that is not a figure set is named with the reason; a section that cannot be read is skipped with a
sentence, never a crash."""

from __future__ import annotations

import contextlib

import pandas as pd
import streamlit as st

from funnel import charts, forecast_charts as fc, review_charts as rc
from funnel.filters import BOARD_DIMENSIONS
from funnel.formats import fmt_date, fmt_days, fmt_num, fmt_pct, fmt_time
from funnel.i18n import LABELS, grain_word, t
from funnel.metrics import figure_frames as ff
from funnel.metrics.win_curve import HORIZONS_DAYS, MIN_AT_RISK
from app_pages import _store, _widgets

LIST_ROWS = 1_000  # as on the Follow-up page: the most urgent rows drawn, the download holds all
COMMAND = "python -m funnel metrics --engine spark --lake lake/ --save"

lang = _store.view().lang
st.title(t("page_figure_sets", lang))
folder, entries = _store.figure_sets()
_widgets.caption(t("fs_intro", lang, folder=str(folder)))

for entry in entries:
    if entry.problem:
        st.warning(_widgets.md_escape(t(f"fs_problem_{entry.problem}", lang, name=entry.name, detail=entry.detail)))
good = [e for e in entries if not e.problem]
if not good:
    _widgets.info(t("fs_none", lang, folder=str(folder), command=COMMAND))
    st.stop()


def engine_word(p: dict) -> str:
    engine = p.get("engine")
    return t(f"fs_engine_{engine}", lang) if f"fs_engine_{engine}" in LABELS else t("fs_engine_unknown", lang)


def option_text(i: int) -> str:
    e = good[i]
    return t("fs_option", lang, name=e.name, engine=engine_word(e.provenance), as_of=e.figures.get("as_of"),
             when=fmt_time(e.provenance.get("computed_at") or e.modified, seconds=False))


_widgets.caption(t("fs_found", lang, n=fmt_num(len(good))))
picked = good[st.selectbox(t("fs_pick", lang), range(len(good)), format_func=option_text, key="fs_pick")]
figs, prov = picked.figures, picked.provenance
stage_names = {s.get("key"): (s.get("name") if lang == "zh" else s.get("name_en")) or s.get("key")
               for s in figs["stages"] if isinstance(s, dict)}
grain = figs.get("grain") or "month"


@contextlib.contextmanager
def section(title_key: str, **values):
    """A subheader, then the section's body; a part of the file in another shape skips the section with a
    sentence instead of stopping the page."""
    title = t(title_key, lang, **values)
    st.subheader(_widgets.md_escape(title))  # values come from the file: shown as written, never as Markdown
    try:
        yield
    except (ff.FigureSetShapeError, KeyError, TypeError, ValueError, AttributeError, IndexError):
        _widgets.info(t("fs_section_unreadable", lang, section=title))


def with_names(df: pd.DataFrame) -> pd.DataFrame:
    """The stage names of the figure set itself (its stages may differ from this dashboard's)."""
    out = df.copy()
    out["name"] = [stage_names.get(k, k) for k in out["stage"]]
    return out


def pct_config(*keys: str) -> dict:
    return {t(k, lang): _widgets.pct_column(t(k, lang)) for k in keys}


# --- where it came from -------------------------------------------------------------------------------------
with section("fs_source_title"):
    flt = figs.get("filter") or {}
    rows = [("col_file", picked.name), ("fs_file_time", fmt_time(picked.modified))]
    if prov:
        rows.append(("fs_engine", engine_word(prov)))
        for key, label in (("lake", "fs_lake"), ("spark_master", "fs_spark_master"),
                           ("lake_exported_at", "fs_lake_exported"), ("db", "fs_db")):
            if prov.get(key):
                rows.append((label, fmt_time(prov[key]) if key.endswith("_at") else str(prov[key])))
        if prov.get("input"):
            rows.append(("fs_input", ", ".join(map(str, prov["input"]))))
        rows += [("fs_data_version", prov.get("data_version")),
                 ("fs_computed_at", fmt_time(prov.get("computed_at"))),
                 ("fs_computed_in", t("fs_seconds", lang, s=fmt_days(prov.get("computed_in_s"))))]
    rows += [("as_of", fmt_date(figs.get("as_of"))), ("fs_filter", flt.get(f"description_{lang}")),
             ("grain", grain_word(grain, lang)),
             ("fs_skip_rule", t(f"fs_skip_{figs.get('skip_rule', 'passed')}", lang)),
             ("stalled_days", fmt_num(figs.get("stalled_days")))]
    if figs.get("bridge"):
        rows.append(("rv_period", figs["bridge"].get("period")))
    _widgets.table(pd.DataFrame({t("fs_what", lang): [t(k, lang) for k, _ in rows],
                                 t("fs_value", lang): [str(v) if v is not None else None for _, v in rows]}),
                   key="fs_source", height=38 + 35 * len(rows))
    if not prov:
        _widgets.info(t("fs_no_provenance", lang))

# --- headline and funnel ------------------------------------------------------------------------------------
with section("fs_headline"):
    cohort = figs["cohort"]
    cycle = figs.get("cycle_days") or {}
    tiles = (("kpi_leads", fmt_num(cohort.get("leads"))), ("kpi_won", fmt_num(cohort.get("won"))),
             ("kpi_conversion", fmt_pct(figs.get("overall_conversion"))), ("kpi_win_rate", fmt_pct(figs.get("win_rate"))),
             ("kpi_cycle", f"{fmt_days(cycle.get('median'))} {t('days_unit', lang)}"))
    for column, (key, text) in zip(st.columns(len(tiles)), tiles):
        column.metric(t(key, lang), text, border=True)
    funnel = ff.stage_funnel_frame(figs)
    chart = charts.funnel_chart(funnel, lang=lang, title=t("funnel_title", lang)).properties(height=44 * len(funnel))
    _widgets.show_chart(chart, "funnel", "fs_funnel")
    won = next((r for r in figs["stages"] if r.get("kind") == "won"), {})
    closed = (cohort.get("won") or 0) + (cohort.get("lost") or 0)
    _widgets.caption(t("funnel_caption", lang, leads=fmt_num(cohort.get("leads")), won=fmt_num(cohort.get("won")),
                       won_stage=stage_names.get(won.get("key"), ""), conversion=fmt_pct(figs.get("overall_conversion")),
                       win_rate=fmt_pct(figs.get("win_rate")), closed=fmt_num(closed)))
    sentence = (figs.get("bottleneck") or {}).get(f"sentence_{lang}")
    _widgets.info(sentence or t("bottleneck_none", lang))
    shown = _widgets.localized(with_names(funnel), {"name": "col_stage", "reached": "col_reached",
                                           "step_conversion": "col_step_conversion", "dropped": "col_dropped",
                                           "open": "col_open", "in_progress": "col_in_progress"})
    _widgets.table(shown, key="fs_stage_table", column_config=pct_config("col_step_conversion"))
    if cohort.get("undated"):
        _widgets.caption(t("undated_note", lang, n=fmt_num(cohort.get("undated"))))

# --- cycle time ---------------------------------------------------------------------------------------------
with section("tis_title"):
    times = ff.time_in_stage_frame(figs)
    if not (times["n"].fillna(0) > 0).any():
        _widgets.info(t("tis_empty", lang))
    else:
        _widgets.show_chart(charts.time_in_stage_boxplot(times, lang=lang, title=t("tis_title", lang)),
                            "time_in_stage", "fs_tis")
    cycle = figs.get("cycle_days") or {}
    if cycle.get("n"):
        _widgets.caption(t("cycle_caption", lang, n=fmt_num(cycle.get("n")), median=fmt_days(cycle.get("median")),
                           q1=fmt_days(cycle.get("q1")), q3=fmt_days(cycle.get("q3")),
                           mean=fmt_days(cycle.get("mean"))))
        if cycle.get("n_reported"):
            _widgets.caption(t("cycle_reported_note", lang, n=fmt_num(cycle.get("n_reported"))))
    else:
        _widgets.info(t("cycle_empty", lang))
    _widgets.caption(t("fs_cycle_no_whiskers", lang))

# --- loss ---------------------------------------------------------------------------------------------------
with section("pareto_title"):
    reasons = _widgets.reason_labels(ff.pareto_frame(figs))
    if reasons.empty:
        _widgets.info(t("loss_empty", lang))
    else:
        chart = charts.pareto_chart(reasons, lang=lang, title=t("pareto_title", lang)).configure_axisX(
            labelOverlap=False, labelAngle=-40, labelLimit=140)
        _widgets.show_chart(chart, "loss_reasons_pareto", "fs_pareto")
        shown = _widgets.localized(reasons, {"reason": "col_reason", "count": "col_count", "share": "col_share",
                                    "cumulative_share": "col_cumulative_share"})
        _widgets.table(shown, key="fs_reasons", column_config=pct_config("col_share", "col_cumulative_share"))
        by_stage = with_names(ff.loss_by_stage_frame(figs))
        if len(by_stage) and by_stage["lost"].sum() > 0:
            chart = _widgets.bar_chart(by_stage, "name", "lost", t("loss_by_stage_title", lang), t("col_stage", lang),
                                       t("col_dropped", lang))
            _widgets.show_chart(chart, "loss_by_stage", "fs_loss_stage")
        categories = ff.pareto_frame(figs, "loss_categories")
        if len(categories):
            categories["reason"] = [t("other", lang) if c in (None, "", "other") else _widgets.bilingual(c, lang)
                                    for c in categories["reason"]]
            shown = _widgets.localized(categories, {"reason": "col_category", "count": "col_count", "share": "col_share",
                                           "cumulative_share": "col_cumulative_share"})
            _widgets.table(shown, key="fs_categories", column_config=pct_config("col_share", "col_cumulative_share"))

# --- leaderboards -------------------------------------------------------------------------------------------
with section("page_team"):
    dims = BOARD_DIMENSIONS
    for tab, d in zip(st.tabs([t(d.tab_key, lang) for d in dims]), dims):
        with tab:
            board = ff.leaderboard_frame(figs, d.column)
            if board.empty:
                _widgets.info(t("team_empty", lang, what=t(d.tab_key, lang)))
                continue
            board[d.column] = [t("unspecified", lang) if x is None or x != x else x for x in board[d.column]]
            chart = charts.leaderboard_ci_chart(board, lang=lang, by=d.column,
                                                title=f"{t(d.tab_key, lang)} · {t('team_ci_title', lang)}")
            _widgets.show_chart(chart, f"leaderboard_{d.column}", f"fs_board_{d.column}")
            shown = _widgets.localized(board.round({"median_cycle_days": 1}),
                              {d.column: d.column_key, "leads": "col_leads", "won": "col_won", "lost": "col_lost",
                               "open": "col_open", "conversion": "col_conversion", "conversion_ci_low": "col_ci_low",
                               "conversion_ci_high": "col_ci_high", "win_rate": "col_win_rate",
                               "median_cycle_days": "col_median_cycle", "stalled": "col_stalled"})
            _widgets.table(shown, key=f"fs_board_table_{d.column}",
                           column_config=pct_config("col_conversion", "col_ci_low", "col_ci_high", "col_win_rate"))

# --- trends -------------------------------------------------------------------------------------------------
word = grain_word(grain, lang)
word = word if lang == "zh" else word.lower()
with section("trend_leads_title", grain=word):
    trend = ff.trends_frame(figs)
    if trend.empty:
        _widgets.info(t("trend_empty", lang))
    else:
        _widgets.show_chart(charts.trend_chart(trend, lang=lang, title=t("trend_leads_title", lang, grain=word),
                                               grain=grain), "trends", "fs_trend")

# --- follow-up and data quality -----------------------------------------------------------------------------
with section("fs_followup_title"):
    lists = (("fu_stalled", "fu_stalled_caption", ff.stalled_frame, "stalled_count", ("idle_days",)),
             ("fu_overdue", "fu_overdue_caption", ff.overdue_frame, "overdue_count", ("days_in_stage", "overdue_days")),
             ("fu_past_close", "fu_past_close_caption", ff.past_expected_close_frame, "past_expected_close_count",
              ("days_past",)))
    columns = {"lead_id": "col_lead_id", "customer": "col_customer", "rep": "col_rep", "stage_name": "col_stage",
               "idle_days": "col_idle_days", "days_in_stage": "col_days_in_stage", "overdue_days": "col_days_overdue",
               "expected_close": "col_expected_close", "days_past": "col_days_past",
               "last_activity_at": "col_last_activity"}
    for tab, (title, caption, frame_of, count_key, days) in zip(st.tabs([t(x[0], lang) for x in lists]), lists):
        with tab:
            total = figs.get(count_key) or 0
            _widgets.caption(t(caption, lang, n=fmt_num(total), as_of=figs.get("as_of"),
                               days=figs.get("stalled_days")))
            frame = frame_of(figs)
            if frame.empty:
                _widgets.info(t("fu_none", lang))
                continue
            frame["stage_name"] = [stage_names.get(k, k) for k in frame["stage"]]
            frame = frame.astype({c: float for c in days}).round({c: 1 for c in days})
            if len(frame) > LIST_ROWS:
                _widgets.caption(t("fu_first_rows", lang, shown=fmt_num(LIST_ROWS), total=fmt_num(len(frame))))
            shown = _widgets.localized(frame, columns)
            _widgets.table(shown.head(LIST_ROWS), key=f"fs_{count_key}", height=min(420, 38 + 35 * len(shown)))
            _widgets.download_table(shown, count_key.removesuffix("_count"), f"fs_{count_key}_dl")
    quality = figs.get("data_quality") or {}
    if quality.get("count"):
        parts = ("、" if lang == "zh" else ", ").join(
            f"{t(f'fs_dq_{k}', lang) if f'fs_dq_{k}' in LABELS else k} {fmt_num(n)}"
            for k, n in (quality.get("counts") or {}).items())
        _widgets.caption(t("fs_quality_counts", lang, n=fmt_num(quality["count"]), parts=parts))

# --- review (SPEC §7.1, §7.3) -------------------------------------------------------------------------------
b, a = figs.get("bridge"), figs.get("attribution")
if b:
    with section("fs_review_title", period=b.get("period")):
        _widgets.show_chart(rc.bridge_waterfall(b, lang, "count", title=t("rv_bridge_title", lang)), "bridge",
                            "fs_bridge")
        _widgets.caption(t("rv_bridge_caption", lang, **{k: fmt_num(b[k]) for k in ("open_start", "new", "won",
                                                                                      "lost", "open_end")}))
        if b.get("matrix"):
            _widgets.show_chart(rc.movement_heat_table(b, stage_names, lang, title=t("rv_movement_title", lang)),
                                "movement", "fs_movement")
        if a and a.get("factors"):
            _widgets.show_chart(rc.attribution_bars(a, stage_names, lang, title=t("rv_attr_title", lang)),
                                "attribution", "fs_attr")
            _widgets.caption(t("rv_attr_caption", lang, period=a["period"], previous=a["previous"]))

# --- forecast (SPEC §7.4–7.5) -------------------------------------------------------------------------------
if figs.get("forecast") or figs.get("win_curve"):
    with section("fs_forecast_title"):
        curve = figs.get("win_curve") or {}
        head = curve.get("cohort") or {}
        if head.get("leads"):
            for col, days in zip(st.columns(len(HORIZONS_DAYS)), HORIZONS_DAYS):
                col.metric(t("fc_within", lang, d=days), fmt_pct(head.get(str(days))))
            frame = ff.win_curve_frame(figs)
            if len(frame):
                _widgets.show_chart(fc.win_curve_chart(frame, None, lang=lang, title=t("fc_curve_title", lang),
                                                       min_at_risk=MIN_AT_RISK), "win_curve", "fs_curve")
        triangle = ff.cohort_triangle_frame(figs)
        if len(triangle):
            _widgets.show_chart(fc.triangle_chart(triangle, lang=lang, title=t("fc_triangle_title", lang)),
                                "cohort_triangle", "fs_triangle")
        entries = {e["horizon_days"]: e for e in figs.get("forecast") or [] if e.get("horizon_days")}
        if entries:  # every horizon the set holds, the longest first shown (as the Forecast page opens)
            horizons = sorted(entries)
            h = st.radio(t("fc_horizon", lang), horizons, index=len(horizons) - 1, horizontal=True, key="fs_fc_h",
                         format_func=lambda days: t("fc_horizon_option", lang, h=days))
            entry = entries[h]
            c1, c2, c3, c4 = st.columns(4)
            c1.metric(t("fc_expected_wins", lang), fmt_num(entry["expected_wins"], 1))
            c2.metric(t("fc_interval", lang), f"{fmt_num(entry['low'], 1)} – {fmt_num(entry['high'], 1)}")
            c3.metric(t("fc_expected_amount", lang), fmt_num(entry["expected_amount"]))
            c4.metric(t("fc_open_leads", lang), fmt_num(entry["open_leads"]))
            _widgets.caption(t("fc_forecast_caption", lang, as_of=figs.get("as_of"), open=fmt_num(entry["open_leads"]),
                               h=h, wins=fmt_num(entry["expected_wins"], 1), low=fmt_num(entry["low"], 1),
                               high=fmt_num(entry["high"], 1), amount=fmt_num(entry["expected_amount"])))
            by_stage = pd.DataFrame(entry.get("by_stage") or [])
            if len(by_stage):
                by_stage["name"] = [stage_names.get(k, k) for k in by_stage["stage"]]
                _widgets.show_chart(fc.forecast_stage_chart(by_stage, lang=lang,
                                                            title=t("fc_by_stage_title", lang, h=h)),
                                    "forecast_by_stage", "fs_fc_stage")
        bt = ff.backtest_frame(figs)
        if len(bt):
            mae = figs.get("backtest_mae") or {}
            m1, m2 = st.columns(2)
            m1.metric(t("fc_mae_model", lang), fmt_num(mae.get("model"), 1))
            m2.metric(t("fc_mae_naive", lang), fmt_num(mae.get("naive"), 1))
            _widgets.show_chart(fc.backtest_chart(bt, lang=lang, title=t("fc_backtest_title", lang)), "backtest",
                                "fs_backtest")
            _widgets.caption(t("fc_backtest_caption", lang, model=fmt_num(mae.get("model"), 1),
                               naive=fmt_num(mae.get("naive"), 1), n=mae.get("periods")))
