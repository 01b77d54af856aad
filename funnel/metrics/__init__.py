"""The metric API (pure: connection + MetricContext in, small DataFrame or dict out). See docs/metrics.md.

    ctx = resolve_context(con, FunnelFilter(...), as_of=None, grain="month", stalled_days=7, skip_rule="passed")
    figs = figures(con, ctx)            # the JSON object of SPEC §5
"""

from funnel.metrics.bottleneck import bottleneck
from funnel.metrics.cohort import cohort_summary, stage_funnel
from funnel.metrics.context import FunnelFilter, MetricContext, data_end, latest_event_date, resolve_context
from funnel.metrics.cycle import cycle_distribution, cycle_summary, time_to_loss
from funnel.metrics.figures import figures
from funnel.metrics.forecast import backtest, backtest_mae, forecast, forecast_leads, stage_model
from funnel.metrics.followup import followup_counts, overdue_leads, past_expected_close, stalled_leads
from funnel.metrics._common import wilson_interval
from funnel.metrics.leaderboard import leaderboard, leaderboards
from funnel.metrics.loss import loss_by_stage, loss_categories, loss_reasons, loss_top3
from funnel.metrics.quality import data_quality, data_quality_counts
from funnel.metrics.render import render_text
from funnel.metrics.review import (cohort_age, data_span, last_whole_period, window_comparison,
                                   window_coverage)
from funnel.metrics.review_attribution import attribution, attribution_leads
from funnel.metrics.review_bridge import bridge, bridge_leads, stage_movement
from funnel.metrics.review_changes import upload_change_leads, upload_changes
from funnel.metrics.time_in_stage import time_in_stage
from funnel.metrics.win_curve import cohort_triangle, win_curve_summary, win_curves
from funnel.metrics.trends import (period_activity, period_context, period_label, period_over_period, period_start,
                                   previous_window, range_over_range, stage_entries, trends)

__all__ = [
    "FunnelFilter", "MetricContext", "resolve_context", "latest_event_date", "data_end",
    "cohort_summary", "stage_funnel", "time_in_stage",
    "cycle_summary", "cycle_distribution", "time_to_loss",
    "loss_reasons", "loss_categories", "loss_by_stage", "loss_top3",
    "leaderboard", "leaderboards", "wilson_interval",
    "stalled_leads", "followup_counts", "overdue_leads", "past_expected_close",
    "trends", "stage_entries", "period_over_period", "period_activity", "period_context", "period_label",
    "period_start", "previous_window", "range_over_range", "cohort_age", "data_span", "last_whole_period",
    "window_comparison", "window_coverage", "bottleneck", "data_quality", "data_quality_counts", "figures", "render_text",
    "bridge", "bridge_leads", "stage_movement", "attribution", "attribution_leads", "upload_changes",
    "upload_change_leads",
    "win_curves", "win_curve_summary", "cohort_triangle", "stage_model", "forecast", "forecast_leads", "backtest",
    "backtest_mae",
]
