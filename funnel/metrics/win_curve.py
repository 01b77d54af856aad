"""Win curves that count open leads (成交曲线, SPEC §7.4) and the cohort triangle.

For a set of leads (§4's cohort: the filters and the acquisition date range apply; leads acquired after the
as-of date are not acquired yet at the as-of date and are left out), T = close date − acquisition date for
a lead won or lost by the as-of date (state rule of §7: status won / lost and close date ≤ as-of), else
as-of − acquisition date (censored). One GROUP BY hands numpy the counts per (group, T, outcome); the
curves are ``funnel.metrics.aalen_johansen.competing_risks_curves``.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd

from funnel.metrics._common import cohort_where, py
from funnel.metrics.aalen_johansen import competing_risks_curves
from funnel.metrics.context import MetricContext
from funnel.metrics.trends import _grain
from funnel.periods import period_label

HORIZONS_DAYS = (30, 60, 90, 180)
TRIANGLE_DAYS = (30, 60, 90, 120, 150, 180)
MIN_AT_RISK = 10  # the chart cuts a curve where fewer leads than this are at risk
DIMENSIONS = ("source", "rep")
CURVE_COLUMNS = ["t", "n", "d_w", "d_l", "f_w", "f_l", "s"]

# T and outcome of one cohort lead (1 won, 2 lost, 0 open at the as-of date); $as_of is a DATE.
_T_OUTCOME = """
    case when f.status in ('won', 'lost') and f.close_date <= $as_of
         then date_diff('day', cast(f.acquired_at as date), f.close_date)
         else date_diff('day', cast(f.acquired_at as date), $as_of) end as t,
    case when f.status = 'won' and f.close_date <= $as_of then 1
         when f.status = 'lost' and f.close_date <= $as_of then 2 else 0 end as outcome
