"""Why the result changed (变化归因, SPEC §7.3): the cohort of period P against the cohort of the period before.

``attribution(con, ctx, period=None) -> dict`` (the JSON key ``attribution``):

- ``won`` = W = N × Π p_k for P's cohort, ``won_previous`` the same for the period before; N = cohort size,
  p_k = §4's step conversion into each stage after the first up to the won stage (undefined counts 0).
- ``factors``: one row per factor (``leads`` for N, then the stage key of each p_k, in order):
  ``factor, contribution, before, after`` with Σ contribution = won − won_previous exactly (Shapley values,
  ``funnel.metrics.decompose.shapley_product``).
- ``mix``: one row per (dimension, segment) of source, rep, manager, team (a dimension with no value in
  either cohort is left out; a lead without a value is the segment None): ``segment_by, segment, mix, rate,
  leads, leads_previous, conversion, conversion_previous`` where conversion = §4's overall conversion. Per
  dimension Σ (mix + rate) = conversion − conversion_previous exactly; a segment absent from one cohort takes
  the other cohort's conversion. Empty when either cohort is empty (its conversion is undefined).
- ``mix_top``: per dimension the three terms (mix or rate of a segment) largest in size.
- ``median_age_days`` / ``median_age_days_previous``: median of (as-of − acquisition date) in whole days;
  ``median_cycle_days`` = the median cycle time of every won lead passing the attribute filters (any
  acquisition date, as ``funnel.metrics.review.cohort_age``); ``young`` when P's median age is below it
  (P's wins are not all in yet).

Both cohorts: leads acquired in the period (P's end clipped to the as-of date) passing the attribute filters
of ``ctx`` (its acquisition date range does not apply: the periods do), same as-of and skip rule.
``attribution_leads`` lists the leads behind each count.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import duckdb
import pandas as pd

from funnel.metrics._common import attribute_where, fetch_rows, ratio
from funnel.metrics.context import MetricContext
from funnel.metrics.decompose import mix_rate, product, shapley_product
from funnel.metrics.review_period import ReviewPeriod, previous_review_period, review_period

DIMENSIONS = ("source", "rep", "manager", "team")


def _window_ctx(ctx: MetricContext, p: ReviewPeriod) -> MetricContext:
    return dataclasses.replace(ctx, filter=dataclasses.replace(ctx.filter, date_from=p.start, date_to=p.end))


def _won_rank(ctx: MetricContext) -> int:
    return ctx.stages.keys.index(ctx.stages.won_stage.key) + 1


def _reached_sql(ctx: MetricContext, rank_param: str = "?") -> str:
    """SQL condition: the lead reached the stage of rank ``rank_param`` under ctx's skip rule."""
    if ctx.skip_rule == "strict":
        return f"((f.strict_mask >> {rank_param}) & 1 = 1)"
    return f"(f.furthest_rank >= {rank_param})"


def _factor_values(con, ctx: MetricContext, p: ReviewPeriod) -> tuple[int, list[float], int]:
    """(N, [p_k for stages 2..won], reached(won)) of the cohort acquired in ``p``."""
    from funnel.metrics.cohort import stage_funnel

    if p.after_as_of:
        return 0, [0.0] * (_won_rank(ctx) - 1), 0
    funnel = stage_funnel(con, _window_ctx(ctx, p))
    won_rank = _won_rank(ctx)
    reached = [int(r) for r in funnel["reached"]]
    n = reached[0] if reached else 0
    steps = []
    for k in range(1, won_rank):
        value = ratio(reached[k], reached[k - 1])
        steps.append(float(value) if value is not None else 0.0)
    return n, steps, reached[won_rank - 1]


