"""An independent, straightforward pandas implementation of the core figures of SPEC §4.

Used by the cross-check test (same numbers as the SQL metrics on random datasets) and by the benchmark
as the idiomatic-pandas baseline. Reads the base tables only (leads, stage_events, activities, stages), never
the derived ones, and follows the SPEC text literally, one lead at a time where that is clearer.

    frames = load_frames(con)                      # base tables as DataFrames
    ref = reference_figures(frames)                # {"cohort", "reached", "time_in_stage", "cycle"}
"""

from __future__ import annotations

import numpy as np
import pandas as pd

OPEN = ("untouched", "active")


def load_frames(con) -> dict[str, pd.DataFrame]:
    """The base tables as DataFrames (stages sorted by order)."""
    return {
        "leads": con.execute("select * from leads").df(),
        "events": con.execute("select lead_id, stage, entered_at from stage_events").df(),
        "activities": con.execute('select lead_id, "at" from activities').df(),
        "stages": con.execute('select key, "order", kind from stages order by "order"').df(),
    }


def _status(row, reached_won: bool, has_progress: bool, has_activity: bool) -> str:
    reported = row["status_reported"]
    if isinstance(reported, str) and reported in ("untouched", "active", "won", "lost"):
        return reported
    if reached_won:
        return "won"
    reason = row["lost_reason"]
    if (isinstance(reason, str) and reason.strip() not in ("", "-", "—", "无")) or not pd.isna(row["lost_at"]):
        return "lost"
    if has_progress or has_activity:
        return "active"
    return "untouched"


def reference_figures(frames: dict[str, pd.DataFrame], date_from=None, date_to=None) -> dict:
    """Cohort counts, reached per stage (skip rule 'passed'), completed time-in-stage day lists per stage,
    and the cycle days of won leads (computed, else reported), for the leads acquired in [date_from, date_to]."""
    leads, events, stages = frames["leads"], frames["events"], frames["stages"]
    keys = list(stages["key"])
    rank = {k: i for i, k in enumerate(keys)}
    won_key = stages.loc[stages["kind"] == "won", "key"].iloc[0]
    won_rank = rank[won_key]
    events = events[events["stage"].isin(keys)]
    acts = set(frames["activities"]["lead_id"])
    by_lead = {lid: g for lid, g in events.groupby("lead_id")}
    empty = events.iloc[0:0]

    cohort = leads[leads["acquired_at"].notna()]
    if date_from is not None:
        cohort = cohort[cohort["acquired_at"] >= pd.Timestamp(date_from)]
    if date_to is not None:
        cohort = cohort[cohort["acquired_at"] < pd.Timestamp(date_to) + pd.Timedelta(days=1)]

    reached = [0] * len(keys)
    intervals: dict[str, list[float]] = {k: [] for k in keys}
    cycles: list[float] = []
    n_reported = 0
    counts = {"leads": 0, "won": 0, "lost": 0, "open": 0}
    for _, lead in cohort.iterrows():
        ev = by_lead.get(lead["lead_id"], empty)
        acquired = lead["acquired_at"]
        ranks = [rank[s] for s in ev["stage"]]
        current = rank.get(lead["current_stage"]) if isinstance(lead["current_stage"], str) else None
        pre = max(ranks + ([current] if current is not None else []) + [0])
        valid = ev[ev["entered_at"].notna() & (ev["entered_at"] >= acquired)]
        progressed = any(r > 0 for r in ranks) or bool((valid["entered_at"] > acquired).any())
        status = _status(lead, pre >= won_rank, progressed, lead["lead_id"] in acts)
        furthest = max(pre, won_rank) if status == "won" else pre
        counts["leads"] += 1
        counts["won" if status == "won" else "lost" if status == "lost" else "open"] += 1
        for r in range(furthest + 1):
            reached[r] += 1
        # time in stage: consecutive valid dated events, sorted by time then stage order
        dated_stages = set(valid["stage"])
        undated = {rank[s] for s in ev.loc[ev["entered_at"].isna(), "stage"]} - {rank[s] for s in dated_stages}
        undated |= {rank[s] for s in ev.loc[ev["entered_at"].notna() & (ev["entered_at"] < acquired), "stage"]} \
            - {rank[s] for s in dated_stages}
        seq = sorted(((t, rank[s]) for t, s in zip(valid["entered_at"], valid["stage"])), key=lambda x: (x[0], x[1]))
        for (t0, r0), (t1, r1) in zip(seq, seq[1:]):
            lo, hi = min(r0, r1), max(r0, r1)
            if any(lo < u < hi for u in undated):
                continue  # a span across a stage reached on an unknown date
            intervals[keys[r0]].append((t1 - t0).total_seconds() / 86400.0)
        if status == "won":
            won_times = valid.loc[valid["stage"] == won_key, "entered_at"]
            if len(won_times):
                cycles.append((won_times.min() - acquired).total_seconds() / 86400.0)
            elif not pd.isna(lead["cycle_days_reported"]) and lead["cycle_days_reported"] >= 0:
                cycles.append(float(lead["cycle_days_reported"]))
                n_reported += 1
    time_in_stage = {}
    for k in keys:
        values = np.array(intervals[k], dtype=float)
        if len(values) == 0:
            time_in_stage[k] = None
        else:
            time_in_stage[k] = {"n": len(values), "q1": float(np.quantile(values, 0.25)),
                                "median": float(np.quantile(values, 0.5)), "q3": float(np.quantile(values, 0.75)),
                                "mean": float(values.mean())}
    cyc = np.array(cycles, dtype=float)
    cycle = {"n": len(cyc), "n_reported": n_reported,
             "median": float(np.median(cyc)) if len(cyc) else None, "mean": float(cyc.mean()) if len(cyc) else None}
    return {"cohort": counts, "reached": dict(zip(keys, reached)), "time_in_stage": time_in_stage, "cycle": cycle}