"""


def _cohort(ctx: MetricContext) -> tuple[str, dict]:
    """The cohort condition (acquired by the as-of date) with named parameters."""
    where, params = cohort_where(ctx)
    named = {f"p{i}": value for i, value in enumerate(params)}
    for i in range(len(params)):
        where = where.replace("?", f"$p{i}", 1)
    named["as_of"] = ctx.as_of
    named["as_of_end"] = dt.datetime.combine(ctx.as_of + dt.timedelta(days=1), dt.time())
    return f"({where}) and f.acquired_at < $as_of_end", named


def _counts(con: duckdb.DuckDBPyConnection, ctx: MetricContext) -> pd.DataFrame:
    """Counts per (grouping set, value, T, outcome): gid 0 = the cohort, 1 = by source, 2 = by rep."""
    where, params = _cohort(ctx)
    return con.execute(
        f"""with c as (select f.source, f.rep, {_T_OUTCOME} from lead_facts f where {where})
            select case when grouping(source) = 0 then 1 when grouping(rep) = 0 then 2 else 0 end as gid,
                   coalesce(source, rep) as value, t, outcome, count(*) as n
            from c group by grouping sets ((t, outcome), (source, t, outcome), (rep, t, outcome))""",
        params,
    ).df()


def _frames(counts: pd.DataFrame, label: str | None) -> tuple[pd.DataFrame, list]:
    """The curves of one grouping set as one long frame (one row per group and day 0 … its longest T)."""
    if counts.empty:
        return pd.DataFrame(columns=([label] if label else []) + CURVE_COLUMNS), []
    values = counts["value"].tolist()
    keys = list(dict.fromkeys(values))
    codes = {k: i for i, k in enumerate(keys)}
    group = np.array([codes[v] for v in values], dtype=np.int64)
    curves = competing_risks_curves(group, counts["t"].to_numpy(), counts["outcome"].to_numpy(),
                                    counts["n"].to_numpy(), len(keys))
    parts = []
    for i, key in enumerate(keys):
        size = int(curves["longest"][i]) + 1
        part = {c: curves[c][i, :size] for c in ("n", "d_w", "d_l", "f_w", "f_l", "s")}
        part["t"] = np.arange(size)
        frame = pd.DataFrame(part)[CURVE_COLUMNS]
        if label:
            frame.insert(0, label, key)
        parts.append(frame)
    return pd.concat(parts, ignore_index=True), keys


def win_curves(con: duckdb.DuckDBPyConnection, ctx: MetricContext) -> dict[str, pd.DataFrame]:
    """The win curves of the cohort, per source and per rep: {"cohort", "source", "rep"} -> DataFrame.

    One row per (group and) day t = 0 … the group's longest T: t, n (leads at risk: T ≥ t), d_w, d_l
    (won / lost on day t), f_w, f_l, s (F_W + F_L + S = 1). Not cut: ``MIN_AT_RISK`` is for the chart.
    A group value None is a lead without a source / rep.
    """
    counts = _counts(con, ctx)
    cohort = counts[counts["gid"] == 0].assign(value="all")
    out = {"cohort": _frames(cohort, None)[0]}
    for gid, dim in ((1, "source"), (2, "rep")):
        out[dim] = _frames(counts[counts["gid"] == gid], dim)[0]
    return out


def _at(frame: pd.DataFrame, day: int) -> float | None:
    """F_W of a curve frame at ``day`` (a step function keeps its last value); None for no leads."""
    if frame.empty:
        return None
    values = frame["f_w"].to_numpy()
    return float(values[min(day, len(values) - 1)])


def win_curve_summary(con: duckdb.DuckDBPyConnection, ctx: MetricContext,
                      curves: dict[str, pd.DataFrame] | None = None) -> dict:
    """The JSON key ``win_curve`` (SPEC §7.4): {"cohort": {"30": F_W(30), "60", "90", "180", "leads"},
    "by_source": [{"source", "leads", "30", …}], "by_rep": [...], "curve": [{"t", "n", "f_w", "f_l", "s"}]}.

    ``leads`` is the group's size (n at t = 0). Groups sorted by leads, largest first, then name.
    """
    curves = curves if curves is not None else win_curves(con, ctx)
    cohort = curves["cohort"]
    head = {str(h): _at(cohort, h) for h in HORIZONS_DAYS}
    head["leads"] = int(cohort["n"].iloc[0]) if not cohort.empty else 0
    out = {"cohort": head}
    for dim in DIMENSIONS:
        rows = []
        for key, frame in curves[dim].groupby(dim, sort=False, dropna=False):
            row = {dim: py(key), "leads": int(frame["n"].iloc[0])}
            row.update({str(h): _at(frame, h) for h in HORIZONS_DAYS})
            rows.append(row)
        rows.sort(key=lambda r: (-r["leads"], r[dim] is None, str(r[dim])))
        out[f"by_{dim}"] = rows
    out["curve"] = [{"t": int(t), "n": int(n), "f_w": float(fw), "f_l": float(fl), "s": float(s)}
                    for t, n, fw, fl, s in zip(cohort["t"], cohort["n"], cohort["f_w"], cohort["f_l"], cohort["s"])]
    return out


def cohort_triangle(con: duckdb.DuckDBPyConnection, ctx: MetricContext) -> pd.DataFrame:
    """The cohort triangle (SPEC §7.4): one row per acquisition period (ctx.grain) of the cohort.

    Columns: period_start, period, leads, youngest_age_days (as-of − the latest acquisition of the row),
    longest_t_days, then per D in 30, 60 … 180: ``share_D`` and ``estimated_D``. A cell is observed
    (estimated False) when every lead of the row is at least D days old at the as-of date: the row's won
    leads with close date − acquisition ≤ D over the row's leads. Otherwise it is the row's F_W(D)
    (estimated True), and None (estimated None) past the row's longest T.
    """
    where, params = _cohort(ctx)
    counts = con.execute(
        f"""with c as (select cast(date_trunc('{_grain(ctx)}', f.acquired_at) as date) as period_start,
                              date_diff('day', cast(f.acquired_at as date), $as_of) as age, {_T_OUTCOME}
                       from lead_facts f where {where})
            select period_start, t, outcome, count(*) as n, min(age) as youngest
            from c group by all order by period_start""",
        params,
    ).df()
    columns = ["period_start", "period", "leads", "youngest_age_days", "longest_t_days"]
    for d in TRIANGLE_DAYS:
        columns += [f"share_{d}", f"estimated_{d}"]
    if counts.empty:
        return pd.DataFrame(columns=columns)
    starts = list(dict.fromkeys(counts["period_start"].tolist()))
    codes = {p: i for i, p in enumerate(starts)}
    group = np.array([codes[p] for p in counts["period_start"]], dtype=np.int64)
    t = counts["t"].to_numpy().astype(np.int64)
    outcome = counts["outcome"].to_numpy()
    n = counts["n"].to_numpy().astype(np.float64)
    curves = competing_risks_curves(group, t, outcome, n, len(starts))
    leads = np.bincount(group, weights=n, minlength=len(starts))
    youngest = np.full(len(starts), np.iinfo(np.int64).max)
    np.minimum.at(youngest, group, counts["youngest"].to_numpy().astype(np.int64))
    rows = []
    for i, start in enumerate(starts):
        row = {"period_start": start, "period": period_label(start, ctx.grain), "leads": int(leads[i]),
               "youngest_age_days": int(youngest[i]), "longest_t_days": int(curves["longest"][i])}
        for d in TRIANGLE_DAYS:
            if youngest[i] >= d:
                won = n[(group == i) & (outcome == 1) & (t <= d)].sum()
                row[f"share_{d}"], row[f"estimated_{d}"] = float(won / leads[i]), False
            elif d > curves["longest"][i]:
                row[f"share_{d}"], row[f"estimated_{d}"] = None, None
            else:
                row[f"share_{d}"], row[f"estimated_{d}"] = float(curves["f_w"][i, d]), True
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def cohort_triangle_json(frame: pd.DataFrame) -> list[dict]:
    """The JSON key ``cohort_triangle``: [{"period", "leads", "cells": [{"days", "share", "estimated"}]}]."""
    out = []
    for row in frame.to_dict("records"):
        cells = [{"days": d, "share": py(row[f"share_{d}"]), "estimated": py(row[f"estimated_{d}"])}
                 for d in TRIANGLE_DAYS]
        out.append({"period": row["period"], "start": py(row["period_start"]), "leads": int(row["leads"]),
                    "cells": cells})
    return out
