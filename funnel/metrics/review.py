"""What a review may fairly compare (docs/metrics.md, "Review periods"): the last whole period, whether a
cohort is still too young to judge, and whether a comparison window lies inside the data.

- ``last_whole_period(as_of, grain)``: the latest period of the grain that has ended by the as-of date
  (the period holding the as-of date counts only when the as-of date is its last day).
- ``cohort_age(con, ctx)``: the cohort's median age at the as-of date against the median cycle time of
  every won lead passing the attribute filters (any acquisition date); the cohort is *young* when its
  median age is below that median cycle: half its leads have not had a typical cycle's time to close, so
  its won / conversion / loss figures are not all in yet.
- ``window_coverage(con, first, last)``: "full" when the acquisition window lies inside the data's span
  (first to last acquisition date of all leads), "partial" when it starts before the data starts,
  "none" when it ends before.

Pure: a connection and the context in, plain values out (no clock; the as-of date is ctx.as_of).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import duckdb

from funnel.metrics._common import attribute_where, cohort_where, py
from funnel.metrics.context import MetricContext
from funnel.periods import review_period


def last_whole_period(as_of: dt.date, grain: str) -> tuple[dt.date, dt.date]:
    """(first day, last day) of the latest period of ``grain`` that ends on or before ``as_of``.

    2024-06-14, month -> (2024-05-01, 2024-05-31); 2024-06-30, month -> (2024-06-01, 2024-06-30)."""
    period = review_period(as_of, grain)  # the calendar's rule (funnel.periods)
    return period.start, period.end


def cohort_age(con: duckdb.DuckDBPyConnection, ctx: MetricContext) -> dict:
    """{"leads", "median_age_days", "median_cycle_days", "young"} for ctx's cohort.

    median_age_days: median over the cohort of (as-of date - acquisition date), whole days (quantile_cont).
    median_cycle_days: median cycle of the won leads passing ctx's attribute filters, whatever their
    acquisition date (a young cohort's own cycle is short by construction, so it is no yardstick).
    young: median_age_days < median_cycle_days; None when either is unknown (no lead, no won lead).
    """
    where, params = cohort_where(ctx)
    n, age = con.execute(
        f"""select count(*), quantile_cont(date_diff('day', cast(f.acquired_at as date), ?), 0.5)
            from lead_facts f where {where}""",
        [ctx.as_of, *params],
    ).fetchone()
    awhere, aparams = attribute_where(ctx)
    cycle = con.execute(
        f"""select quantile_cont(f.cycle_days, 0.5) from lead_facts f
            where {awhere} and f.status = 'won' and f.cycle_days is not null""",
        aparams,
    ).fetchone()[0]
    age, cycle = py(age), py(cycle)
    young = None if age is None or cycle is None else bool(age < cycle)
    return {"leads": int(n), "median_age_days": age, "median_cycle_days": cycle, "young": young}


def data_span(con: duckdb.DuckDBPyConnection) -> tuple[dt.date | None, dt.date | None]:
    """(first, last) acquisition date over all leads (no filter): the window the data covers."""
    lo, hi = con.execute("select min(acquired_at), max(acquired_at) from lead_facts").fetchone()
    as_date = (lambda v: v.date() if isinstance(v, dt.datetime) else v)
    return as_date(lo), as_date(hi)


def window_coverage(con: duckdb.DuckDBPyConnection, first: dt.date, last: dt.date) -> str:
    """"full", "partial" or "none": how much of the acquisition window first..last the data covers.

    The data covers its span of acquisition dates (``data_span``). A window that ends before the first
    acquisition date is "none"; one that starts before it is "partial" (its counts would be too low for a
    reason that is not the business); else "full". An empty store covers nothing."""
    lo, _hi = data_span(con)
    if lo is None or last < lo:
        return "none"
    if first < lo:
        return "partial"
    return "full"


def window_context(ctx: MetricContext, first: dt.date, last: dt.date) -> MetricContext:
    """ctx with the acquisition range set to first..last (other filters kept)."""
    return dataclasses.replace(ctx, filter=dataclasses.replace(ctx.filter, date_from=first, date_to=last))


def window_comparison(con: duckdb.DuckDBPyConnection, ctx: MetricContext) -> dict | None:
    """The KPI figures of ctx.filter's acquisition window against the window before it, and whether that
    comparison may be shown: ``range_over_range`` ({"grain", "current", "previous", "change"}) plus
    "coverage" (``window_coverage`` of the previous window), "comparable" (coverage is "full") and
    "maturity" (``cohort_age`` of the current window). None when the filter's window is not closed."""
    from funnel.metrics.trends import range_over_range

    out = range_over_range(con, ctx)
    if out is None:
        return None
    prev = out["previous"]
    coverage = window_coverage(con, dt.date.fromisoformat(prev["start"]), dt.date.fromisoformat(prev["end"]))
    first, _last = data_span(con)
    return {**out, "coverage": coverage, "comparable": coverage == "full",
            "data_start": first.isoformat() if first else None, "maturity": cohort_age(con, ctx)}
