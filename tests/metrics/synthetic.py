"""A synthetic dataset of any size, made with numpy straight into the base tables (for speed checks).

``make_synthetic(con, n_leads, seed)`` fills leads / stage_events / activities / roster of a store made with
``funnel.store.db.connect`` (default stages) with about 4 stage events per lead: progressions up to a random
furthest stage, gaps of a few days, 5% template-like leads whose middle stages are undated, 2% reversals,
0.5% events dated before acquisition, 10% won leads whose cycle is reported instead of dated.
It does not refresh the derived tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SOURCES = ["行业展会", "转介绍", "官网", "广告", "电话营销", "合作伙伴", "社交媒体", "老客户"]
REASONS = ["价格超出预算", "价格超出预算 ", "决策链不清晰", "竞品优势", "需求不明确", "联系不上", "", "预算冻结",
           "ＰＲＩＣＥ too high", "price too high"]
STAGE_KEYS = ["acquired", "screening", "discovery", "proposal", "won", "after_sales"]


def make_synthetic(con, n_leads: int = 1_000_000, seed: int = 7, n_reps: int = 60) -> dict:
    """Insert a synthetic dataset; returns row counts."""
    rng = np.random.default_rng(seed)
    n = n_leads
    lead_ids = np.char.add("L", np.char.zfill(np.arange(n).astype(str), 7))
    base = np.datetime64("2023-01-01T00:00:00", "s")
    acq = base + (rng.integers(0, 730 * 86400, n)).astype("timedelta64[s]")
    # furthest stage rank 1..6 (won = 5, after_sales = 6)
    furthest = rng.choice(np.arange(1, 7), n, p=[0.1, 0.15, 0.2, 0.15, 0.2, 0.2])
    won = furthest >= 5
    lost = (~won) & (rng.random(n) < 0.6)
    status = np.where(won, "won", np.where(lost, "lost", np.where(furthest > 1, "active", "untouched")))
    # one event per stage 1..furthest
    lead_idx = np.repeat(np.arange(n), furthest)
    starts = np.concatenate([[0], np.cumsum(furthest)[:-1]])
    rank = np.arange(len(lead_idx)) - np.repeat(starts, furthest) + 1
    gaps = rng.exponential(6.0, len(lead_idx)) * 86400
    gaps[rank == 1] = 0
    cum = np.cumsum(gaps)
    offset = np.repeat(cum[starts], furthest)
    ev_at = acq[lead_idx] + (cum - offset).astype("timedelta64[s]")
    ev_at = ev_at.astype("datetime64[us]")
    # template-like leads: middle stages undated
    templ = rng.random(n) < 0.05
    undated = templ[lead_idx] & (rank > 1) & (rank < furthest[lead_idx])
    ev_at_nat = ev_at.copy()
    ev_at_nat[undated] = np.datetime64("NaT")
    # events before acquisition (data-quality problems)
    bad = rng.random(len(lead_idx)) < 0.005
    ev_at_nat[bad & ~undated & (rank > 1)] -= np.timedelta64(400, "D")
    events = pd.DataFrame({"lead_id": lead_ids[lead_idx], "stage": np.array(STAGE_KEYS)[rank - 1],
                           "entered_at": ev_at_nat})
    # reversals: back to the previous stage after the last event
    rev = (rng.random(n) < 0.02) & (furthest >= 3) & (furthest <= 4) & ~templ
    last_at = ev_at[starts + furthest - 1]
    rev_idx = np.nonzero(rev)[0]
    rev_events = pd.DataFrame({
        "lead_id": lead_ids[rev_idx], "stage": np.array(STAGE_KEYS)[furthest[rev_idx] - 2],
        "entered_at": last_at[rev_idx] + np.timedelta64(3, "D")})
    events = pd.concat([events, rev_events], ignore_index=True)
    current_rank = np.where(rev, furthest - 1, furthest)
    current_entered = np.where(rev, last_at + np.timedelta64(3, "D"), last_at)
    won_at = ev_at[starts + np.minimum(furthest, 5) - 1]
    cycle_true = (won_at - acq.astype("datetime64[us]")) / np.timedelta64(1, "D")
    reported = won & (rng.random(n) < 0.1)
    cycle_rep = np.where(reported, np.round(cycle_true), np.nan)
    # 10% of the reported-cycle won leads have no won event at all (cycle only reported)
    drop_won = reported & (rng.random(n) < 0.5)
    keep = ~(drop_won[events["lead_id"].str.slice(1).astype(int).to_numpy()] & (events["stage"].to_numpy() != "acquired")
             & np.isin(events["stage"].to_numpy(), ["won", "after_sales"]))
    events = events[keep]
    reps = np.array([f"销售{i:02d}" for i in range(n_reps)])
    rep = reps[rng.integers(0, n_reps, n)]
    reason = np.where(lost, np.array(REASONS)[rng.integers(0, len(REASONS), n)], None)
    lost_at = np.where(lost, last_at + np.timedelta64(5, "D"), np.datetime64("NaT"))
    acq_out = acq.astype("datetime64[us]").copy()
    acq_out[rng.random(n) < 0.001] = np.datetime64("NaT")
    leads = pd.DataFrame({
        "lead_id": lead_ids, "source": np.array(SOURCES)[rng.integers(0, len(SOURCES), n)],
        "customer": None, "contact": None, "contact_info": None, "acquired_at": acq_out,
        "current_stage": np.array(STAGE_KEYS)[current_rank - 1], "stage_entered_at": current_entered,
        "expected_close": acq + np.timedelta64(60, "D"), "rep": rep, "manager": None, "status": None,
        "status_reported": status, "cycle_days_reported": cycle_rep, "lost_reason": reason,
        "lost_at": lost_at, "notes": None, "amount": np.round(rng.lognormal(11, 1, n), 2), "import_id": "synthetic",
    })
    n_act = n
    act_lead = rng.integers(0, n, n_act)
    acts = pd.DataFrame({"lead_id": lead_ids[act_lead],
                         "at": (acq[act_lead] + rng.integers(0, 30 * 86400, n_act).astype("timedelta64[s]")),
                         "content": "电话沟通", "feedback": "neutral", "actor": rep[act_lead], "import_id": "synthetic"})
    roster = pd.DataFrame({"rep": reps, "manager": [f"经理{i % 8}" for i in range(n_reps)],
                           "team": [f"团队{i % 3}" for i in range(n_reps)], "import_id": "synthetic"})
    con.register("_syn_leads", leads)
    con.execute("insert into leads select * from _syn_leads")
    con.register("_syn_events", events)
    con.execute("insert into stage_events select lead_id, stage, entered_at, 'synthetic' from _syn_events")
    con.register("_syn_acts", acts)
    con.execute("insert into activities select * from _syn_acts")
    con.register("_syn_roster", roster)
    con.execute("insert into roster select * from _syn_roster")
    for name in ("_syn_leads", "_syn_events", "_syn_acts", "_syn_roster"):
        con.unregister(name)
    return {"leads": len(leads), "events": len(events), "activities": len(acts)}
