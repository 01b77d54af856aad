"""The figure set (``figures`` dict) as a readable plain-text report for the command line."""

from __future__ import annotations

from funnel.formats import fmt_days, fmt_pct as _pct
from funnel.i18n import LABELS, t


def _words(lang: str) -> dict[str, str]:
    """The ``cli.`` keys of ``funnel.i18n`` in ``lang``, by their short name (placeholders unfilled)."""
    return {key[4:]: t(key, lang) for key in LABELS if key.startswith("cli.")}


def _num(x, digits: int = 1) -> str:
    return "—" if x is None else (f"{x:.{digits}f}" if isinstance(x, float) else str(x))


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    def width(s: str) -> int:
        return sum(2 if ord(c) > 0x2E80 else 1 for c in s)

    widths = [max([width(h)] + [width(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(c + " " * (w - width(c)) for c, w in zip(cells, widths)).rstrip()

    return [line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows]


def render_text(figs: dict, lang: str = "en", max_rows: int = 10) -> str:
    """The figure set as plain text: cohort, funnel, time in stage, cycle, loss, leaderboards, follow-up."""
    t = _words("zh" if lang == "zh" else "en")
    name_key = "name" if lang == "zh" else "name_en"
    c = figs["cohort"]
    out = [f"{t['as_of']} {figs['as_of']} · {t['filter']}: {figs['filter']['description_' + ('zh' if lang == 'zh' else 'en')]}",
           f"{t['cohort']}: {c['leads']} {t['leads']} · {c['won']} {t['won']} · {c['lost']} {t['lost']} · "
           f"{c['open']} {t['open']} · {c['undated']} {t['undated']}",
           f"{t['overall']}: {_pct(figs['overall_conversion'])} · {t['win_rate']}: {_pct(figs['win_rate'])}", "",
           f"== {t['funnel']} =="]
    rows = []
    for s in figs["stages"]:
        tis = s["time_in_stage_days"]
        tis_text = "—" if tis is None else f"{tis['n']} / {_num(tis['median'])} / {_num(tis['q1'])}-{_num(tis['q3'])}"
        rows.append([s[name_key], str(s["reached"]), _pct(s["step_conversion"]), str(s["dropped"]), str(s["open"]),
                     str(s["in_progress"]), tis_text])
    out += _table([t["stage"], t["reached"], t["step"], t["dropped"], t["open"].capitalize(), t["in_progress"],
                   t["tis"]], rows)
    cy = figs["cycle_days"]
    out += ["", f"{t['cycle']}: n={cy['n']} ({cy['n_reported']} {t['reported']}) · {t['q1']} {_num(cy['q1'])} · "
                f"{t['median']} {_num(cy['median'])} · {t['q3']} {_num(cy['q3'])} · {t['mean']} {_num(cy['mean'])}"]
    out += ["", f"== {t['loss']} =="]
    loss = figs["loss_reasons"]
    out += _table([t["reason"], t["count"], t["share"], t["cum"]],
                  [[r["reason"], str(r["count"]), _pct(r["share"]), _pct(r["cumulative_share"])] for r in loss[:max_rows]])
    if len(loss) > max_rows:
        out.append(t["more"].format(n=len(loss) - max_rows))
    for key, label, col in (("reps", t["reps"], "rep"), ("sources", t["sources"], "source")):
        out += ["", f"== {label} =="]
        board = figs[key]
        out += _table([t[col], t["leads"].capitalize(), t["won"].capitalize(), t["conv"], t["ci"], t["win_rate"], t["median_cycle"], t["stalled"]],
                      [[str(r[col] if r[col] is not None else "—"), str(r["leads"]), str(r["won"]), _pct(r["conversion"]),
                        "—" if r["conversion_ci"] is None else f"{_pct(r['conversion_ci'][0])}–{_pct(r['conversion_ci'][1])}",
                        _pct(r["win_rate"]), _num(r["median_cycle_days"]), str(r["stalled"])] for r in board[:max_rows]])
        if len(board) > max_rows:
            out.append(t["more"].format(n=len(board) - max_rows))
    out += ["", f"== {t['stalled_list'].format(n=figs['stalled_days'])}: {figs['stalled_count']} =="]
    stalled = figs["stalled"]
    stage_names = {st["key"]: st[name_key] for st in figs["stages"]}  # the stage's name, not its key
    out += _table([t["lead_id"], t["rep"], t["stage"], t["idle"]],
                  [[r["lead_id"], str(r["rep"] or "—"), stage_names.get(r["stage"], str(r["stage"] or "—")),
                    fmt_days(r["idle_days"])] for r in stalled[:max_rows]])
    if figs["stalled_count"] > max_rows:
        out.append(t["more"].format(n=figs["stalled_count"] - max_rows))
    out += ["", f"{t['overdue']}: {figs['overdue_count']} · {t['past_close']}: {figs['past_expected_close_count']}"]
    b = figs["bottleneck"]
    out += ["", f"{t['bottleneck']}: {b['sentence_zh'] if lang == 'zh' else b['sentence_en']}"]
    dq = figs["data_quality"]["counts"]
    out += ["", f"{t['quality']}: " + (", ".join(f"{k} {v}" for k, v in dq.items()) if dq else t["none"])]
    out += _forecast_lines(figs, lang)
    return "\n".join(out) + "\n"


def render_changes(out: dict, lang: str = "en") -> str:
    """``python -m funnel changes`` without --json: the two imports, one line per group, the amount change."""
    from funnel.formats import fmt_num
    from funnel.i18n import t
    from funnel.metrics.review_changes import GROUPS

    lines = [t("rv_changes_title", lang)]
    if out.get("from") is None or out.get("to") is None:
        if not out.get("lead_imports"):
            lines.append(t("rv_changes_none", lang))
        else:
            lines.append(t("rv_changes_only_one", lang, file=out.get("to_file") or out.get("to") or "—"))
        for row in out.get("imports", []):
            lines.append(f"  {row['import_id']}  {row.get('started_at') or '—'}  {row.get('file_name') or '—'}  "
                         f"{row.get('leads')}")
        return "\n".join(lines)
    lines.append(t("rv_changes_caption", lang, from_file=f"{out['from_file']} [{out['from']}]",
                   from_at=(out["from_at"] or "—")[:16].replace("T", " "),
                   to_file=f"{out['to_file']} [{out['to']}]", to_at=(out["to_at"] or "—")[:16].replace("T", " "),
                   amount=fmt_num(out["amount_change"], 2),
                   n=fmt_num(out["n_amount_both"])))
    width = max(len(t(f"chg_{g}", lang)) for g in GROUPS)
    for g in GROUPS:
        label = t(f"chg_{g}", lang)
        ids = out.get("leads", {}).get(g, [])
        shown = ", ".join(ids[:5]) + (" …" if len(ids) > 5 else "")
        lines.append(f"  {label:<{width}}  {out['counts'][g]:>8,}  {shown}")
    return "\n".join(lines)


def _forecast_lines(figs: dict, lang: str) -> list[str]:
    """SPEC §7.4–7.5 in a few lines, when the figure set holds them (``metrics`` adds them)."""
    if "win_curve" not in figs:
        return []

    def t_(key: str, **values) -> str:
        return t(f"cli.fc_{key}", lang, **values)

    head = figs["win_curve"]["cohort"]
    out = ["", t_("curve") + ": " + " / ".join(_pct(head[k]) for k in ("30", "60", "90", "180"))]
    out += ["", t_("forecast")]
    for f in figs["forecast"]:
        out.append("  " + t_("h", h=f["horizon_days"]) + ": " + t_("wins",
            w=_num(f["expected_wins"]), lo=_num(f["low"]), hi=_num(f["high"]), n=f["open_leads"],
            a=f"{f['expected_amount']:,.0f}"))
    out += ["", t_("backtest")]
    for b in figs["backtest"]:
        if b["too_little_history"]:
            out.append(f"  {b['period']}: {t_('little')} / {b['actual']} / {_num(b['naive'], 0)}")
        else:
            out.append(f"  {b['period']}: {_num(b['forecast'])} / {_num(b['low'])}–{_num(b['high'])} / {b['actual']} / "
                       f"{_num(b['naive'], 0)}")
    mae = figs["backtest_mae"]
    out.append(t_("mae", m=_num(mae["model"]), n=_num(mae["naive"])))
    return out
