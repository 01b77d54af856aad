"""Correctness gate: funnel.metrics.figures (ours) == the pandas baseline on the key figures.

Key figures compared: cohort counts (leads, won, lost, open, undated), overall conversion and win rate,
reached / step conversion / dropped / open / in-progress per stage, time-in-stage n, q1, median, q3, mean per
stage, cycle n, n_reported, quartiles and mean, loss reasons (reason, count, share; full list, in order),
the rep and source leaderboards (every row: leads, won, lost, open, median cycle, stalled; the TOP-3 order),
the stalled count and the first stalled leads. ``compare`` returns a list of differences (empty = equal).
"""

from __future__ import annotations

import math

REL = 1e-9
ABS = 1e-9


def _eq(a, b) -> bool:
    if a is None or b is None or (isinstance(a, float) and math.isnan(a)) or (isinstance(b, float) and math.isnan(b)):
        na = a is None or (isinstance(a, float) and math.isnan(a))
        nb = b is None or (isinstance(b, float) and math.isnan(b))
        return na and nb
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b), rel_tol=REL, abs_tol=ABS)
    return a == b


def _cmp(diffs: list, path: str, ours, ref) -> None:
    if not _eq(ours, ref):
        diffs.append(f"{path}: ours={ours!r} pandas={ref!r}")


def compare(ours: dict, ref: dict, top_stalled: int = 20) -> list[str]:
    diffs: list[str] = []
    _cmp(diffs, "as_of", ours["as_of"], ref["as_of"])
    for k in ("leads", "won", "lost", "open", "undated"):
        _cmp(diffs, f"cohort.{k}", ours["cohort"][k], ref["cohort"][k])
    for k in ("overall_conversion", "win_rate"):
        _cmp(diffs, k, ours[k], ref[k])
    if [s["key"] for s in ours["stages"]] != [s["key"] for s in ref["stages"]]:
        diffs.append("stage keys differ")
    for so, sr in zip(ours["stages"], ref["stages"]):
        for k in ("reached", "step_conversion", "dropped", "open", "in_progress"):
            _cmp(diffs, f"stages.{so['key']}.{k}", so[k], sr[k])
        to, tr = so["time_in_stage_days"], sr["time_in_stage_days"]
        if (to is None) != (tr is None):
            diffs.append(f"stages.{so['key']}.time_in_stage_days: ours={to!r} pandas={tr!r}")
        elif to is not None:
            for k in ("n", "q1", "median", "q3", "mean"):
                _cmp(diffs, f"stages.{so['key']}.time_in_stage_days.{k}", to[k], tr[k])
    for k in ("n", "n_reported", "q1", "median", "q3", "mean"):
        _cmp(diffs, f"cycle_days.{k}", ours["cycle_days"][k], ref["cycle_days"][k])
    for k in ("n", "median", "mean", "n_unknown"):
        _cmp(diffs, f"time_to_loss_days.{k}", ours["time_to_loss_days"][k], ref["time_to_loss_days"][k])
    lo, lr = ours["loss_reasons"], ref["loss_reasons"]
    if len(lo) != len(lr):
        diffs.append(f"loss_reasons: {len(lo)} rows ours, {len(lr)} pandas")
    for i, (a, b) in enumerate(zip(lo, lr)):
        for k in ("reason", "count", "share", "cumulative_share"):
            _cmp(diffs, f"loss_reasons[{i}].{k}", a[k], b[k])
    for a, b in zip(ours["loss_by_stage"], ref["loss_by_stage"]):
        for k in ("lost", "loss_rate", "top_reason"):
            _cmp(diffs, f"loss_by_stage.{a['stage']}.{k}", a[k], b[k])
    for board, dim in (("reps", "rep"), ("sources", "source"), ("managers", "manager"), ("teams", "team")):
        bo = {r[dim]: r for r in ours[board]}
        br = {r[dim]: r for r in ref[board]}
        if set(bo) != set(br):
            diffs.append(f"{board}: names differ {sorted(map(str, bo))} vs {sorted(map(str, br))}")
            continue
        for name in bo:
            for k in ("leads", "won", "lost", "open", "conversion", "win_rate", "median_cycle_days", "stalled",
                      "activities_per_lead"):
                _cmp(diffs, f"{board}[{name}].{k}", bo[name][k], br[name][k])
        _cmp(diffs, f"{board}.top3", [r[dim] for r in ours[board][:3]], [r[dim] for r in ref[board][:3]])
    _cmp(diffs, "stalled_count", ours["stalled_count"], ref["stalled_count"])
    for i, (a, b) in enumerate(zip(ours["stalled"][:top_stalled], ref["stalled"][:top_stalled])):
        for k in ("lead_id", "idle_days"):
            _cmp(diffs, f"stalled[{i}].{k}", a[k], b[k])
    _cmp(diffs, "overdue_count", ours["overdue_count"], ref["overdue_count"])
    _cmp(diffs, "past_expected_close_count", ours["past_expected_close_count"], ref["past_expected_close_count"])
    to = {str(r["period_start"])[:10]: r for r in ours["trends"]}
    tr = {str(r["period_start"])[:10]: r for r in ref["trends"]}
    _cmp(diffs, "trends.periods", sorted(to), sorted(tr))
    for p in set(to) & set(tr):
        for k in ("leads", "won", "median_cycle_days"):
            _cmp(diffs, f"trends[{p}].{k}", to[p][k], tr[p][k])
    return diffs


def to_pandas_filter(flt, ctx):
    from bench.pandas_figures import Filter

    return Filter(date_from=flt.date_from, date_to=flt.date_to, sources=flt.sources, reps=flt.reps,
                  managers=flt.managers, teams=flt.teams, grain=ctx.grain, stalled_days=ctx.stalled_days)


def check_db(con, filters) -> list[str]:
    """Run ours and the baseline on ``con`` for each FunnelFilter; return every difference (prefixed)."""
    from bench import pandas_figures as pf
    from funnel.metrics import figures, resolve_context

    frames = pf.load_frames_duckdb(con)
    d = pf.derive(frames)
    out = []
    for label, flt in filters:
        ctx = resolve_context(con, flt)
        ours = figures(con, ctx)
        ref = pf.figures_from_derived(d, to_pandas_filter(flt, ctx))
        out.extend(f"[{label}] {x}" for x in compare(ours, ref))
    return out
