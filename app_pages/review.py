"""Review (复盘): what moved this period and why the result differs from the period before (SPEC §7.1–7.3).

The sidebar's filters apply (attribute filters; the period replaces the acquisition date range), the period
is the view's grain period picked here (``?period=2024-05`` in the link; default: the last whole period, as
the presentation and the report picker open). Sections: the period bridge (waterfall, count / amount), the stage movement matrix (heat
table), the changes between two uploads, the attribution (signed bars and one sentence) and the mix / rate
split per source, rep, manager and team. Every number can be opened as the list of its leads (the count
shown equals the rows listed; the page draws the first LIST_ROWS, the download holds all).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from funnel import metrics as M
from funnel import review_charts as rc
from funnel.formats import fmt_days, fmt_num
from funnel.i18n import t
from funnel.metrics.review_changes import GROUPS, lead_import_list
from funnel.metrics.review import last_whole_period
from funnel.metrics.review_period import review_period
from funnel.metrics.trends import next_period, period_label, period_start
from funnel.periods import parse_period
from funnel.review_text import attribution_sentence, factor_value, mix_sentence, young_sentence
from app_pages import _page, _sidebar, _store, _widgets

LIST_ROWS = 1_000
BUCKETS = ("open_start", "new", "won", "lost", "open_end")

v = _page.page_header("page_review")
_page.require_data(v)
lang = v.lang
ctx = v.ctx
stage_names = {s.key: s.name(lang) for s in v.stages.stages}


def _periods() -> list[dt.date]:
    """First days of the grain periods from the earliest acquisition to the as-of date, newest first."""
    low = _sidebar.options().get("min_acquired") or ctx.as_of
    first = period_start(min(low, ctx.as_of), ctx.grain)
    out = []
    day = first
    while day <= ctx.as_of and len(out) < 400:
        out.append(day)
        day = next_period(day, ctx.grain)
    return out[::-1] or [period_start(ctx.as_of, ctx.grain)]


def _picked_period(choices: list[dt.date]) -> dt.date:
    raw = st.query_params.get("period")
    if raw:
        try:
            p = parse_period(raw)
            day = period_start(p.start, ctx.grain)
            if day not in choices:
                choices.insert(0, day)
            return day
        except ValueError:
            _widgets.info(f"period={raw} ✗")
    return last_whole_period(ctx.as_of, ctx.grain)[0]  # as the presentation and the report picker open


choices = _periods()
default = _picked_period(choices)
if default not in choices:  # the last whole period may lie before the first acquisition
    choices = sorted(set(choices) | {default}, reverse=True)
period_day = st.selectbox(t("rv_period", lang), choices, index=choices.index(default),
                          format_func=lambda d: period_label(d, ctx.grain), key=f"rv_period_{ctx.grain}")
label = period_label(period_day, ctx.grain)
if st.query_params.get("period") != label:
    st.query_params["period"] = label
p = review_period(ctx, period_day)
_widgets.caption(t("rv_intro", lang, period=p.label, start=p.start.isoformat(), end=p.end.isoformat(),
                   filter=(v.chosen or ctx.filter).describe(lang)))


def state_word(state) -> str:
    return t(f"state_{state}", lang) if isinstance(state, str) else "—"


LIST_COLUMNS = {"lead_id": "col_lead_id", "customer": "col_customer", "source": "col_source", "rep": "col_rep",
                "manager": "col_manager", "team": "col_team", "acquired_on": "col_acquired_on",
                "acquired_at": "col_acquired_at", "status": "col_status", "state_start": "col_state_start",
                "stage_start": "col_stage_start", "state_end": "col_state_end", "stage_end": "col_stage_end",
                "close_date": "col_close_date", "close_estimated": "col_close_estimated",
                "furthest_stage": "col_furthest_stage", "amount": "col_amount",
                "stage_a": "col_stage_a", "stage_b": "col_stage_b", "status_a": "col_status_a",
                "status_b": "col_status_b", "amount_a": "col_amount_a", "amount_b": "col_amount_b",
                "close_a": "col_close_a", "close_b": "col_close_b", "rep_a": "col_rep_a", "rep_b": "col_rep_b",
                "groups": "col_groups"}


# Per lead list (funnel.metrics.columns: BRIDGE_LEADS, ATTRIBUTION_LEADS, UPLOAD_CHANGE_LEADS): its stage-key
# columns, its state columns, and whether it has the change groups.
LIST_KINDS = {
    M.bridge_leads: (("stage_start", "stage_end"), ("state_start", "state_end"), False),
    M.attribution_leads: (("furthest_stage",), (), False),
    M.upload_change_leads: (("stage_a", "stage_b"), (), True),
}


def prepare(frame: pd.DataFrame, fn) -> pd.DataFrame:
    """A lead list of ``fn`` as shown and downloaded: stage names, state words, localized headers."""
    stage_columns, state_columns, groups = LIST_KINDS[fn]
    frame = frame.copy()
    for column in stage_columns:
        frame[column] = [_widgets.stage_name(k, v) if isinstance(k, str) else None for k in frame[column]]
    for column in state_columns:
        frame[column] = [state_word(s) for s in frame[column]]
    if groups:
        sep = t("list_sep", lang)
        frame["groups"] = [sep.join(t(f"chg_{g}", lang) for g in str(x).split(",") if g) for x in frame["groups"]]
    return _widgets.localized(frame, LIST_COLUMNS, v)


def lead_list(fn, total: int, caption: str, key: str, **kwargs) -> None:
    """The list behind one number: its caption with the count, the first LIST_ROWS rows, the download."""
    _widgets.caption(t("rv_list_caption", lang, label=caption, n=fmt_num(total)))
    if not total:
        return
    shown = prepare(_store.metric(fn, limit=LIST_ROWS, **kwargs), fn)
    if total > len(shown):
        _widgets.caption(t("rv_first_rows", lang, shown=fmt_num(len(shown)), total=fmt_num(total)))
    _widgets.table(shown, key=f"{key}_table", height=min(420, 38 + 35 * len(shown)))
    full = _store.metric_later(fn, **kwargs)
    _widgets.download_table(lambda: prepare(full(), fn), f"{key}_{p.label}", f"{key}_dl")


def pick_number(options: list[tuple[str, int, dict]], key: str, fn) -> None:
    """A select box of every number of a section ('期初未结束 · 12'); the chosen one's leads below."""
    if not options:
        return
    labels = [f"{text} · {fmt_num(n)}" for text, n, _ in options]
    with st.expander(t("rv_show_leads", lang), icon=":material/list:"):
        index = st.selectbox(t("rv_pick", lang), range(len(options)), format_func=lambda i: labels[i],
                             key=f"{key}_pick")
        text, n, kwargs = options[index]
        lead_list(fn, n, text, key, **kwargs)


