"""The report's section on SPEC §7.4–7.5: 成交曲线 win curve (this period's cohort beside the previous one),
the cohort triangle, the 预测 forecast of today's open leads and its 回测 backtest. The same metric
functions as the Forecast page and ``metrics --json``; the presentation shows it like every other section.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from funnel import forecast_charts as fc
from funnel.metrics.cohort import cohort_summary
from funnel.metrics.forecast import backtest, backtest_mae, forecast, forecast_leads
from funnel.metrics.win_curve import (HORIZONS_DAYS, MIN_AT_RISK, TRIANGLE_DAYS, cohort_triangle, win_curve_summary,
                                      win_curves)
from funnel.report.labels import L
from funnel.report.model import ChartItem, Column, Kpi, Section, Table, fmt_value

TRIANGLE_ROWS = 12  # the acquisition periods shown, up to the report's period
LEADS_ROWS = 40


def forecast_section(con, ctx, pctx, lang: str, names: dict[str, str], number: int) -> Section:
    """The section: ``ctx`` / ``pctx`` are the report's current / previous contexts (acquisition range =
    the period); the triangle takes the leads acquired up to the period's end (its last TRIANGLE_ROWS
    periods); the forecast and the backtest are made at the as-of date (the acquisition range does not
    apply to them)."""
    cur = win_curve_summary(con, ctx)
    prev = win_curve_summary(con, pctx)
    summary = cohort_summary(con, ctx)
    fcast = forecast(con, ctx)
    bt = backtest(con, ctx)
    mae = backtest_mae(bt)
    last = fcast[-1]
    # F_W(d) of a cohort whose oldest lead is younger than d days is its last observed value carried on, not
    # an observation at d: shown, but not compared with the previous period (no arrow).
    observed_days = max((point["t"] for point in cur["curve"]), default=-1)
    kpis = [Kpi(f"fw_{d}", L("fc_k_fw", lang, d=d), cur["cohort"][str(d)], prev["cohort"][str(d)], kind="pct",
                compare=observed_days >= d)
            for d in (90, 180)]
    kpis += [Kpi("forecast", L("fc_k_expected", lang, h=last["horizon_days"]), last["expected_wins"], kind="num",
                 compare=False),
             Kpi("mae_model", L("fc_k_mae_model", lang), mae["model"], kind="num", compare=False),
             Kpi("mae_naive", L("fc_k_mae_naive", lang), mae["naive"], kind="num", compare=False)]
    paragraphs = []
    if cur["cohort"]["leads"]:
        paragraphs.append(L("fc_p_curve", lang, cur=fmt_value(cur["cohort"]["90"], "pct"),
                                prev=fmt_value(prev["cohort"]["90"], "pct"),
                                naive=fmt_value(summary["overall_conversion"], "pct"), open=f"{summary['open']:,}"))
    else:
        paragraphs.append(L("fc_empty", lang))
    paragraphs.append(L("fc_p_forecast", lang, as_of=ctx.as_of.isoformat(), open=f"{last['open_leads']:,}",
                            h=last["horizon_days"], wins=fmt_value(last["expected_wins"], "num"),
                            low=fmt_value(last["low"], "num"), high=fmt_value(last["high"], "num"),
                            amount=fmt_value(last["expected_amount"], "amount")))
    paragraphs.append(L("fc_p_backtest", lang, n=mae["periods"], model=fmt_value(mae["model"], "num"),
                            naive=fmt_value(mae["naive"], "num")))
    paragraphs.append(L("fc_p_triangle", lang))

    charts = []
    parts = []
    for c, label in ((ctx, L("current", lang)), (pctx, L("previous", lang))):
        frame = win_curves(con, c)["cohort"]
        if len(frame):
            parts.append(frame.assign(period=f"{label} · {c.filter.date_from.isoformat()[:7]}"))
    if parts:
        charts.append(ChartItem("win_curve", L("fc_c_curve", lang), fc.win_curve_chart(
            pd.concat(parts, ignore_index=True), "period", lang=lang, min_at_risk=MIN_AT_RISK)))
    tri_ctx = replace(ctx, filter=replace(ctx.filter, date_from=None))
    triangle = cohort_triangle(con, tri_ctx).tail(TRIANGLE_ROWS)
    if len(triangle):
        charts.append(ChartItem("cohort_triangle", L("fc_c_triangle", lang), fc.triangle_chart(triangle, lang=lang)))
    by_stage = pd.DataFrame(last["by_stage"])
    if len(by_stage):
        by_stage["name"] = [names.get(k, k) for k in by_stage["stage"]]
        charts.append(ChartItem("forecast_by_stage", L("fc_c_stage", lang, h=last["horizon_days"]),
                                fc.forecast_stage_chart(by_stage, lang=lang)))
    if len(bt):
        charts.append(ChartItem("backtest", L("fc_c_backtest", lang), fc.backtest_chart(bt, lang=lang)))

    within = [Column(str(d), L("fc_c_within", lang, d=d), "pct") for d in HORIZONS_DAYS]
    tables = [Table("win_curve_sources", L("fc_t_sources", lang),
                    [Column("source", L("c_source", lang)), Column("leads", L("c_leads", lang), "int"), *within],
                    [{**r, "source": r["source"] if r["source"] is not None else "—"} for r in cur["by_source"]])]
    tables.append(Table("triangle", L("fc_c_triangle", lang),
                        [Column("period", L("fc_c_period", lang)), Column("leads", L("c_leads", lang), "int")]
                        + [Column(f"cell_{d}", L("fc_c_within", lang, d=d)) for d in TRIANGLE_DAYS],
                        [{"period": r["period"], "leads": r["leads"],
                          **{f"cell_{d}": _cell(r[f"share_{d}"], r[f"estimated_{d}"]) for d in TRIANGLE_DAYS}}
                         for r in triangle.to_dict("records")]))
    tables.append(Table("forecast", L("fc_t_forecast", lang), [
        Column("horizon_days", L("fc_c_horizon", lang), "int"), Column("expected_wins", L("fc_c_expected", lang), "num"),
        Column("low", L("fc_c_low", lang), "num"), Column("high", L("fc_c_high", lang), "num"),
        Column("expected_amount", L("fc_c_amount", lang), "amount"), Column("open_leads", L("fc_c_open", lang), "int")],
        [dict(r) for r in fcast]))
    tables.append(Table("backtest", L("fc_t_backtest", lang), [
        Column("period", L("fc_c_period", lang)), Column("open_leads", L("fc_c_open", lang), "int"),
        Column("forecast", L("fc_c_forecast", lang), "num"), Column("low", L("fc_c_low", lang), "num"),
        Column("high", L("fc_c_high", lang), "num"), Column("actual", L("fc_c_actual", lang), "int"),
        Column("naive", L("fc_c_naive", lang), "int"), Column("note", L("fc_c_note", lang))],
        [{**r, "note": L("fc_too_little", lang) if r["too_little_history"] else ""} for r in bt.to_dict("records")]))
    leads = forecast_leads(con, ctx, limit=LEADS_ROWS)
    h = HORIZONS_DAYS[2] if len(HORIZONS_DAYS) > 2 else HORIZONS_DAYS[-1]
    tables.append(Table("forecast_leads", L("fc_t_leads", lang, n=LEADS_ROWS), [
        Column("lead_id", L("c_lead_id", lang)), Column("source", L("c_source", lang)), Column("rep", L("c_rep", lang)),
        Column("stage", L("c_stage", lang)), Column("age_days", L("fc_c_age", lang), "int"),
        Column(f"p_{h}", L("fc_c_p", lang, h=h), "pct")],
        [{**r, "stage": names.get(r["stage"], r["stage"])} for r in leads.to_dict("records")],
        total=last["open_leads"]))
    return Section("forecast", number, L("fc_title", lang), kpis=kpis, paragraphs=paragraphs, charts=charts,
                   tables=tables)


def _cell(share, estimated) -> str | None:
    if share is None or share != share:
        return None
    return ("≈" if estimated else "") + f"{share * 100:.1f}%"
