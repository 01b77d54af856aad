"""An independent pandas implementation of the core figures of SPEC §4 (reached, time in stage, cycle).

Used by the cross-check test (same numbers as the SQL metrics on random datasets) and by the benchmark as the
idiomatic-pandas baseline. Reads the base tables only (leads, stage_events, activities, stages), never the
derived ones, and follows the SPEC text with plain pandas (groupby, sort, shift, merge).

    frames = load_frames(con)                      # base tables as DataFrames
    ref = reference_figures(frames)                # {"cohort", "reached", "time_in_stage", "cycle"}
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MISSING = {"", "-", "--", "—", "——", "–", "无", "n/a", "na", "none", "null", "nan", "/", "#n/a"}


def load_frames(con) -> dict[str, pd.DataFrame]:
    """The base tables as DataFrames (stages sorted by order)."""
    return {
        "leads": con.execute("select * from leads").df(),
        "events": con.execute("select lead_id, stage, entered_at from stage_events").df(),
        "activities": con.execute('select lead_id, "at" from activities').df(),
        "stages": con.execute('select key, "order", kind from stages order by "order"').df(),
    }


def _stats(values: np.ndarray) -> dict | None:
    if len(values) == 0:
        return None
    return {"n": int(len(values)), "q1": float(np.quantile(values, 0.25)), "median": float(np.quantile(values, 0.5)),
            "q3": float(np.quantile(values, 0.75)), "mean": float(values.mean())}


def reference_figures(frames: dict[str, pd.DataFrame], date_from=None, date_to=None) -> dict:
    """Cohort counts, reached per stage (skip rule 'passed'), completed time-in-stage statistics per stage,
    and the cycle of won leads (computed, else reported), for the leads acquired in [date_from, date_to]."""
    leads = frames["leads"].set_index("lead_id")
    stages = frames["stages"]
    keys = list(stages["key"])
    rank_of = {k: i for i, k in enumerate(keys)}
    won_key = stages.loc[stages["kind"] == "won", "key"].iloc[0]
    won_rank = rank_of[won_key]

    ev = frames["events"]
    ev = ev[ev["stage"].isin(keys) & ev["lead_id"].isin(leads.index)].copy()
    ev["rank"] = ev["stage"].map(rank_of).astype(int)
    ev["acquired_at"] = ev["lead_id"].map(leads["acquired_at"])
    ev["valid"] = ev["entered_at"].notna() & (ev["acquired_at"].isna() | (ev["entered_at"] >= ev["acquired_at"]))

    # status and furthest stage
    current = leads["current_stage"].map(rank_of)
    event_max = ev.groupby("lead_id")["rank"].max().reindex(leads.index)
    pre = pd.concat([event_max, current], axis=1).max(axis=1).fillna(0).astype(int)
    moved = (ev["rank"] > 0) | (ev["valid"] & (ev["entered_at"] > ev["acquired_at"]))
    progressed = moved.groupby(ev["lead_id"]).any().reindex(leads.index, fill_value=False).astype(bool)
    has_activity = leads.index.isin(frames["activities"]["lead_id"])
    reason = leads["lost_reason"].astype("object").where(leads["lost_reason"].notna(), "")
    has_reason = ~reason.map(lambda r: str(r).strip().casefold() in MISSING)
    derived = np.select([pre >= won_rank, has_reason | leads["lost_at"].notna(), progressed | has_activity],
                        ["won", "lost", "active"], "untouched")
    reported = leads["status_reported"].where(leads["status_reported"].isin(["untouched", "active", "won", "lost"]))
    status = reported.astype("object").where(reported.notna(), pd.Series(derived, index=leads.index))
    furthest = pre.where(status != "won", np.maximum(pre, won_rank))

    in_cohort = leads["acquired_at"].notna()
    if date_from is not None:
        in_cohort &= leads["acquired_at"] >= pd.Timestamp(date_from)
    if date_to is not None:
        in_cohort &= leads["acquired_at"] < pd.Timestamp(date_to) + pd.Timedelta(days=1)
    cohort_ids = leads.index[in_cohort]
    st = status[in_cohort]
    counts = {"leads": int(in_cohort.sum()), "won": int((st == "won").sum()), "lost": int((st == "lost").sum()),
              "open": int(st.isin(["untouched", "active"]).sum())}
    fur = furthest[in_cohort]
    reached = {k: int((fur >= r).sum()) for k, r in rank_of.items()}

    # time in stage: consecutive valid dated events of cohort leads
    valid = ev[ev["valid"] & ev["lead_id"].isin(cohort_ids)].sort_values(["lead_id", "entered_at", "rank"])
    valid["next_at"] = valid.groupby("lead_id")["entered_at"].shift(-1)
    valid["next_rank"] = valid.groupby("lead_id")["rank"].shift(-1)
    iv = valid[valid["next_at"].notna()].copy()
    iv["days"] = (iv["next_at"] - iv["entered_at"]).dt.total_seconds() / 86400.0
    iv["lo"] = np.minimum(iv["rank"], iv["next_rank"])
    iv["hi"] = np.maximum(iv["rank"], iv["next_rank"])
    iv = iv.reset_index(drop=True)
    # stages reached on an unknown date: an event there, but no valid dated one
    has_valid = ev.groupby(["lead_id", "rank"])["valid"].any()
    undated = has_valid[~has_valid].reset_index()[["lead_id", "rank"]].rename(columns={"rank": "u"})
    pairs = iv.reset_index().merge(undated, on="lead_id")
    span_rows = pairs.loc[(pairs["u"] > pairs["lo"]) & (pairs["u"] < pairs["hi"]), "index"].unique()
    completed = iv.drop(index=span_rows)
    time_in_stage = {k: _stats(completed.loc[completed["rank"] == r, "days"].to_numpy()) for k, r in rank_of.items()}

    # cycle of won cohort leads
    won_at = ev[ev["valid"] & (ev["rank"] == won_rank)].groupby("lead_id")["entered_at"].min()
    won_ids = st.index[st == "won"]
    acquired = leads.loc[won_ids, "acquired_at"]
    computed = (won_at.reindex(won_ids) - acquired).dt.total_seconds() / 86400.0
    rep = leads.loc[won_ids, "cycle_days_reported"]
    rep = rep.where(rep >= 0)
    cycle = computed.where(computed.notna(), rep).dropna().to_numpy(dtype=float)
    n_reported = int((computed.isna() & rep.notna()).sum())
    return {"cohort": counts, "reached": reached, "time_in_stage": time_in_stage,
            "cycle": {"n": int(len(cycle)), "n_reported": n_reported,
                      "median": float(np.median(cycle)) if len(cycle) else None,
                      "mean": float(cycle.mean()) if len(cycle) else None}}