# --- 1. period bridge -----------------------------------------------------------------------------------
st.subheader(t("rv_bridge_title", lang))
b = _store.metric(M.bridge, period=period_day)
if b["after_as_of"]:
    _widgets.info(t("rv_after_as_of", lang, period=p.label, as_of=ctx.as_of.isoformat()))
    st.stop()
if p.clipped:
    _widgets.caption(t("rv_clipped", lang, end=p.end.isoformat()))
if b["open_start"] + b["new"] == 0:
    _widgets.info(t("rv_no_data", lang, period=p.label))
else:
    measure = st.radio(t("rv_measure", lang), ("count", "amount"), horizontal=True, key="rv_measure",
                       format_func=lambda m: t(f"rv_measure_{m}", lang))
    _widgets.show_chart(rc.bridge_waterfall(b, lang, measure), f"bridge_{p.label}", "rv_bridge")
    if measure == "amount":
        values = {k: fmt_num(b["amount"][k]) for k in BUCKETS}
    else:
        values = {k: fmt_num(b[k]) for k in BUCKETS}
    _widgets.caption(t("rv_bridge_caption", lang, **values))
    for key, n in (("rv_without_amount", b["n_without_amount"]), ("rv_estimated", b["close_estimated"]),
                   ("rv_undated", b["undated"])):
        if n:
            _widgets.caption(t(key, lang, n=fmt_num(n)))
    options = [(t(f"rv_{k}", lang), int(b[k]), {"period": period_day, "bucket": k}) for k in BUCKETS]
    options.append((t("rv_without_amount", lang, n="").strip("。. "), int(b["n_without_amount"]),
                    {"period": period_day, "without_amount": True}))
    options.append((t("col_close_estimated", lang), int(b["close_estimated"]),
                    {"period": period_day, "estimated": True}))
    pick_number(options, "rv_bridge", M.bridge_leads)

    # --- 2. stage movement ------------------------------------------------------------------------------
    st.subheader(t("rv_movement_title", lang))
    _widgets.show_chart(rc.movement_heat_table(b, stage_names, lang), f"movement_{p.label}", "rv_movement")
    _widgets.caption(t("rv_movement_caption", lang))

    def from_name(row) -> str:
        return t("rv_new", lang) if row["from_kind"] == "new" else stage_names.get(row["from"], row["from"])

    rows = pd.DataFrame(b["rows"], columns=["from", "from_kind", "leads", "advanced", "stayed", "slipped",
                                            "closed_lost"])
    shown = pd.DataFrame({t("rv_from", lang): [from_name(r) for _, r in rows.iterrows()],
                          t("rv_row_total", lang): rows["leads"].astype(int),
                          **{t(f"rv_{m}", lang): rows[m].astype(int)
                             for m in ("advanced", "stayed", "slipped", "closed_lost")}})
    _widgets.table(shown, key="rv_rows_table")
    _widgets.download_table(shown, f"movement_{p.label}", "rv_rows_dl")
    options = []
    for _, r in rows.iterrows():
        for m in ("advanced", "stayed", "slipped", "closed_lost"):
            if r[m]:
                options.append((f"{from_name(r)} · {t(f'rv_{m}', lang)}", int(r[m]),
                                {"period": period_day, "from_": r["from"], "move": m}))
    for cell in b["matrix"]:
        to = (stage_names.get(cell["to"], cell["to"]) if cell["to_kind"] == "stage" else t(f"rv_{cell['to_kind']}", lang))
        frm = t("rv_new", lang) if cell["from_kind"] == "new" else stage_names.get(cell["from"], cell["from"])
        options.append((f"{frm} → {to}", int(cell["leads"]), {"period": period_day, "from_": cell["from"],
                                                              "to": cell["to"]}))
    pick_number(options, "rv_movement", M.bridge_leads)

