"""Loss analysis (SPEC §4): reasons as a Pareto table, TOP-3, loss by stage, keyword categories.

Reasons are grouped after trimming, folding width (full-width -> ASCII) and case; an empty reason is
"未填写 / unspecified". The label shown for a group is its most frequent spelling (ties: the smallest).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from funnel.metrics._common import OTHER, UNSPECIFIED, cohort_where, ratio, records
from funnel.metrics.columns import LOSS_BY_STAGE, PARETO
from funnel.metrics.context import MetricContext
from funnel.text import fold


def lost_groups(con: duckdb.DuckDBPyConnection, ctx: MetricContext) -> list[tuple]:
    """The lost cohort leads grouped by (furthest_rank, lost_reason_key, lost_reason) with their count: one
    scan (lead_facts is stored by status) from which the reasons, the categories and the top reason per
    stage are all taken (a few hundred rows: reasons have few spellings)."""
    where, params = cohort_where(ctx)
    return con.execute(
        f"""select f.furthest_rank, f.lost_reason_key, f.lost_reason, count(*) from lead_facts f
            where {where} and f.status = 'lost' group by all""",
        params,
    ).fetchall()


def _pareto(counts: dict) -> pd.DataFrame:
    """{reason: count} as the Pareto table: count descending then reason, share and cumulative share of the
    total (integer sums divided once, as SQL's window sums were)."""
    total = sum(counts.values())
    rows, running = [], 0
    for reason, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        running += n
        rows.append((reason, int(n), n / total, running / total))
    return pd.DataFrame(rows, columns=list(PARETO)).astype(
        {"count": "int64", "share": "float64", "cumulative_share": "float64"})


def loss_reasons(con: duckdb.DuckDBPyConnection, ctx: MetricContext,
                 categories: dict[str, str] | None = None, lost: list[tuple] | None = None) -> pd.DataFrame:
    """One row per loss reason of the lost cohort leads: reason, count, share, cumulative_share; sorted by
    count descending, then reason. With ``categories`` the rows are categories (see loss_categories).
    ``lost``: ``lost_groups`` when the caller already has them."""
    if categories is not None:
        return loss_categories(con, ctx, categories, lost)
    lost = lost_groups(con, ctx) if lost is None else lost
    spellings: dict = {}
    for _, key, reason, n in lost:
        per = spellings.setdefault(key, {})
        per[reason] = per.get(reason, 0) + int(n)
    counts = {}
    for key, per in spellings.items():  # the label: the most frequent spelling, ties the smallest
        label = UNSPECIFIED if key is None else min(per.items(), key=lambda rn: (-rn[1], rn[0]))[0]
        counts[label] = counts.get(label, 0) + sum(per.values())
    return _pareto(counts)


def loss_top3(frame: pd.DataFrame) -> list[dict]:
    """The first three rows of a loss_reasons / loss_categories table as dicts (TOP-3, named explicitly)."""
    return records(frame.head(3))


def loss_categories(con: duckdb.DuckDBPyConnection, ctx: MetricContext,
                    categories: dict[str, str] | None = None, lost: list[tuple] | None = None) -> pd.DataFrame:
    """One row per category: reason (the category), count, share, cumulative_share, sorted like reasons.

    A reason takes the category of its first matching keyword, longest keyword first (ties: keyword
    order); keywords and reasons compared after folding width and case (substring match). Unmatched ->
    "其他 / other"; empty reason -> "未填写 / unspecified". ``categories`` None: the saved keyword map.
    """
    if categories is None:
        from funnel.store.config import load_loss_categories

        categories = load_loss_categories(con)
    items = sorted(((fold(k), v) for k, v in categories.items() if fold(k)), key=lambda kv: (-len(kv[0]), kv[0]))
    lost = lost_groups(con, ctx) if lost is None else lost
    per_key: dict = {}
    for _, key, _, n in lost:
        per_key[key] = per_key.get(key, 0) + int(n)
    counts: dict = {}
    for key, n in per_key.items():
        category = UNSPECIFIED if key is None else next((c for k, c in items if k in key), OTHER)
        counts[category] = counts.get(category, 0) + n
    return _pareto(counts)


def loss_by_stage(con: duckdb.DuckDBPyConnection, ctx: MetricContext, groups: list[tuple] | None = None,
                  lost: list[tuple] | None = None) -> pd.DataFrame:
    """One row per configured stage: stage, name_zh, name_en, order, lost (lost cohort leads whose furthest
    stage is this one), share (of all lost), loss_rate (lost / reached at this stage, skip rule 'passed'),
    top_reason (the most frequent reason among them, None when no reason). ``groups`` / ``lost``:
    ``cohort.cohort_groups`` / ``lost_groups`` when the caller already has them."""
    from funnel.metrics.cohort import cohort_groups

    groups = cohort_groups(con, ctx) if groups is None else groups
    lost = lost_groups(con, ctx) if lost is None else lost
    lost_at, at_furthest = {}, {}
    for in_cohort, _, furthest, _, status, _, n, _, _ in groups:
        if in_cohort:
            at_furthest[int(furthest)] = at_furthest.get(int(furthest), 0) + int(n)
            if status == "lost":
                lost_at[int(furthest)] = lost_at.get(int(furthest), 0) + int(n)
    top: dict = {}  # furthest rank -> (count, reason) of its most frequent reason, ties the smallest
    for furthest, _, reason, n in lost:
        if reason is not None:
            best = top.get(int(furthest))
            if best is None or (-n, reason) < (-best[0], best[1]):
                top[int(furthest)] = (int(n), reason)
    total_lost = sum(lost_at.values())
    out = []
    reached = 0
    n_stages = len(ctx.stages.stages)
    reached_at = {}
    for rank in range(n_stages, 0, -1):
        reached += at_furthest.get(rank, 0)
        reached_at[rank] = reached
    for rank, stage in enumerate(ctx.stages.stages, start=1):
        lost_n = lost_at.get(rank, 0)
        out.append({"stage": stage.key, "name_zh": stage.name_zh, "name_en": stage.name_en, "order": stage.order,
                    "lost": lost_n, "share": ratio(lost_n, total_lost), "loss_rate": ratio(lost_n, reached_at[rank]),
                    "top_reason": top[rank][1] if rank in top and rank in at_furthest else None})
    return pd.DataFrame(out, columns=list(LOSS_BY_STAGE))
