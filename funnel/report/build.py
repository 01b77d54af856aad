"""``build_report``: the figures of a period (its acquisition cohort) beside the previous period's, what
happened inside the period whatever the acquisition date, the follow-up lists as of the period's end,
and suggested actions, as a format-neutral ``ReportData``.

Three metric contexts, all the caller's resolved ``MetricContext`` with another filter (and as-of date):
- current: acquisition date range = the period; as-of = the caller's;
- previous: acquisition date range = the period before; same as-of;
- follow-up: leads acquired up to the period's end; as-of = the period's end, or the as-of when earlier.
Every figure of sections 1–5 is ``funnel.metrics.figures`` (SPEC §5) of the current / previous context;
the charts and the extra tables come from the metric functions with the same contexts, so the report,
the dashboard and ``python -m funnel metrics`` cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pandas as pd

from funnel import charts
from funnel import metrics as M
from funnel.i18n import t
from funnel.metrics.context import MetricContext
from funnel.metrics.review import cohort_age, data_span, window_coverage
from funnel.report import activity
from funnel.report.actions import suggest_actions
from funnel.report.forecast_section import forecast_section
from funnel.report.labels import L
from funnel.report.model import (ChartItem, Column, Kpi, ReportData, Section, Table, fmt_value,
                                 frame_rows)
from funnel.periods import Period, parse_period
from funnel.report.review_sections import review_sections

PRINT_ROWS = 40  # longest list printed in HTML / PDF; the XLSX holds every row


def _get(d: dict | None, *path, default=None):
    cur: Any = d
    for key in path:
        if not isinstance(cur, dict) or key not in cur:
            return default
        cur = cur[key]
    return cur


def _stage_names(ctx, lang: str) -> dict[str, str]:
    return {s.key: s.name(lang) for s in ctx.stages.stages}


def _or_unspecified(value, lang: str):
    """A leaderboard name; None (not given in the data) shows as the one blank word (t("unspecified"))."""
    return t("unspecified", lang) if value is None else value


def _named(stages: list[dict], names: dict[str, str]) -> list[dict]:
    """The figures' stage rows with ``name`` in the report's language (figures carry the Chinese name)."""
    return [{**s, "name": names.get(s.get("key"), s.get("name"))} for s in stages]


def _cut(table: Table) -> Table:
    """Keep the first PRINT_ROWS rows for HTML / PDF; ``full_rows`` keeps all of them for the XLSX."""
    if len(table.rows) > PRINT_ROWS:
        table.full_rows = table.rows
        table.rows = table.rows[:PRINT_ROWS]
    return table


def _section_1(figs, pfigs, act, period: Period, lang: str, names: dict[str, str], as_of) -> Section:
    c, p = figs.get("cohort", {}), pfigs.get("cohort", {})
    kpis = [
        Kpi("leads", L("k_leads", lang), c.get("leads"), p.get("leads"), "int"),
        Kpi("won", L("k_won", lang), c.get("won"), p.get("won"), "int"),
        Kpi("overall_conversion", L("k_overall", lang), figs.get("overall_conversion"),
            pfigs.get("overall_conversion"), "pct"),
        Kpi("win_rate", L("k_win_rate", lang), figs.get("win_rate"), pfigs.get("win_rate"), "pct"),
        Kpi("median_cycle_days", L("k_cycle", lang), _get(figs, "cycle_days", "median"),
            _get(pfigs, "cycle_days", "median"), "days"),
        Kpi("won_in_period", L("k_won_in", lang), act["won"]["count"], act["prev_won"]["count"], "int"),
        Kpi("lost_in_period", L("k_lost_in", lang), act["lost"]["count"], act["prev_lost"]["count"], "int"),
    ]
    if act["won"]["amount"] is not None or act["prev_won"]["amount"] is not None:
        kpis.append(Kpi("won_amount_in_period", L("k_amount_in", lang), act["won"]["amount"],
                        act["prev_won"]["amount"], "amount"))
    paragraphs = [L("cohort_note", lang, as_of=as_of.isoformat()),
                  L("activity_note", lang, won=act["won"]["count"], won_early=act["won"]["from_earlier"],
                    lost=act["lost"]["count"], lost_early=act["lost"]["from_earlier"])]
    if act["lost"]["undated_lost"]:
        paragraphs.append(L("undated_lost_note", lang, n=act["lost"]["undated_lost"]))
    entries = act["entries"]
    prev_entries = dict(zip(act["prev_entries"]["stage"], act["prev_entries"]["entries"]))
    rows = [{"stage": names.get(r["stage"], r["stage"]), "entries": int(r["entries"]), "leads": int(r["leads"]),
             "prev": int(prev_entries.get(r["stage"], 0))} for r in frame_rows(entries)]
    table = Table("stage_entries_in_period", L("t_entries", lang),
                  [Column("stage", L("c_stage", lang)), Column("entries", L("c_entries", lang), "int"),
                   Column("leads", L("c_leads", lang), "int"),
                   Column("prev", f"{L('previous', lang)} · {L('c_entries', lang)}", "int")], rows)
    return Section("headline", 1, L("s1", lang), kpis=kpis, paragraphs=paragraphs, tables=[table])


def _review_notes(section: Section, con, maturity: dict, coverage: str, prev: Period, lang: str,
                  as_of: dt.date) -> None:
    """Section 1 says when the period's cohort is young, and drops the comparison (arrows and previous
    values) when the data does not wholly cover the previous period."""
    if coverage != "full":
        for kpi in section.kpis:
            kpi.compare = False
        for table in section.tables:
            for row in table.rows:
                if "prev" in row:
                    row["prev"] = None
        start = data_span(con)[0]
        section.paragraphs.insert(0, L("prev_none" if coverage == "none" else "prev_partial", lang,
                                       prev=prev.title(lang), start=start.isoformat() if start else "—"))
    if maturity.get("young"):
        section.paragraphs.insert(0, L("young_note", lang, as_of=as_of.isoformat(),
                                       age=fmt_value(maturity["median_age_days"], "days"),
                                       cycle=fmt_value(maturity["median_cycle_days"], "days")))


def _section_2(con, ctx, figs, pfigs, lang: str, names: dict[str, str]) -> Section:
    stages = _named(figs.get("stages", []), names)
    prev_step = {s.get("key"): s.get("step_conversion") for s in pfigs.get("stages", [])}
    rows = [{"stage": s.get("name"), "reached": s.get("reached"), "step": s.get("step_conversion"),
             "prev_step": prev_step.get(s.get("key")), "dropped": s.get("dropped"), "open": s.get("open")}
            for s in stages]
    table = Table("stage_conversion", L("t_funnel", lang), [
        Column("stage", L("c_stage", lang)), Column("reached", L("c_reached", lang), "int"),
        Column("step", L("c_step", lang), "pct"), Column("prev_step", L("c_step_prev", lang), "pct"),
        Column("dropped", L("c_dropped", lang), "int"), Column("open", L("c_open", lang), "int")], rows)
    frame = M.stage_funnel(con, ctx)
    chart = ChartItem("funnel", charts.label("funnel", lang),
                      charts.funnel_chart(frame, lang) if len(frame) else None)
    paragraphs = []
    neck = figs.get("bottleneck")
    sentence = neck.get("sentence_zh" if lang == "zh" else "sentence_en") if isinstance(neck, dict) else None
    if sentence:
        paragraphs.append(sentence)
    return Section("conversion", 2, L("s2", lang), paragraphs=paragraphs,
                   charts=[chart] if chart.chart is not None else [], tables=[table])


def _section_3(con, ctx, figs, lang: str, names: dict[str, str]) -> Section:
    stages = _named(figs.get("stages", []), names)
    expected = {s.key: s.expected_days for s in ctx.stages.stages}
    times = M.time_in_stage(con, ctx)
    rows = []
    for s in stages:
        t = s.get("time_in_stage_days") or {}
        rows.append({"stage": s.get("name"), "n": t.get("n", 0), "q1": t.get("q1"), "median": t.get("median"),
                     "q3": t.get("q3"), "mean": t.get("mean"), "in_progress": s.get("in_progress"),
                     "expected": expected.get(s.get("key"))})
    table = Table("time_in_stage", L("t_time", lang), [
        Column("stage", L("c_stage", lang)), Column("n", L("c_n", lang), "int"),
        Column("q1", L("c_q1", lang), "days"), Column("median", L("c_median", lang), "days"),
        Column("q3", L("c_q3", lang), "days"), Column("mean", L("c_mean", lang), "days"),
        Column("in_progress", L("c_in_progress", lang), "int"),
        Column("expected", L("c_expected", lang), "days")], rows)
    cyc = figs.get("cycle_days") or {}
    paragraphs = [L("time_note", lang)]
    if cyc.get("n"):
        reported = L("cycle_reported", lang, k=cyc.get("n_reported")) if cyc.get("n_reported") else ""
        paragraphs.append(L("cycle_sentence", lang, median=fmt_value(cyc.get("median"), "days"),
                            q1=fmt_value(cyc.get("q1"), "days"), q3=fmt_value(cyc.get("q3"), "days"),
                            mean=fmt_value(cyc.get("mean"), "days"), n=cyc.get("n"), reported=reported))
    else:
        paragraphs.append(L("cycle_none", lang))
    chart_items = [ChartItem("time_in_stage", charts.label("time_in_stage", lang),
                             charts.time_in_stage_boxplot(times, lang))]
    dist = M.cycle_distribution(con, ctx)
    if dist is not None and len(dist) and cyc.get("n"):
        chart_items.append(ChartItem("cycle", charts.label("cycle", lang),
                                     charts.cycle_histogram(dist, lang, median=cyc.get("median"))))
    return Section("cycle", 3, L("s3", lang), paragraphs=paragraphs, charts=chart_items, tables=[table])


def _section_4(con, ctx, figs, lang: str, names: dict[str, str]) -> Section:
    reasons = figs.get("loss_reasons") or []
    paragraphs = []
    if reasons:
        items = ("、" if lang == "zh" else "; ").join(
            L("top_item", lang, reason=r["reason"], count=r["count"], share=fmt_value(r["share"], "pct"))
            for r in reasons[:3])
        paragraphs.append(L("top3", lang, items=items))
    else:
        paragraphs.append(L("no_loss", lang))
    table = Table("loss_reasons", L("t_loss", lang), [
        Column("reason", L("c_reason", lang)), Column("count", L("c_count", lang), "int"),
        Column("share", L("c_share", lang), "pct"), Column("cumulative_share", L("c_cum", lang), "pct")],
        [dict(r) for r in reasons])
    tables = [_cut(table)]
    by_stage = M.loss_by_stage(con, ctx)
    if by_stage is not None and len(by_stage):
        tables.append(_generic_table("loss_by_stage", L("t_loss_stage", lang), by_stage, lang, names))
    chart_items = []
    if reasons:
        chart_items.append(ChartItem("pareto", charts.label("pareto", lang),
                                     charts.pareto_chart(pd.DataFrame(reasons), lang)))
    return Section("loss", 4, L("s4", lang), paragraphs=paragraphs, charts=chart_items, tables=tables)


def _section_5(figs, lang: str) -> Section:
    reps = figs.get("reps") or []
    team = figs.get("overall_conversion")
    rows = []
    for r in reps:
        ci = r.get("conversion_ci") or [None, None]
        rows.append({**r, "rep": _or_unspecified(r.get("rep"), lang), "ci_low": ci[0], "ci_high": ci[1]})
    rep_table = Table("reps", L("t_reps", lang), [
        Column("rep", L("c_rep", lang)), Column("leads", L("c_leads", lang), "int"),
        Column("won", L("c_won", lang), "int"), Column("lost", L("c_lost", lang), "int"),
        Column("conversion", L("c_conversion", lang), "pct"), Column("ci_low", L("c_ci_low", lang), "pct"),
        Column("ci_high", L("c_ci_high", lang), "pct"), Column("win_rate", L("c_win_rate", lang), "pct"),
        Column("median_cycle_days", L("c_cycle", lang), "days"), Column("stalled", L("c_stalled", lang), "int")],
        rows)
    src_rows = []
    for r in figs.get("sources") or []:
        ci = r.get("conversion_ci") or [None, None]
        src_rows.append({**r, "source": _or_unspecified(r.get("source"), lang), "ci_low": ci[0], "ci_high": ci[1]})
    src_cols = [Column("source", L("c_source", lang)), Column("leads", L("c_leads", lang), "int"),
                Column("won", L("c_won", lang), "int"), Column("conversion", L("c_conversion", lang), "pct")]
    if any(r.get("ci_low") is not None for r in src_rows):
        src_cols += [Column("ci_low", L("c_ci_low", lang), "pct"), Column("ci_high", L("c_ci_high", lang), "pct")]
    src_table = Table("sources", L("t_sources", lang), src_cols, src_rows)
    chart_items = []
    if rows:
        frame = pd.DataFrame([{"rep": r["rep"], "leads": r["leads"], "won": r["won"], "conversion": r["conversion"],
                               "conversion_ci_low": r["ci_low"], "conversion_ci_high": r["ci_high"]} for r in rows],
                             columns=["rep", "leads", "won", "conversion", "conversion_ci_low", "conversion_ci_high"])
        chart_items.append(ChartItem("leaderboard", charts.label("leaderboard", lang),
                                     charts.leaderboard_ci_chart(frame, lang, team_rate=team, by="rep")))
    return Section("team", 5, L("s5", lang), paragraphs=[L("reps_note", lang, team=fmt_value(team, "pct"))],
                   charts=chart_items, tables=[_cut(rep_table), _cut(src_table)])


# The columns of the frames shown as generic tables (loss_by_stage and the follow-up lists,
# funnel.metrics.columns): their headers, and the ones left out.
_GENERIC_HEADERS = {
    "lead_id": "c_lead_id", "customer": "c_customer", "rep": "c_rep", "source": "c_source", "stage": "c_stage",
    "idle_days": "c_idle", "days_in_stage": "c_days_in_stage", "expected_days": "c_expected",
    "expected_close": "c_expected_close", "days_past": "c_days_past", "lost": "c_dropped", "count": "c_count",
    "share": "c_share", "dropped": "c_dropped", "leads": "c_leads", "reached": "c_reached",
    "last_activity_at": "c_last_activity", "entered_at": "c_entered_at", "overdue_days": "c_over",
    "loss_rate": "c_loss_rate", "top_reason": "c_top_reason",
}
_GENERIC_HIDDEN = frozenset({"order", "name_zh", "name_en", "manager", "team", "status"})


def _generic_table(key: str, title: str, df: pd.DataFrame, lang: str, names: dict[str, str]) -> Table:
    """A metric frame with a ``stage`` key column (loss_by_stage, the follow-up lists) as a table: known
    columns get translated headers and kinds; stage keys become names."""
    rows = frame_rows(df)
    columns = []
    for col in df.columns:
        if col in _GENERIC_HIDDEN:
            continue
        series = df[col]
        if pd.api.types.is_datetime64_any_dtype(series):
            kind = "date"
        elif pd.api.types.is_bool_dtype(series):
            kind = "text"
        elif pd.api.types.is_integer_dtype(series):
            kind = "int"
        elif pd.api.types.is_float_dtype(series):
            kind = "pct" if any(w in col for w in ("share", "rate", "conversion")) else "days"
        else:
            kind = "text"
        header = L(_GENERIC_HEADERS[col], lang) if col in _GENERIC_HEADERS else col
        columns.append(Column(col, header, kind))
    for r in rows:
        r["stage"] = names.get(r["stage"], r["stage"])
    return _cut(Table(key, title, columns, rows))


def _section_6(con, fctx, lang: str, names: dict[str, str], list_limit: int | None = None) -> Section:
    """The follow-up lists at the period's end. ``list_limit``: fetch only the first rows of each list (the
    counts stay whole, in the KPIs and in ``Table.total``); None fetches every row (the XLSX holds them)."""
    counts = M.followup_counts(con, fctx)
    stalled = M.stalled_leads(con, fctx, list_limit)
    overdue = M.overdue_leads(con, fctx, list_limit)
    past = M.past_expected_close(con, fctx, list_limit)
    kpis = [Kpi("stalled", L("k_stalled", lang), counts["stalled"], compare=False),
            Kpi("overdue", L("k_overdue", lang), counts["overdue"], compare=False),
            Kpi("past_close", L("k_past_close", lang), counts["past_expected_close"], compare=False)]
    tables = [_generic_table("stalled", L("t_stalled", lang, n=fctx.stalled_days), stalled, lang, names),
              _generic_table("overdue", L("t_overdue", lang), overdue, lang, names),
              _generic_table("past_expected_close", L("t_past_close", lang), past, lang, names)]
    for table, key in zip(tables, ("stalled", "overdue", "past_expected_close")):
        table.total = counts[key]
    para = L("followup_note", lang, as_of=fctx.as_of.isoformat())
    return Section("followup", 6, L("s6", lang), kpis=kpis, paragraphs=[para], tables=tables)


FIGURE_LIST_LIMIT = 0  # rows of the lead lists kept in ReportData.figures / previous_figures


def build_report(con, ctx: MetricContext, period: str = "", grain: str | None = None, lang: str = "zh",
                 now: dt.datetime | None = None, list_limit: int | None = None) -> ReportData:
    """The report of ``period`` ('2024-03', '2024-Q1', '2024-W10'; ``grain`` inferred from it when None)
    for the leads that pass ``ctx.filter`` (its own date range is replaced by the period), in ``lang``.
    ``ctx`` is the one resolved context (``resolve_context``): its as-of date, stalled threshold, skip rule
    and stages hold for every figure. ``list_limit`` fetches only the first rows of the follow-up lists
    (a screen; the files need None)."""
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be zh or en, got {lang!r}")
    flt = ctx.filter
    per = parse_period(period, grain)
    prev = per.previous()
    cur_f = replace(flt, date_from=per.start, date_to=per.end)
    prev_f = replace(flt, date_from=prev.start, date_to=prev.end)
    fu_as_of = min(per.end, ctx.as_of)
    pctx = replace(ctx, filter=prev_f, grain=per.grain)
    fctx = replace(ctx, filter=replace(flt, date_from=None, date_to=per.end), as_of=fu_as_of, grain=per.grain)
    ctx = replace(ctx, filter=cur_f, grain=per.grain)
    # Sections 1-5 use the figures' numbers, never their lead lists (section 6 fetches its own, as of the
    # period's end), so the lists are left empty: at 1M leads the full ones were 170k row dicts (~80 MiB)
    # held by every cached presentation report (docs/load.md, run 9). Their *_count fields stay whole.
    figs = M.figures(con, ctx, list_limit=FIGURE_LIST_LIMIT)
    pfigs = M.figures(con, pctx, list_limit=FIGURE_LIST_LIMIT)
    act = {
        "won": activity.won_in_period(con, flt, per.start, per.end),
        "lost": activity.lost_in_period(con, flt, per.start, per.end),
        "entries": activity.stage_entries_in_period(con, flt, per.start, per.end),
        "prev_won": activity.won_in_period(con, flt, prev.start, prev.end),
        "prev_lost": activity.lost_in_period(con, flt, prev.start, prev.end),
        "prev_entries": activity.stage_entries_in_period(con, flt, prev.start, prev.end),
    }
    names = _stage_names(ctx, lang)
    # Review periods (docs/metrics.md): a cohort too young to judge gives no advice; a previous period the
    # data does not (wholly) cover gives no comparison.
    maturity = cohort_age(con, ctx)
    coverage = window_coverage(con, prev.start, prev.end)
    compared = pfigs if coverage == "full" else {}
    first = _section_1(figs, pfigs, act, per, lang, names, ctx.as_of)
    _review_notes(first, con, maturity, coverage, prev, lang, ctx.as_of)
    sections = [
        first,
        _section_2(con, ctx, figs, compared, lang, names),
        _section_3(con, ctx, figs, lang, names),
        _section_4(con, ctx, figs, lang, names),
        _section_5(figs, lang),
        _section_6(con, fctx, lang, names, list_limit),
    ]
    followup = sections[-1]
    sections.extend(review_sections(con, ctx, per.start, lang, names))  # SPEC §7.6: bridge, changes, attribution
    sections.append(forecast_section(con, ctx, pctx, lang, names, len(sections) + 1))
    named = {**figs, "stages": _named(figs.get("stages", []), names)}
    actions = suggest_actions(named, compared, ctx, followup, lang)
    if maturity.get("young"):
        # only what the follow-up lists (as of the period's end) support; nothing from the young cohort
        actions = [a for a in actions if a.key == "stalled"]
        intro = L("young_actions", lang, age=fmt_value(maturity["median_age_days"], "days"),
                  cycle=fmt_value(maturity["median_cycle_days"], "days"))
    else:
        intro = L("actions_intro", lang) if actions else L("no_actions", lang)
    sections.append(Section("actions", 7, L("s7", lang), paragraphs=[intro], actions=actions))
    for number, section in enumerate(sections, start=1):
        section.number = number
    undated = _get(figs, "cohort", "undated") or 0
    meta = [L("meta_asof", lang, as_of=ctx.as_of.isoformat(), followup=fu_as_of.isoformat()),
            L("meta_filter", lang, filter=cur_f.describe(lang))]
    if undated:
        meta.append(L("meta_undated", lang, n=undated))
    when = (now or dt.datetime.now()).strftime("%Y-%m-%d %H:%M")
    meta.append(L("generated", lang, when=when))
    subtitle = L("subtitle", lang, period=per.title(lang), start=per.start.isoformat(), end=per.end.isoformat(),
                 prev=prev.title(lang))
    return ReportData(lang=lang, title=L("report_title", lang), subtitle=subtitle, meta=meta, period=per,
                      previous_period=prev, as_of=ctx.as_of, followup_as_of=fu_as_of, filter=cur_f,
                      figures=figs, previous_figures=pfigs, activity=act, sections=sections,
                      maturity=maturity, previous_coverage=coverage)