def _segments(con, ctx: MetricContext, cur: ReviewPeriod, prev: ReviewPeriod) -> pd.DataFrame:
    """One row per (which, dimension, segment): which (0 previous, 1 current), segment_by, segment, leads,
    reached_won."""
    where, params = attribute_where(ctx)
    sets = ", ".join(f"(which, {d})" for d in DIMENSIONS)
    dim_name = "case " + " ".join(f"when grouping({d}) = 0 then '{d}'" for d in DIMENSIONS) + " end"
    seg_value = "case " + " ".join(f"when grouping({d}) = 0 then {d}" for d in DIMENSIONS) + " end"
    cur_end = dt.datetime.combine(cur.end + dt.timedelta(days=1), dt.time())
    rows = con.execute(
        f"""with c as (
                select case when f.acquired_at >= ? then 1 else 0 end as which, f.source, f.rep, f.manager, f.team,
                       {_reached_sql(ctx)} as reached_won
                from lead_facts f
                where {where} and f.acquired_at >= ? and f.acquired_at < ?)
            select which, {dim_name} as segment_by, {seg_value} as segment, count(*) as leads,
                   count(*) filter (where reached_won) as reached_won
            from c group by grouping sets ({sets})""",
        [dt.datetime.combine(cur.start, dt.time()), _won_rank(ctx), *params,
         dt.datetime.combine(prev.start, dt.time()), cur_end],
    ).fetchall()
    return pd.DataFrame(rows, columns=["which", "segment_by", "segment", "leads", "reached_won"])


def _mix_rows(seg: pd.DataFrame, n0: int, n1: int) -> list[dict]:
    """The mix / rate terms per (dimension, segment) (see the module docstring)."""
    out = []
    if not n0 or not n1:
        return out
    for dim in DIMENSIONS:
        part = seg[seg["segment_by"] == dim]
        if not len(part) or part["segment"].isna().all():
            continue  # a dimension with no values is left out
        groups: dict = {}
        for row in part.itertuples(index=False):
            key = None if pd.isna(row.segment) else row.segment
            groups.setdefault(key, [0, 0, 0, 0])  # leads0, won0, leads1, won1
            groups[key][2 * int(row.which)] += int(row.leads)
            groups[key][2 * int(row.which) + 1] += int(row.reached_won)
        for key in sorted(groups, key=lambda k: (k is None, str(k))):
            l0, r0, l1, r1 = groups[key]
            c0 = r0 / l0 if l0 else None
            c1 = r1 / l1 if l1 else None
            c0 = c1 if c0 is None else c0
            c1 = c0 if c1 is None else c1
            mix, rate = mix_rate(l0 / n0, c0, l1 / n1, c1)
            out.append({"segment_by": dim, "segment": key, "mix": mix, "rate": rate, "leads": l1,
                        "leads_previous": l0, "conversion": r1 / l1 if l1 else None,
                        "conversion_previous": r0 / l0 if l0 else None})
    return out


def _mix_top(rows: list[dict], k: int = 3) -> list[dict]:
    out = []
    for dim in DIMENSIONS:
        terms = [{"segment_by": dim, "segment": r["segment"], "term": term, "value": r[term]}
                 for r in rows if r["segment_by"] == dim for term in ("mix", "rate")]
        terms.sort(key=lambda t: (-abs(t["value"]), str(t["segment"]), t["term"]))
        out.extend(terms[:k])
    return out


def _ages_and_cycle(con, ctx: MetricContext, cur: ReviewPeriod, prev: ReviewPeriod) -> tuple:
    """(median age of P's cohort, of the previous cohort, the median cycle of every won lead passing the
    attribute filters, any acquisition date) in one scan: ages in whole days (as-of − acquisition date); the
    cycle is ``funnel.metrics.review.cohort_age``'s yardstick, so "young" means the same everywhere."""
    where, params = attribute_where(ctx)
    row = con.execute(
        f"""select median(date_diff('day', cast(f.acquired_at as date), ?))
                       filter (where f.acquired_at >= ? and f.acquired_at < ?),
                   median(date_diff('day', cast(f.acquired_at as date), ?))
                       filter (where f.acquired_at >= ? and f.acquired_at < ?),
                   median(f.cycle_days) filter (where f.status = 'won')
            from lead_facts f where {where}""",
        [ctx.as_of, *_bounds(cur), ctx.as_of, *_bounds(prev), *params],
    ).fetchone()
    return tuple(float(v) if v is not None else None for v in row)


def _bounds(p: ReviewPeriod) -> tuple[dt.datetime, dt.datetime]:
    return dt.datetime.combine(p.start, dt.time()), dt.datetime.combine(p.end + dt.timedelta(days=1), dt.time())


