"""Loss analysis (SPEC §4): reasons as a Pareto table, TOP-3, loss by stage, keyword categories.

Reasons are grouped after trimming, folding width (full-width -> ASCII) and case; an empty reason is
"未填写 / unspecified". The label shown for a group is its most frequent spelling (ties: the smallest).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from funnel.metrics._common import OTHER, UNSPECIFIED, cohort_where, ratio, records
from funnel.metrics.columns import LOSS_BY_STAGE
from funnel.metrics.context import MetricContext
from funnel.text import fold


def _pareto(con: duckdb.DuckDBPyConnection, grouped_sql: str, params: list) -> pd.DataFrame:
    """grouped_sql yields (reason, count); add share and cumulative share, sorted count desc then reason."""
    return con.execute(
        f"""with g as ({grouped_sql})
            select reason, cast(count as bigint) as count,
                   count / sum(count) over () as share,
                   sum(count) over (order by count desc, reason rows between unbounded preceding and current row)
                       / sum(count) over () as cumulative_share
            from g order by count desc, reason""",
        params,
    ).df()


def loss_reasons(con: duckdb.DuckDBPyConnection, ctx: MetricContext,
                 categories: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per loss reason of the lost cohort leads: reason, count, share, cumulative_share; sorted by
    count descending, then reason. With ``categories`` the rows are categories (see loss_categories)."""
    if categories is not None:
        return loss_categories(con, ctx, categories)
    where, params = cohort_where(ctx)
    grouped = f"""
        with l as (select f.lost_reason_key as k, f.lost_reason as r, count(*) as c
                   from lead_facts f where {where} and f.status = 'lost' group by all)
        , ranked as (select k, r, c, row_number() over (partition by k order by c desc, r) as pick from l)
        select coalesce(max(r) filter (where pick = 1), ?) as reason, sum(c) as count
        from ranked group by k"""
    return _pareto(con, grouped, [*params, UNSPECIFIED])


def loss_top3(frame: pd.DataFrame) -> list[dict]:
    """The first three rows of a loss_reasons / loss_categories table as dicts (TOP-3, named explicitly)."""
    return records(frame.head(3))


def loss_categories(con: duckdb.DuckDBPyConnection, ctx: MetricContext,
                    categories: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per category: reason (the category), count, share, cumulative_share, sorted like reasons.

    A reason takes the category of its first matching keyword, longest keyword first (ties: keyword
    order); keywords and reasons compared after folding width and case (substring match). Unmatched ->
    "其他 / other"; empty reason -> "未填写 / unspecified". ``categories`` None: the saved keyword map.
    """
    if categories is None:
        from funnel.store.config import load_loss_categories

        categories = load_loss_categories(con)
    items = sorted(((fold(k), v) for k, v in categories.items() if fold(k)), key=lambda kv: (-len(kv[0]), kv[0]))
    keywords = [k for k, _ in items] or [""]
    cats = [v for _, v in items] or [OTHER]
    prios = list(range(len(items))) or [0]
    where, params = cohort_where(ctx)
    rows = ", ".join("(?, ?, ?)" for _ in keywords)  # one VALUES row per keyword (bound)
    grouped = f"""
        with l as (select f.lost_reason_key as k, count(*) as c
                   from lead_facts f where {where} and f.status = 'lost' group by all),
        kw as (select * from (values {rows}) as v(keyword, category, prio)),
        m as (select l.k, arg_min(kw.category, kw.prio) as category
              from l join kw on kw.keyword <> '' and contains(l.k, kw.keyword) group by l.k)
        select case when l.k is null then ? else coalesce(m.category, ?) end as reason, sum(l.c) as count
        from l left join m on m.k = l.k group by 1"""
    values = [v for row in zip(keywords, cats, prios) for v in row]
    return _pareto(con, grouped, [*params, *values, UNSPECIFIED, OTHER])


def loss_by_stage(con: duckdb.DuckDBPyConnection, ctx: MetricContext) -> pd.DataFrame:
    """One row per configured stage: stage, name_zh, name_en, order, lost (lost cohort leads whose furthest
    stage is this one), share (of all lost), loss_rate (lost / reached at this stage, skip rule 'passed'),
    top_reason (the most frequent reason among them, None when no reason)."""
    where, params = cohort_where(ctx)
    # counts from the cohort cube, the reasons from the lost leads only (lead_facts is stored by status)
    rows = con.execute(
        f"""with per as (select furthest_rank, coalesce(sum(leads) filter (where status = 'lost'), 0) as lost,
                                sum(leads) as at_furthest
                         from cohort_cube f where {where} group by 1),
            rs as (select furthest_rank, lost_reason, count(*) as n from lead_facts f
                   where {where} and f.status = 'lost' and f.lost_reason is not null group by 1, 2),
            top as (select furthest_rank, lost_reason as top_reason
                    from (select furthest_rank, lost_reason,
                                 row_number() over (partition by furthest_rank order by n desc, lost_reason) as pick
                          from rs) as ranked
                    where pick = 1)
            select per.furthest_rank, per.lost, per.at_furthest, top.top_reason
            from per left join top on top.furthest_rank = per.furthest_rank""",
        [*params, *params],
    ).fetchall()
    by_rank = {int(r[0]): r for r in rows}
    total_lost = sum(int(r[1]) for r in rows)
    out = []
    reached = 0
    n_stages = len(ctx.stages.stages)
    reached_at = {}
    for rank in range(n_stages, 0, -1):
        reached += int(by_rank[rank][2]) if rank in by_rank else 0
        reached_at[rank] = reached
    for rank, stage in enumerate(ctx.stages.stages, start=1):
        r = by_rank.get(rank)
        lost = int(r[1]) if r else 0
        out.append({"stage": stage.key, "name_zh": stage.name_zh, "name_en": stage.name_en, "order": stage.order,
                    "lost": lost, "share": ratio(lost, total_lost), "loss_rate": ratio(lost, reached_at[rank]),
                    "top_reason": r[3] if r else None})
    return pd.DataFrame(out, columns=list(LOSS_BY_STAGE))
