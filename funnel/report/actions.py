"""Suggested actions (seed step 5) derived from the period's figures; each names the figure behind it.

Rules, in this order (an action appears only when its figure supports it):
1. weakest step: the lowest step conversion among the open stages up to the won stage (post-won stages
   are not part of the sales funnel) -> improve that step (templates, training);
2. slowest stage: the open stage with the longest median completed time (and how far above its expected
   days) -> set next steps and deadlines;
3. top loss reason -> prepare an answer to it;
4. reps whose 95% Wilson interval lies entirely below / above the team's conversion -> coaching by a
   senior rep / share their practice (an interval that contains the team rate is not "far" from it);
5. sources likewise -> check lead quality / invest more;
6. stalled leads as of the period's end -> managers step in;
7. always, when the conversion is defined: put conversion and cycle time into the KPIs.
Pure: figures dicts in, ``Action`` list out.
"""

from __future__ import annotations

from funnel.report.labels import L
from funnel.report.model import Action, Section, fmt_value


def _pct(v) -> str:
    return fmt_value(v, "pct")


def _days(v) -> str:
    return fmt_value(v, "days")


def suggest_actions(figs: dict, pfigs: dict, ctx, followup: Section | None, lang: str,
                    max_people: int = 3) -> list[Action]:
    out: list[Action] = []
    kinds = {s.key: s.kind for s in ctx.stages.stages}
    expected = {s.key: s.expected_days for s in ctx.stages.stages}
    stages = [s for s in figs.get("stages", []) if kinds.get(s.get("key")) in ("open", "won")]
    prev_steps = {s.get("key"): s.get("step_conversion") for s in pfigs.get("stages", [])}

    # 1. weakest step
    steps = [(i, s) for i, s in enumerate(stages) if i > 0 and s.get("step_conversion") is not None]
    if steps:
        i, weak = min(steps, key=lambda item: (item[1]["step_conversion"], item[0]))
        prev_name = stages[i - 1].get("name")
        values = dict(stage=weak.get("name"), prev=prev_name, rate=_pct(weak["step_conversion"]),
                      prev_rate=_pct(prev_steps.get(weak.get("key"))))
        out.append(Action("weakest_step", L("a_weak_step", lang, **values), L("a_weak_step_basis", lang, **values)))

    # 2. slowest stage (open stages only: time in the won stage is not a sales delay)
    timed = [s for s in stages if kinds.get(s.get("key")) == "open"
             and (s.get("time_in_stage_days") or {}).get("median") is not None]
    if timed:
        slow = max(timed, key=lambda s: s["time_in_stage_days"]["median"])
        t = slow["time_in_stage_days"]
        exp = expected.get(slow.get("key"))
        over = L("a_over", lang, expected=_days(exp)) if exp is not None and t["median"] > exp else ""
        out.append(Action("slowest_stage", L("a_slow_stage", lang, stage=slow.get("name"), median=_days(t["median"]),
                                             over=over),
                          L("a_slow_stage_basis", lang, stage=slow.get("name"), median=_days(t["median"]),
                            n=t.get("n", 0))))

    # 3. top loss reason
    reasons = figs.get("loss_reasons") or []
    if reasons:
        top = reasons[0]
        out.append(Action("top_loss_reason", L("a_loss", lang, reason=top["reason"], share=_pct(top["share"])),
                          L("a_loss_basis", lang, reason=top["reason"], count=top["count"], share=_pct(top["share"]))))

    team = figs.get("overall_conversion")
    # 4. reps far from the team's rate
    if team is not None:
        for key, who_key, low_key, high_key, basis_key, rows in (
                ("rep", "rep", "a_rep_low", "a_rep_high", "a_rep_basis", figs.get("reps") or []),
                ("source", "source", "a_source_low", "a_source_high", "a_source_basis", figs.get("sources") or [])):
            below, above = [], []
            for r in rows:
                ci = r.get("conversion_ci") or [None, None]
                if r.get(who_key) is None or ci[0] is None or ci[1] is None:  # no name: nobody to act on
                    continue
                if ci[1] < team:
                    below.append((ci[1], r, ci))
                elif ci[0] > team:
                    above.append((-ci[0], r, ci))
            for tag, template, items in (("high", high_key, sorted(above, key=lambda x: x[0])),
                                         ("low", low_key, sorted(below, key=lambda x: x[0]))):
                for _, r, ci in items[:max_people]:
                    values = {who_key: r.get(who_key), "rate": _pct(r.get("conversion")), "low": _pct(ci[0]),
                              "high": _pct(ci[1]), "team": _pct(team), "won": r.get("won"), "leads": r.get("leads")}
                    out.append(Action(f"{key}_{tag}", L(template, lang, **values), L(basis_key, lang, **values)))

    # 6. stalled leads as of the period's end
    if followup is not None:
        stalled = next((t for t in followup.tables if t.key == "stalled"), None)
        rows = stalled.all_rows if stalled else []
        if rows:  # sorted longest idle first, so the rows held (maybe only the first) carry the maximum
            n = stalled.row_count
            idle = [r.get("idle_days") for r in rows if r.get("idle_days") is not None]
            out.append(Action("stalled", L("a_stalled", lang, n=n, days=ctx.stalled_days),
                              L("a_stalled_basis", lang, n=n, max=_days(max(idle)) if idle else "—")))

    # 7. KPIs
    if team is not None:
        cycle = (figs.get("cycle_days") or {}).get("median")
        out.append(Action("kpi", L("a_kpi", lang, rate=_pct(team), prev=_pct(pfigs.get("overall_conversion")),
                                   cycle=_days(cycle)), L("a_kpi_basis", lang)))
    return out