def attribution(con: duckdb.DuckDBPyConnection, ctx: MetricContext, period: dt.date | str | None = None) -> dict:
    """SPEC §7.3 for the ``ctx.grain`` period holding ``period`` (default: the as-of date's); see the module
    docstring for every key."""
    cur = review_period(ctx, period)
    prev = previous_review_period(ctx, cur)
    n1, p1, reached1 = _factor_values(con, ctx, cur)
    n0, p0, reached0 = _factor_values(con, ctx, prev)
    before, after = [float(n0), *p0], [float(n1), *p1]
    contributions = shapley_product(before, after)
    keys = ctx.stages.keys
    names = ["leads", *keys[1:_won_rank(ctx)]]
    froms = [None, *keys[0:_won_rank(ctx) - 1]]
    factors = [{"factor": name, "from_stage": frm, "contribution": c, "before": b, "after": a}
               for name, frm, c, b, a in zip(names, froms, contributions, before, after)]
    seg = _segments(con, ctx, cur, prev) if not cur.after_as_of else pd.DataFrame(
        columns=["which", "segment_by", "segment", "leads", "reached_won"])
    mix = _mix_rows(seg, n0, n1)
    age1, age0, median_cycle = _ages_and_cycle(con, ctx, cur, prev)
    if cur.after_as_of:
        age1 = None
    conv1, conv0 = ratio(reached1, n1), ratio(reached0, n0)
    return {
        "period": cur.label, "start": cur.start.isoformat(), "end": cur.end.isoformat(),
        "previous": prev.label, "previous_start": prev.start.isoformat(), "previous_end": prev.end.isoformat(),
        "after_as_of": cur.after_as_of,
        "won": product(after), "won_previous": product(before),
        "reached_won": reached1, "reached_won_previous": reached0,
        "leads": n1, "leads_previous": n0,
        "conversion": conv1, "conversion_previous": conv0,
        "conversion_change": (conv1 - conv0) if conv1 is not None and conv0 is not None else None,
        "factors": factors, "mix": mix, "mix_top": _mix_top(mix),
        "median_age_days": age1, "median_age_days_previous": age0,
        "median_cycle_days": median_cycle,
        "young": bool(age1 is not None and median_cycle is not None and age1 < median_cycle),
    }


def attribution_leads(con: duckdb.DuckDBPyConnection, ctx: MetricContext, period: dt.date | str | None = None,
                      which: str = "current", reached: str | None = None, segment_by: str | None = None,
                      segment: str | None = None, limit: int | None = None) -> pd.DataFrame:
    """The leads behind an attribution count: the cohort of P (``which="current"``) or of the period before
    (``"previous"``), optionally only those that reached stage ``reached`` (skip rule applied) and only
    segment ``segment`` of ``segment_by`` (None = the leads without a value). One row per lead, by lead_id:
    lead_id, customer, source, rep, manager, team, acquired_at, status, furthest_stage, amount."""
    if which not in ("current", "previous"):
        raise ValueError("which must be 'current' or 'previous'")
    if segment_by is not None and segment_by not in DIMENSIONS:
        raise ValueError(f"segment_by must be one of {DIMENSIONS}")
    cur = review_period(ctx, period)
    p = cur if which == "current" else previous_review_period(ctx, cur)
    where, params = attribute_where(ctx)
    clauses, extra = ["f.acquired_at >= ?", "f.acquired_at < ?"], list(_bounds(p))
    if p.after_as_of:
        clauses.append("false")
    if reached is not None:
        clauses.append(_reached_sql(ctx))
        extra.append(ctx.stages.keys.index(reached) + 1)
    if segment_by is not None:
        if segment is None:
            clauses.append(f"f.{segment_by} is null")
        else:
            clauses.append(f"f.{segment_by} = ?")
            extra.append(segment)
    lim = f" limit {int(limit)}" if limit is not None else ""
    return fetch_rows(
        con,
        f"""select f.lead_id, f.customer, f.source, f.rep, f.manager, f.team, f.acquired_at, f.status,
                   f.furthest_stage, f.amount
            from lead_facts f where {where} and {' and '.join(clauses)} order by f.lead_id{lim}""",
        [*params, *extra])
