"""The review sections of the monthly report (SPEC §7.6): the period bridge with its stage movement, the
changes between the last two uploads, and the attribution with its mix / rate split; one slide each in the
presentation. The figures are those of the Review page and of ``metrics --period P --json`` (the same
functions: ``funnel.metrics.review_*``), the sentences those of ``funnel.review_text``."""

from __future__ import annotations

from funnel import review_charts as rc
from funnel.i18n import t
from funnel.metrics.review_attribution import attribution
from funnel.metrics.review_bridge import bridge
from funnel.metrics.review_changes import GROUPS, upload_changes
from funnel.report.labels import L
from funnel.report.model import ChartItem, Column, Kpi, Section, Table
from funnel.review_text import attribution_sentence, factor_value, mix_sentence, young_sentence

BUCKETS = ("open_start", "new", "won", "lost", "open_end")


def review_sections(con, ctx, period_start, lang: str, names: dict[str, str]) -> list[Section]:
    """[bridge and movement, changes between uploads, attribution] for the ``ctx.grain`` period starting at
    ``period_start`` (numbers are set by the caller)."""
    return [_bridge_section(con, ctx, period_start, lang, names), _changes_section(con, ctx, lang, names),
            _attribution_section(con, ctx, period_start, lang, names)]


def _bridge_section(con, ctx, period_start, lang, names) -> Section:
    b = bridge(con, ctx, period_start)
    title = L("s_bridge", lang)
    if b["after_as_of"]:
        return Section("review_bridge", 0, title,
                       paragraphs=[t("rv_after_as_of", lang, period=b["period"], as_of=ctx.as_of.isoformat())])
    from funnel.metrics.review_period import previous_review_period, review_period

    pb = bridge(con, ctx, previous_review_period(ctx, review_period(ctx, period_start)).start)
    kpis = [Kpi(k, t(f"rv_{k}", lang), b[k], pb[k], "int") for k in BUCKETS]
    paragraphs = [t("rv_bridge_caption", lang, **{k: f"{b[k]:,}" for k in BUCKETS})]
    if b["open_start"] + b["new"] == 0:
        paragraphs.append(t("rv_no_data", lang, period=b["period"]))
        return Section("review_bridge", 0, title, kpis=kpis, paragraphs=paragraphs)
    paragraphs.append(L("bridge_amount", lang, **{k: f"{b['amount'][k]:,.0f}" for k in BUCKETS}))
    for key, n in (("rv_without_amount", b["n_without_amount"]), ("rv_estimated", b["close_estimated"]),
                   ("rv_undated", b["undated"])):
        if n:
            paragraphs.append(t(key, lang, n=f"{n:,}"))
    charts = [ChartItem("bridge", L("s_bridge", lang), rc.bridge_waterfall(b, lang, "count")),
              ChartItem("movement", t("rv_movement_title", lang), rc.movement_heat_table(b, names, lang),
                        caption=t("rv_movement_caption", lang))]
    rows = [{"from": t("rv_new", lang) if r["from_kind"] == "new" else names.get(r["from"], r["from"]),
             "leads": r["leads"], **{m: r[m] for m in ("advanced", "stayed", "slipped", "closed_lost")}}
            for r in b["rows"]]
    table = Table("movement_rows", t("rv_movement_title", lang), [
        Column("from", t("rv_from", lang)), Column("leads", t("rv_row_total", lang), "int"),
        *[Column(m, t(f"rv_{m}", lang), "int") for m in ("advanced", "stayed", "slipped", "closed_lost")]], rows)
    return Section("review_bridge", 0, title, kpis=kpis, paragraphs=paragraphs, charts=charts, tables=[table])