# --- 3. attribution -------------------------------------------------------------------------------------
st.subheader(t("rv_attr_title", lang))
a = _store.metric(M.attribution, period=period_day)
_widgets.info(attribution_sentence(a, stage_names, lang))
_widgets.show_chart(rc.attribution_bars(a, stage_names, lang), f"attribution_{p.label}", "rv_attr")
_widgets.caption(t("rv_attr_caption", lang, period=a["period"], previous=a["previous"]))
if young_sentence(a, lang):
    _widgets.caption(young_sentence(a, lang))
_widgets.caption(t("rv_ages", lang, age=fmt_days(a["median_age_days"]),
                   age_previous=fmt_days(a["median_age_days_previous"])))


factors = pd.DataFrame({t("rv_factor", lang): [rc.factor_label(f, stage_names, lang) for f in a["factors"]],
                        t("rv_before", lang): [factor_value(f, f["before"]) for f in a["factors"]],
                        t("rv_after", lang): [factor_value(f, f["after"]) for f in a["factors"]],
                        t("rv_contribution", lang): [round(f["contribution"], 1) for f in a["factors"]]})
_widgets.table(factors, key="rv_factor_table")
options = [(f"{t('rv_cohort', lang)} {a['period']}", int(a["leads"]), {"period": period_day}),
           (f"{t('rv_cohort', lang)} {a['period']} · {t('rv_reached_won', lang)}", int(a["reached_won"]),
            {"period": period_day, "reached": ctx.stages.won_stage.key}),
           (f"{t('rv_cohort_previous', lang)} {a['previous']}", int(a["leads_previous"]),
            {"period": period_day, "which": "previous"}),
           (f"{t('rv_cohort_previous', lang)} {a['previous']} · {t('rv_reached_won', lang)}",
            int(a["reached_won_previous"]),
            {"period": period_day, "which": "previous", "reached": ctx.stages.won_stage.key})]
pick_number(options, "rv_attr", M.attribution_leads)

st.markdown(f"**{_widgets.md_escape(t('rv_mix_title', lang))}**")
dims = [d for d in ("source", "rep", "manager", "team") if any(m["segment_by"] == d for m in a["mix"])]
if not dims:
    _widgets.info(t("rv_mix_empty", lang))
