"""The whole figure set as one JSON-safe dict: the object of SPEC §5 (documented in docs/metrics.md)."""

from __future__ import annotations

import duckdb

from funnel.metrics._common import py, records
from funnel.metrics.bottleneck import bottleneck
from funnel.metrics.cohort import cohort_groups, cohort_summary, stage_funnel
from funnel.metrics.context import MetricContext
from funnel.metrics.counted import won_cycles
from funnel.metrics.cycle import cycle_summary, time_to_loss
from funnel.metrics.followup import followup_counts, overdue_leads, past_expected_close, stalled_leads
from funnel.filters import BOARD_DIMENSIONS
from funnel.metrics.leaderboard import BOARDS, leaderboards
from funnel.metrics.loss import loss_by_stage, loss_categories, loss_reasons, loss_top3, lost_groups
from funnel.metrics.quality import data_quality, data_quality_counts
from funnel.metrics.time_in_stage import time_in_stage
from funnel.metrics.trends import trends

SCHEMA_VERSION = 2  # 2: metrics --json adds bridge and attribution (SPEC §7.1, §7.3; review_figures)


def figures(con: duckdb.DuckDBPyConnection, ctx: MetricContext, list_limit: int | None = None,
            categories: dict[str, str] | None = None) -> dict:
    """Every figure of SPEC §4 as the JSON object of SPEC §5 (plus the extra keys of docs/metrics.md).

    Ratios are in 0..1 and not rounded, undefined values None, dates ISO, stages in configured order.
    ``list_limit`` caps the lead lists (stalled, overdue, past_expected_close, data_quality.items); their
    full sizes are in ``*_count``. ``categories``: loss keyword map (None: the saved one).

    (Running these independent queries on several cursors at once was tried: no gain on two cores, where
    DuckDB already keeps both busy; see docs/performance.md.)
    """
    groups = cohort_groups(con, ctx)  # one query over the cohort cube for the summary and the funnel
    summary = cohort_summary(con, ctx, groups)
    funnel = stage_funnel(con, ctx, groups)
    times = time_in_stage(con, ctx)
    cycles = won_cycles(con, ctx, BOARDS, periods=True)  # every median of the set from one query
    cycle = cycle_summary(con, ctx, cycles)
    lost = lost_groups(con, ctx)  # one scan of the lost leads for reasons, categories and loss by stage
    reasons = loss_reasons(con, ctx, lost=lost)
    boards = leaderboards(con, ctx, cycles=cycles)
    counts = followup_counts(con, ctx)
    quality_counts = data_quality_counts(con, ctx)
    stages = []
    for f_row, t_row in zip(records(funnel), records(times)):
        tis = None
        if t_row["n"]:
            tis = {"n": t_row["n"], "q1": t_row["q1"], "median": t_row["median"], "q3": t_row["q3"],
                   "mean": t_row["mean"]}
        stages.append({
            "key": f_row["stage"], "name": f_row["name_zh"], "name_en": f_row["name_en"], "order": f_row["order"],
            "kind": f_row["kind"], "reached": f_row["reached"], "step_conversion": f_row["step_conversion"],
            "dropped": f_row["dropped"], "open": f_row["open"], "in_progress": f_row["in_progress"],
            "open_amount": f_row["open_amount"], "time_in_stage_days": tis,
            "spans": t_row["spans"], "in_progress_median_days": t_row["in_progress_median_days"],
        })

    def board(by: str) -> list[dict]:
        rows = records(boards[by])
        for row in rows:
            row.pop("conversion_ci_low", None)
            row.pop("conversion_ci_high", None)
        return rows

    return {
        "schema_version": SCHEMA_VERSION,
        "as_of": ctx.as_of.isoformat(),
        "filter": ctx.filter.as_json(),
        "grain": ctx.grain, "stalled_days": ctx.stalled_days, "skip_rule": ctx.skip_rule,
        "cohort": {k: summary[k] for k in ("leads", "won", "lost", "open", "undated")},
        "overall_conversion": summary["overall_conversion"],
        "win_rate": summary["win_rate"],
        "won_amount": summary["won_amount"], "open_amount": summary["open_amount"],
        "stages": stages,
        "cycle_days": {k: cycle[k] for k in ("n", "n_reported", "q1", "median", "q3", "mean")},
        "time_to_loss_days": time_to_loss(con, ctx),
        "loss_reasons": records(reasons),
        "loss_top3": loss_top3(reasons),
        "loss_categories": records(loss_categories(con, ctx, categories, lost)),
        "loss_by_stage": records(loss_by_stage(con, ctx, groups, lost)),
        **{d.field: board(d.column) for d in BOARD_DIMENSIONS},
        "stalled": records(stalled_leads(con, ctx, list_limit)), "stalled_count": counts["stalled"],
        "overdue": records(overdue_leads(con, ctx, list_limit)), "overdue_count": counts["overdue"],
        "past_expected_close": records(past_expected_close(con, ctx, list_limit)),
        "past_expected_close_count": counts["past_expected_close"],
        "bottleneck": py(bottleneck(con, ctx, funnel, times)),
        "trends": records(trends(con, ctx, cycles)),
        "data_quality": {"counts": quality_counts, "count": sum(quality_counts.values()),
                         "items": records(data_quality(con, ctx, list_limit))},
    }


def review_figures(con: duckdb.DuckDBPyConnection, ctx: MetricContext, period=None) -> dict:
    """The review keys of SPEC §7.6 made for the ``ctx.grain`` period holding ``period`` (a date or ISO date
    text; default: the as-of date's): ``bridge`` (§7.1, with its movement matrix) and ``attribution`` (§7.3).
    ``metrics --json`` adds them to ``figures``; the report and the Review page call the same functions."""
    from funnel.metrics.review_attribution import attribution
    from funnel.metrics.review_bridge import bridge

    return {"bridge": py(bridge(con, ctx, period)), "attribution": py(attribution(con, ctx, period))}


def forecast_figures(con: duckdb.DuckDBPyConnection, ctx: MetricContext) -> dict:
    """The keys of SPEC §7.4–7.5 that ``metrics --json`` adds (docs/metrics.md, "Win curve, forecast"):
    ``win_curve`` and ``cohort_triangle`` (§4's cohort: the filters and the acquisition range apply),
    ``forecast`` and ``backtest`` / ``backtest_mae`` (made at the as-of date over the leads passing the
    attribute filters; the acquisition range does not apply)."""
    from funnel.metrics.forecast import backtest, backtest_mae, forecast, step_counts
    from funnel.metrics.win_curve import cohort_triangle, cohort_triangle_json, win_curve_summary

    counts = step_counts(con, ctx)  # one GROUP BY for the forecast and the six backtest fits
    bt = backtest(con, ctx, counts=counts)
    return {
        "win_curve": win_curve_summary(con, ctx),
        "cohort_triangle": cohort_triangle_json(cohort_triangle(con, ctx)),
        "forecast": py(forecast(con, ctx, counts=counts)),
        "backtest": records(bt.drop(columns=["wins_seen"])),
        "backtest_mae": backtest_mae(bt),
    }