def _changes_section(con, ctx, lang, names) -> Section:
    ch = upload_changes(con, ctx)
    title = t("rv_changes_title", lang)
    if ch["from"] is None or ch["to"] is None:
        text = t("rv_changes_none", lang) if not ch["lead_imports"] else \
            t("rv_changes_only_one", lang, file=ch["to_file"] or "—")
        return Section("review_changes", 0, title, paragraphs=[text])
    para = t("rv_changes_caption", lang, from_file=ch["from_file"],
             from_at=str(ch["from_at"])[:16].replace("T", " "), to_file=ch["to_file"],
             to_at=str(ch["to_at"])[:16].replace("T", " "),
             amount=f"{ch['amount_change']:+,.0f}", n=f"{ch['n_amount_both']:,}")
    rows = [{"group": t(f"chg_{g}", lang), "leads": ch["counts"][g]} for g in GROUPS]
    table = Table("upload_changes", title, [Column("group", t("rv_change_group", lang)),
                                            Column("leads", t("col_leads", lang), "int")], rows)
    return Section("review_changes", 0, title, paragraphs=[para], tables=[table])


def _attribution_section(con, ctx, period_start, lang, names) -> Section:
    a = attribution(con, ctx, period_start)
    title = t("rv_attr_title", lang)
    paragraphs = [attribution_sentence(a, names, lang),
                  t("rv_attr_caption", lang, period=a["period"], previous=a["previous"])]
    young = young_sentence(a, lang)
    if young:
        paragraphs.append(young)
    for dim in ("source", "rep", "manager", "team"):
        sentence = mix_sentence(a, dim, lang)
        if sentence:
            paragraphs.append(f"{t(dim + 's', lang)}：{sentence}" if lang == "zh" else f"{t(dim + 's', lang)}: {sentence}")
    if not a["mix"]:
        paragraphs.append(t("rv_mix_empty", lang))
    kpis = [Kpi("won_w", L("k_w", lang), a["won"], a["won_previous"], "num"),
            Kpi("cohort", L("k_leads", lang), a["leads"], a["leads_previous"], "int"),
            Kpi("conversion", L("k_overall", lang), a["conversion"], a["conversion_previous"], "pct")]
    charts = [ChartItem("attribution", title, rc.attribution_bars(a, names, lang))]
    if any(m["segment_by"] == "source" for m in a["mix"]):
        charts.append(ChartItem("mix_source", t("rv_mix_title", lang), rc.mix_rate_bars(a["mix"], lang, "source")))
    factor_rows = [{"factor": rc.factor_label(f, names, lang), "before": factor_value(f, f["before"]),
                    "after": factor_value(f, f["after"]), "contribution": f["contribution"]} for f in a["factors"]]
    factors = Table("attribution_factors", title, [
        Column("factor", t("rv_factor", lang)), Column("before", t("rv_before", lang)),
        Column("after", t("rv_after", lang)), Column("contribution", t("rv_contribution", lang), "num")],
        factor_rows)
    none = t("unspecified", lang)
    mix_rows = [{"dim": t(m["segment_by"] + "s", lang), "segment": none if m["segment"] is None else m["segment"],
                 "leads_previous": m["leads_previous"], "leads": m["leads"],
                 "conversion_previous": m["conversion_previous"], "conversion": m["conversion"],
                 "mix": m["mix"], "rate": m["rate"]} for m in a["mix"]]
    mix = Table("attribution_mix", t("rv_mix_title", lang), [
        Column("dim", t("rv_segment_by", lang)), Column("segment", t("rv_segment", lang)),
        Column("leads_previous", f"{t('col_leads', lang)} ({t('rv_before', lang)})", "int"),
        Column("leads", f"{t('col_leads', lang)} ({t('rv_after', lang)})", "int"),
        Column("conversion_previous", f"{t('col_conversion', lang)} ({t('rv_before', lang)})", "pct"),
        Column("conversion", f"{t('col_conversion', lang)} ({t('rv_after', lang)})", "pct"),
        Column("mix", t("rv_mix", lang), "pp"), Column("rate", t("rv_rate", lang), "pp")], mix_rows)
    return Section("review_attribution", 0, title, kpis=kpis, paragraphs=paragraphs, charts=charts,
                   tables=[factors, mix])
