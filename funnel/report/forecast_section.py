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


def _text(key: str, lang: str, **values) -> str:
    zh, en = _TEXT[key]
    text = zh if lang == "zh" else en
    return text.format(**values) if values else text


_TEXT = {
    "title": ("成交曲线与预测", "Win curve and forecast"),
    "k_fw": ("{d} 天内成交（成交曲线）", "Won within {d} days (win curve)"),
    "k_expected": ("预测：{h} 天内成交", "Forecast: wins in {h} days"),
    "k_mae_model": ("回测平均绝对误差", "Backtest mean absolute error"),
    "k_mae_naive": ("朴素预测平均绝对误差", "Naive mean absolute error"),
    "p_curve": ("成交曲线把流失作为另一种结局、未结束线索只计入已观察的天数：本期线索获取后 90 天内成交的估计比例为 {cur}，上期为 {prev}。"
                "按当前状态直接计算的整体转化率本期为 {naive}（还有 {open} 条未结束），新线索尚未走完周期，直接比较会低估本期。",
                "The win curve counts lost leads as the other outcome and open leads only for the days observed: an "
                "estimated {cur} of this period's leads are won within 90 days of acquisition, against {prev} last period. "
                "Overall conversion as leads stand is {naive} this period ({open} still open): young leads have not "
                "finished their cycle, so comparing it directly understates this period."),
    "p_forecast": ("截至 {as_of} 的 {open} 条未结束线索，预计未来 {h} 天成交 {wins} 条（80% 区间 {low}–{high}），预计金额 {amount}。只预测当前未结束的线索，不含今后新获取的线索。",
                   "Of the {open} leads open on {as_of}, {wins} are expected to be won in the next {h} days (80% interval "
                   "{low}–{high}), worth {amount}. Only today's open leads are forecast, not leads acquired later."),
    "p_backtest": ("回测：每期只用期初前一天已知的数据预测本期成交，{n} 期的平均绝对误差为 {model}，朴素预测（与上期实际相同）为 {naive}。",
                   "Backtest: each period forecast only from what was known the day before it began; over {n} periods "
                   "the mean absolute error is {model}, against {naive} for the naive guess (same as last period's actual)."),
    "p_triangle": ("成交三角：每格为获取后 N 天内成交的比例；带 ≈ 的格子为成交曲线的估计值（该批线索还未全部满 N 天）。",
                   "Cohort triangle: each cell is the share won within N days of acquisition; cells marked ≈ are "
                   "estimates from the win curve (not every lead of the row is N days old yet)."),
    "c_curve": ("成交曲线：本期与上期获取的线索", "Win curve: leads acquired this period and last"),
    "c_triangle": ("按获取期的成交三角", "Cohort triangle"),
    "c_stage": ("按阶段的预测（{h} 天）", "Forecast by stage ({h} days)"),
    "c_backtest": ("回测：预测与实际", "Backtest: forecast vs actual"),
    "t_sources": ("成交曲线：按来源渠道（本期线索）", "Win curve by source (this period's leads)"),
    "t_forecast": ("预测", "Forecast"),
    "t_backtest": ("回测", "Backtest"),
    "t_leads": ("未结束线索的成交概率（前 {n} 条）", "Open leads most likely to be won (first {n})"),
    "c_within": ("{d} 天内", "within {d} days"),
    "c_horizon": ("预测天数", "Horizon (days)"),
    "c_expected": ("预计成交", "Expected wins"),
    "c_low": ("80% 区间下限", "80% low"),
    "c_high": ("80% 区间上限", "80% high"),
    "c_amount": ("预计成交金额", "Expected won amount"),
    "c_open": ("未结束线索", "Open leads"),
    "c_period": ("周期", "Period"),
    "c_forecast": ("预测", "Forecast"),
    "c_actual": ("实际成交", "Actual wins"),
    "c_naive": ("朴素预测", "Naive"),
    "c_p": ("{h} 天内成交概率", "P(won within {h} days)"),
    "c_age": ("获取后天数", "Days since acquisition"),
    "too_little": ("历史数据不足", "too little history"),
    "c_note": ("说明", "Note"),
    "empty": ("本期没有线索。", "No leads this period."),
}


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
    kpis = [Kpi(f"fw_{d}", _text("k_fw", lang, d=d), cur["cohort"][str(d)], prev["cohort"][str(d)], kind="pct",
                compare=observed_days >= d)
            for d in (90, 180)]
    kpis += [Kpi("forecast", _text("k_expected", lang, h=last["horizon_days"]), last["expected_wins"], kind="num",
                 compare=False),
             Kpi("mae_model", _text("k_mae_model", lang), mae["model"], kind="num", compare=False),
             Kpi("mae_naive", _text("k_mae_naive", lang), mae["naive"], kind="num", compare=False)]
    paragraphs = []
    if cur["cohort"]["leads"]:
        paragraphs.append(_text("p_curve", lang, cur=fmt_value(cur["cohort"]["90"], "pct"),
                                prev=fmt_value(prev["cohort"]["90"], "pct"),
                                naive=fmt_value(summary["overall_conversion"], "pct"), open=f"{summary['open']:,}"))
    else:
        paragraphs.append(_text("empty", lang))
    paragraphs.append(_text("p_forecast", lang, as_of=ctx.as_of.isoformat(), open=f"{last['open_leads']:,}",
                            h=last["horizon_days"], wins=fmt_value(last["expected_wins"], "num"),
                            low=fmt_value(last["low"], "num"), high=fmt_value(last["high"], "num"),
                            amount=fmt_value(last["expected_amount"], "amount")))
    paragraphs.append(_text("p_backtest", lang, n=mae["periods"], model=fmt_value(mae["model"], "num"),
                            naive=fmt_value(mae["naive"], "num")))
    paragraphs.append(_text("p_triangle", lang))

    charts = []
    parts = []
    for c, label in ((ctx, L("current", lang)), (pctx, L("previous", lang))):
        frame = win_curves(con, c)["cohort"]
        if len(frame):
            parts.append(frame.assign(period=f"{label} · {c.filter.date_from.isoformat()[:7]}"))
    if parts:
        charts.append(ChartItem("win_curve", _text("c_curve", lang), fc.win_curve_chart(
            pd.concat(parts, ignore_index=True), "period", lang=lang, min_at_risk=MIN_AT_RISK)))
    tri_ctx = replace(ctx, filter=replace(ctx.filter, date_from=None))
    triangle = cohort_triangle(con, tri_ctx).tail(TRIANGLE_ROWS)
    if len(triangle):
        charts.append(ChartItem("cohort_triangle", _text("c_triangle", lang), fc.triangle_chart(triangle, lang=lang)))
    by_stage = pd.DataFrame(last["by_stage"])
    if len(by_stage):
        by_stage["name"] = [names.get(k, k) for k in by_stage["stage"]]
        charts.append(ChartItem("forecast_by_stage", _text("c_stage", lang, h=last["horizon_days"]),
                                fc.forecast_stage_chart(by_stage, lang=lang)))
    if len(bt):
        charts.append(ChartItem("backtest", _text("c_backtest", lang), fc.backtest_chart(bt, lang=lang)))

    within = [Column(str(d), _text("c_within", lang, d=d), "pct") for d in HORIZONS_DAYS]
    tables = [Table("win_curve_sources", _text("t_sources", lang),
                    [Column("source", L("c_source", lang)), Column("leads", L("c_leads", lang), "int"), *within],
                    [{**r, "source": r["source"] if r["source"] is not None else "—"} for r in cur["by_source"]])]
    tables.append(Table("triangle", _text("c_triangle", lang),
                        [Column("period", _text("c_period", lang)), Column("leads", L("c_leads", lang), "int")]
                        + [Column(f"cell_{d}", _text("c_within", lang, d=d)) for d in TRIANGLE_DAYS],
                        [{"period": r["period"], "leads": r["leads"],
                          **{f"cell_{d}": _cell(r[f"share_{d}"], r[f"estimated_{d}"]) for d in TRIANGLE_DAYS}}
                         for r in triangle.to_dict("records")]))
    tables.append(Table("forecast", _text("t_forecast", lang), [
        Column("horizon_days", _text("c_horizon", lang), "int"), Column("expected_wins", _text("c_expected", lang), "num"),
        Column("low", _text("c_low", lang), "num"), Column("high", _text("c_high", lang), "num"),
        Column("expected_amount", _text("c_amount", lang), "amount"), Column("open_leads", _text("c_open", lang), "int")],
        [dict(r) for r in fcast]))
    tables.append(Table("backtest", _text("t_backtest", lang), [
        Column("period", _text("c_period", lang)), Column("open_leads", _text("c_open", lang), "int"),
        Column("forecast", _text("c_forecast", lang), "num"), Column("low", _text("c_low", lang), "num"),
        Column("high", _text("c_high", lang), "num"), Column("actual", _text("c_actual", lang), "int"),
        Column("naive", _text("c_naive", lang), "int"), Column("note", _text("c_note", lang))],
        [{**r, "note": _text("too_little", lang) if r["too_little_history"] else ""} for r in bt.to_dict("records")]))
    leads = forecast_leads(con, ctx, limit=LEADS_ROWS)
    h = HORIZONS_DAYS[2] if len(HORIZONS_DAYS) > 2 else HORIZONS_DAYS[-1]
    tables.append(Table("forecast_leads", _text("t_leads", lang, n=LEADS_ROWS), [
        Column("lead_id", L("c_lead_id", lang)), Column("source", L("c_source", lang)), Column("rep", L("c_rep", lang)),
        Column("stage", L("c_stage", lang)), Column("age_days", _text("c_age", lang), "int"),
        Column(f"p_{h}", _text("c_p", lang, h=h), "pct")],
        [{**r, "stage": names.get(r["stage"], r["stage"])} for r in leads.to_dict("records")],
        total=last["open_leads"]))
    return Section("forecast", number, _text("title", lang), kpis=kpis, paragraphs=paragraphs, charts=charts,
                   tables=tables)


def _cell(share, estimated) -> str | None:
    if share is None or share != share:
        return None
    return ("≈" if estimated else "") + f"{share * 100:.1f}%"
