"""The declared columns of every metric frame, in order: what the charts, the pages and the report may
read (a test checks each frame against its declaration, on data and on an empty cohort)."""

from __future__ import annotations

STAGE_NAMES = ("stage", "name_zh", "name_en", "order")  # the leading columns of a one-row-per-stage frame

# one row per configured stage, in order
STAGE_FUNNEL = (*STAGE_NAMES, "kind", "reached", "step_conversion", "dropped", "open", "in_progress", "open_amount",
                "conversion_from_start")
TIME_IN_STAGE = (*STAGE_NAMES, "n", "q1", "median", "q3", "mean", "min", "max", "spans", "in_progress",
                 "in_progress_median_days")
LOSS_BY_STAGE = (*STAGE_NAMES, "lost", "share", "loss_rate", "top_reason")
# one row per bin of won leads' cycle days
CYCLE_DISTRIBUTION = ("bin_start", "bin_end", "count", "n_reported")
# one row per loss reason (or category), most frequent first
PARETO = ("reason", "count", "share", "cumulative_share")
# one row per value of a dimension; the first column is the dimension's own (rep, manager, team, source)
LEADERBOARD = ("leads", "won", "lost", "open", "conversion", "conversion_ci", "conversion_ci_low",
               "conversion_ci_high", "win_rate", "median_cycle_days", "stalled", "activities_per_lead", "won_amount")
# one row per lead of a follow-up list
STALLED_LEADS = ("lead_id", "customer", "rep", "manager", "team", "source", "stage", "status", "last_activity_at",
                 "idle_days")
OVERDUE_LEADS = ("lead_id", "customer", "rep", "stage", "entered_at", "days_in_stage", "expected_days",
                 "overdue_days")
PAST_EXPECTED_CLOSE = ("lead_id", "customer", "rep", "stage", "expected_close", "days_past")
# one row per period of acquisition / per (period of entry, stage)
TRENDS = ("period_start", "period", "leads", "won", "lost", "open", "conversion", "win_rate", "median_cycle_days")
STAGE_ENTRIES = ("period_start", "period", "stage", "stage_order", "entries")
# one row per data-quality problem
DATA_QUALITY = ("lead_id", "rep", "stage", "entered_at", "problem", "detail")
# the review's lead lists (SPEC §7.6): one row per lead behind a number
BRIDGE_LEADS = ("lead_id", "customer", "source", "rep", "acquired_on", "status", "close_date", "close_estimated",
                "amount", "state_start", "stage_start", "state_end", "stage_end")
ATTRIBUTION_LEADS = ("lead_id", "customer", "source", "rep", "manager", "team", "acquired_at", "status",
                     "furthest_stage", "amount")
UPLOAD_CHANGE_LEADS = ("lead_id", "customer", "stage_a", "stage_b", "status_a", "status_b", "amount_a", "amount_b",
                       "close_a", "close_b", "rep_a", "rep_b", "groups")


def leaderboard_columns(by: str) -> tuple[str, ...]:
    return (by, *LEADERBOARD)


# metric function name -> its frame's columns (the leaderboard's depend on ``by``: leaderboard_columns)
FRAMES: dict[str, tuple[str, ...]] = {
    "stage_funnel": STAGE_FUNNEL, "time_in_stage": TIME_IN_STAGE, "loss_by_stage": LOSS_BY_STAGE,
    "cycle_distribution": CYCLE_DISTRIBUTION, "loss_reasons": PARETO, "loss_categories": PARETO,
    "stalled_leads": STALLED_LEADS, "overdue_leads": OVERDUE_LEADS, "past_expected_close": PAST_EXPECTED_CLOSE,
    "trends": TRENDS, "stage_entries": STAGE_ENTRIES, "data_quality": DATA_QUALITY,
    "bridge_leads": BRIDGE_LEADS, "attribution_leads": ATTRIBUTION_LEADS,
}
# upload_change_leads(con, ctx, from_import, to_import): UPLOAD_CHANGE_LEADS (checked with two imports)