else:
    tabs = st.tabs([t(f"{d}s", lang) for d in dims])
    for tab, dim in zip(tabs, dims):
        with tab:
            _widgets.caption(mix_sentence(a, dim, lang) or "")
            _widgets.show_chart(rc.mix_rate_bars(a["mix"], lang, dim), f"mix_{dim}_{p.label}", f"rv_mix_{dim}")
            rows = [m for m in a["mix"] if m["segment_by"] == dim]
            none = t("unspecified", lang)
            paren = "{}（{}）" if lang == "zh" else "{} ({})"
            conv_before = paren.format(t("col_conversion", lang), t("rv_before", lang))
            conv_after = paren.format(t("col_conversion", lang), t("rv_after", lang))
            unit_pp = paren.format("", t("pp", lang))
            shown = pd.DataFrame({
                t("rv_segment", lang): [none if m["segment"] is None else m["segment"] for m in rows],
                t("rv_before", lang): [m["leads_previous"] for m in rows],
                t("rv_after", lang): [m["leads"] for m in rows],
                conv_before: [m["conversion_previous"] for m in rows],
                conv_after: [m["conversion"] for m in rows],
                f"{t('rv_mix', lang)}{unit_pp}": [round(m["mix"] * 100, 1) for m in rows],
                f"{t('rv_rate', lang)}{unit_pp}": [round(m["rate"] * 100, 1) for m in rows]})
            # only the two conversion columns are ratios: "转化率（个百分点）" (the rate term) is already in pp
            pct = {c: _widgets.pct_column(c) for c in (conv_before, conv_after)}
            _widgets.table(shown, key=f"rv_mix_table_{dim}", column_config=pct)
            _widgets.download_table(shown, f"mix_{dim}_{p.label}", f"rv_mix_dl_{dim}")
            options = []
            for m in rows:
                seg = none if m["segment"] is None else str(m["segment"])
                options.append((f"{seg} · {a['period']}", int(m["leads"]),
                                {"period": period_day, "segment_by": dim, "segment": m["segment"]}))
                options.append((f"{seg} · {a['previous']}", int(m["leads_previous"]),
                                {"period": period_day, "which": "previous", "segment_by": dim,
                                 "segment": m["segment"]}))
            pick_number(options, f"rv_mix_{dim}", M.attribution_leads)

# --- 4. changes between two uploads ---------------------------------------------------------------------
st.subheader(t("rv_changes_title", lang))
imports = lead_import_list(_store.cursor())
if len(imports) == 0:
    _widgets.info(t("rv_changes_none", lang))
elif len(imports) == 1:
    _widgets.info(t("rv_changes_only_one", lang, file=str(imports["file_name"].iloc[0])))
else:
    ids = list(imports["import_id"])
    names = {row.import_id: f"{row.file_name} · {pd.Timestamp(row.started_at):%Y-%m-%d %H:%M}"
             for row in imports.itertuples(index=False)}
    c1, c2 = st.columns(2)
    frm = c1.selectbox(t("rv_changes_from", lang), ids, index=len(ids) - 2, format_func=names.get, key="rv_chg_from")
    to = c2.selectbox(t("rv_changes_to", lang), ids, index=len(ids) - 1, format_func=names.get, key="rv_chg_to")
    if frm == to:
        _widgets.info(t("rv_changes_same", lang))
    else:
        ch = _store.metric(M.upload_changes, from_import=frm, to_import=to)
        _widgets.caption(t("rv_changes_caption", lang, from_file=ch["from_file"],
                           from_at=str(ch["from_at"])[:16].replace("T", " "), to_file=ch["to_file"],
                           to_at=str(ch["to_at"])[:16].replace("T", " "), amount=fmt_num(ch["amount_change"]),
                           n=fmt_num(ch["n_amount_both"])))
        counts = pd.DataFrame({t("rv_change_group", lang): [t(f"chg_{g}", lang) for g in GROUPS],
                               t("col_leads", lang): [int(ch["counts"][g]) for g in GROUPS]})
        _widgets.table(counts, key="rv_chg_table")
        options = [(t(f"chg_{g}", lang), int(ch["counts"][g]), {"from_import": frm, "to_import": to, "group": g})
                   for g in GROUPS]
        pick_number(options, "rv_chg", M.upload_change_leads)
