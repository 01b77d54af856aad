"""The baseline: the whole figure set of SPEC §4 in idiomatic, vectorised pandas on the raw tables.

Input: the base tables as DataFrames (``leads``, ``stage_events``, ``activities``, ``roster``, ``stages``), as a
pandas user would load them (from DuckDB or Parquet). Nothing derived is read: ``derive`` builds the per-lead
frame and the stage intervals from the raw events every time (that is the point of the comparison), then one
function per figure family filters the cohort and aggregates. It follows SPEC §4 with groupby / merge / shift
only. It is also the one pandas oracle of the tests (tests/metrics/test_properties.py cross-checks the SQL
metrics against it on random datasets; tests/test_bench_smoke.py runs the harness's gate). It is written the way a competent pandas user would (cleaning the few distinct
loss-reason spellings once, not per row), so the ratios are not flattered by a naive baseline.

    frames = load_frames_duckdb(con)  |  load_frames_parquet(dir)
    d = derive(frames)                       # per-lead facts + intervals (+ as_of)
    figs = figures(d, Filter(...))           # dict shaped like funnel.metrics.figures (key figures)
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

OPEN = ("untouched", "active")
STATUSES = ("untouched", "active", "won", "lost")
UNSPECIFIED = "未填写 / unspecified"
Z95 = 1.959963984540054
MISSING = {"", "-", "--", "—", "——", "–", "无", "n/a", "na", "none", "null", "nan", "/", "#n/a"}
_WIDE = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000"
_NARROW = "".join(chr(c) for c in range(0x21, 0x7F)) + " "
_FOLD = str.maketrans(_WIDE, _NARROW)
_SPACES = re.compile(r"\s+")
DAY = np.timedelta64(86_400, "s")


@dataclass(frozen=True)
class Filter:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    sources: tuple[str, ...] = ()
    reps: tuple[str, ...] = ()
    managers: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    grain: str = "month"
    stalled_days: int = 7


# ------------------------------------------------------------------------------------------------ loading
def load_frames_duckdb(con) -> dict[str, pd.DataFrame]:
    return {
        "leads": con.execute("select * from leads").df(),
        "stage_events": con.execute("select lead_id, stage, entered_at from stage_events").df(),
        "activities": con.execute('select lead_id, "at" from activities').df(),
        "roster": con.execute("select rep, manager, team from roster").df(),
        "stages": con.execute('select key, "order", kind, expected_days from stages order by "order", key').df(),
    }


def load_frames_parquet(directory: str | Path) -> dict[str, pd.DataFrame]:
    d = Path(directory)
    cols = {"stage_events": ["lead_id", "stage", "entered_at"], "activities": ["lead_id", "at"],
            "roster": ["rep", "manager", "team"], "stages": ["key", "order", "kind", "expected_days"]}
    out = {t: pd.read_parquet(d / f"{t}.parquet", columns=cols.get(t)) for t in
           ("leads", "stage_events", "activities", "roster", "stages")}
    out["stages"] = out["stages"].sort_values(["order", "key"]).reset_index(drop=True)
    return out


# ------------------------------------------------------------------------------------------------ derive
def _clean_reason(raw: str) -> str | None:
    text = _SPACES.sub(" ", raw.translate(_FOLD).strip())
    return None if (text == "" or text.lower() in MISSING) else text


def _days(delta: pd.Series) -> pd.Series:
    return delta / pd.Timedelta(days=1)


def _latest(*columns: pd.Series) -> pd.Series:
    """Element-wise latest of several timestamp columns, ignoring missing ones (a row-wise max without
    the slow ``DataFrame.max(axis=1)``)."""
    out = columns[0]
    for col in columns[1:]:
        out = col.where(col.notna() & (out.isna() | (col > out)), out)
    return out


def _recode(codes: np.ndarray, values: pd.Index, func) -> tuple[np.ndarray, pd.Index]:
    """Map the few distinct values of a factorized column through ``func`` once: new codes (-1 = missing)
    and the distinct results."""
    mapped_codes, mapped = pd.factorize(pd.Series(values, dtype=object).map(func))
    return np.where(codes >= 0, mapped_codes[np.maximum(codes, 0)], -1), pd.Index(mapped, dtype=object)


def _ranks(values: pd.Series, keys: list[str]) -> np.ndarray:
    """1-based stage rank of each value (0: not a configured stage), through the few distinct values."""
    codes, uniq = pd.factorize(values)
    lookup = np.array([keys.index(u) + 1 if u in keys else 0 for u in uniq] + [0], dtype="int64")
    return lookup[codes]  # code -1 (missing) takes the trailing 0


def derive(frames: dict[str, pd.DataFrame]) -> dict:
    """Per-lead facts (status, furthest / current stage, cycle, last activity, ...) and the completed
    intervals, from the raw tables.

    What makes it fast in pandas: the text lead ID is looked up once (a hash join giving each event its
    lead's row position ``pos``) and every group-by, sort and join after that runs on integers; the small
    text dimensions become categoricals; the few distinct loss-reason spellings are cleaned once."""
    leads, events, acts, roster, stages = (frames[k] for k in ("leads", "stage_events", "activities", "roster",
                                                               "stages"))
    keys = list(stages["key"])
    n_st = len(keys)
    won_rank = keys.index(stages.loc[stages["kind"] == "won", "key"].iloc[0]) + 1
    n = len(leads)

    lf = leads[["lead_id", "source", "customer", "rep", "manager", "acquired_at", "current_stage",
                "stage_entered_at", "expected_close", "status_reported", "cycle_days_reported", "lost_reason",
                "lost_at", "amount"]].reset_index(drop=True)
    lf["reported_rank"] = pd.Series(_ranks(lf["current_stage"], keys)).replace(0, np.nan)

    # the text lead ID factorized once over the three tables: leads get codes 0..n-1 (their row position,
    # IDs being unique), an event or activity of an unknown lead a code >= n; everything after runs on ints
    codes, _ = pd.factorize(pd.concat([lf["lead_id"], events["lead_id"], acts["lead_id"]], ignore_index=True))
    e_pos, a_pos = codes[n:n + len(events)], codes[n + len(events):]
    rank = _ranks(events["stage"], keys)
    keep = (e_pos < n) & (rank > 0)
    ev = pd.DataFrame({"pos": e_pos[keep], "rank": rank[keep], "entered_at": events["entered_at"].to_numpy()[keep]})
    ev["acquired_at"] = lf["acquired_at"].to_numpy()[ev["pos"].to_numpy()]
    ev["valid"] = ev["entered_at"].notna() & (ev["acquired_at"].isna() | (ev["entered_at"] >= ev["acquired_at"]))
    ev["bit"] = np.left_shift(1, ev["rank"].to_numpy())
    reported = lf["reported_rank"].to_numpy()[ev["pos"].to_numpy()]

    g = ev.groupby("pos", sort=False)
    per = pd.DataFrame({"event_rank": g["rank"].max(), "n_events": g.size()})
    first = ~pd.Series(ev["pos"].to_numpy() * 64 + ev["rank"].to_numpy()).duplicated().to_numpy()  # (lead, stage)
    per["event_mask"] = ev[first].groupby("pos", sort=False)["bit"].sum()
    valid = ev[ev["valid"].to_numpy()]
    v_first = ~pd.Series(valid["pos"].to_numpy() * 64 + valid["rank"].to_numpy()).duplicated().to_numpy()
    per["dated_mask"] = valid[v_first].groupby("pos", sort=False)["bit"].sum()
    per["last_event_at"] = valid.groupby("pos", sort=False)["entered_at"].max()
    per["won_at"] = valid[valid["rank"] == won_rank].groupby("pos", sort=False)["entered_at"].min()
    at_current = valid[valid["rank"].to_numpy() == reported[ev["valid"].to_numpy()]]
    per["cur_entered_at"] = at_current.groupby("pos", sort=False)["entered_at"].max()
    sv = valid[["pos", "rank", "entered_at"]].sort_values(["pos", "entered_at", "rank"])
    last_of_lead = np.r_[sv["pos"].to_numpy()[1:] != sv["pos"].to_numpy()[:-1], True] if len(sv) else np.array([], bool)
    per["latest_rank"] = sv[last_of_lead].set_index("pos")["rank"]
    prog = (ev["rank"] > 1) | (ev["valid"] & (ev["entered_at"] > ev["acquired_at"]))
    per["progressed"] = prog.groupby(ev["pos"], sort=False).any()
    lf = lf.join(per)

    a = acts.loc[a_pos < n, "at"].groupby(a_pos[a_pos < n], sort=False).agg(["max", "size"])
    lf["last_act_at"] = a["max"]
    lf["n_activities"] = a["size"]

    r = roster.drop_duplicates("rep").set_index("rep")
    lf["manager"] = lf["manager"].fillna(lf["rep"].map(r["manager"]))
    lf["team"] = lf["rep"].map(r["team"])
    for col in ("source", "rep", "manager", "team"):
        lf[col] = lf[col].astype("category")
    lf["event_mask"] = lf["event_mask"].fillna(0).astype("int64")
    lf["dated_mask"] = lf["dated_mask"].fillna(0).astype("int64")
    lf["n_activities"] = lf["n_activities"].fillna(0).astype("int64")
    lf["progressed"] = lf["progressed"].fillna(False).astype(bool)

    # loss reason: the few distinct spellings cleaned once, kept as categoricals
    codes, uniq = pd.factorize(lf["lost_reason"])
    r_codes, r_uniq = _recode(codes, uniq, _clean_reason)
    k_codes, k_uniq = _recode(r_codes, r_uniq, str.lower)
    lf["lost_reason"] = pd.Categorical.from_codes(r_codes, categories=r_uniq)
    lf["lost_reason_key"] = pd.Categorical.from_codes(k_codes, categories=k_uniq)

    pre = np.maximum(lf["event_rank"].fillna(1), lf["reported_rank"].fillna(1)).astype("int64")
    status_reported = lf["status_reported"].where(lf["status_reported"].isin(STATUSES))
    derived = np.select(
        [pre >= won_rank, lf["lost_reason"].notna() | lf["lost_at"].notna(),
         lf["progressed"] | (lf["n_activities"] > 0)],
        ["won", "lost", "active"], "untouched")
    lf["status"] = pd.Categorical(status_reported.fillna(pd.Series(derived, index=lf.index)), categories=STATUSES)
    won = (lf["status"] == "won").to_numpy()
    lf["furthest_rank"] = np.where(won, np.maximum(pre, won_rank), pre)
    lf["current_rank"] = lf["reported_rank"].fillna(lf["latest_rank"]).fillna(lf["furthest_rank"]).astype("int64")
    lf["current_entered_at"] = lf["cur_entered_at"].fillna(lf["stage_entered_at"]).where(
        lf["reported_rank"].notna(), lf["last_event_at"].where(lf["latest_rank"].notna(), lf["stage_entered_at"]))
    expected = stages["expected_days"].to_numpy()
    lf["current_expected_days"] = expected[lf["current_rank"].to_numpy() - 1]
    computed = _days(lf["won_at"] - lf["acquired_at"])
    rep_cycle = lf["cycle_days_reported"].where(lf["cycle_days_reported"] >= 0)
    lf["cycle_days"] = computed.fillna(rep_cycle)
    lf["cycle_from_reported"] = computed.isna() & rep_cycle.notna()
    lf["loss_days"] = _days(lf["lost_at"] - lf["acquired_at"]).where(lf["lost_at"] >= lf["acquired_at"])
    lf["last_activity_at"] = _latest(lf["last_event_at"], lf["last_act_at"], lf["acquired_at"])

    # completed intervals: consecutive valid dated events of a lead, by time then stage order
    p = sv["pos"].to_numpy()
    same = p[1:] == p[:-1]
    start_rank = sv["rank"].to_numpy()[:-1][same]
    next_rank = sv["rank"].to_numpy()[1:][same]
    at = sv["entered_at"].to_numpy()
    i_pos = p[:-1][same]
    undated = (lf["event_mask"].to_numpy() & ~lf["dated_mask"].to_numpy())[i_pos]
    lo, hi = np.minimum(start_rank, next_rank), np.maximum(start_rank, next_rank)
    between = (np.left_shift(1, hi) - 1) & ~(np.left_shift(1, lo + 1) - 1)
    intervals = pd.DataFrame({"pos": i_pos, "rank": start_rank,
                              "days": (at[1:][same] - at[:-1][same]) / DAY, "span": (undated & between) != 0})

    as_of = max(x for x in (leads["acquired_at"].max(), leads["lost_at"].max(), events["entered_at"].max(),
                            acts["at"].max()) if not pd.isna(x))
    return {"facts": lf, "intervals": intervals, "stages": stages, "keys": keys, "won_rank": won_rank,
            "n_stages": n_st, "as_of": pd.Timestamp(as_of).normalize(), "events": ev, "n_leads": n}


# ------------------------------------------------------------------------------------------------ figures
def _mask(df: pd.DataFrame, flt: Filter, dated: bool = True) -> pd.Series:
    m = df["acquired_at"].notna() if dated else pd.Series(True, index=df.index)
    if dated and flt.date_from is not None:
        m &= df["acquired_at"] >= pd.Timestamp(flt.date_from)
    if dated and flt.date_to is not None:
        m &= df["acquired_at"] < pd.Timestamp(flt.date_to) + pd.Timedelta(days=1)
    for col, values in (("source", flt.sources), ("rep", flt.reps), ("manager", flt.managers), ("team", flt.teams)):
        if values:
            m &= df[col].isin(values)
    return m


def cohort(d: dict, flt: Filter) -> pd.DataFrame:
    f = d["facts"]
    return f[_mask(f, flt)]


def _ratio(a, b):
    return None if b is None or b == 0 or a is None else float(a) / float(b)


def _num(x):
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def cohort_summary(d: dict, c: pd.DataFrame, flt: Filter) -> dict:
    f = d["facts"]
    st = c["status"].value_counts()
    won, lost = int(st.get("won", 0)), int(st.get("lost", 0))
    reached_won = int((c["furthest_rank"] >= d["won_rank"]).sum())
    undated = int((f["acquired_at"].isna() & _mask(f, flt, dated=False)).sum())
    return {"leads": len(c), "won": won, "lost": lost, "open": int(st.get("untouched", 0) + st.get("active", 0)),
            "undated": undated, "overall_conversion": _ratio(reached_won, len(c)), "win_rate": _ratio(won, won + lost),
            "won_amount": _num(c.loc[c["status"] == "won", "amount"].sum(min_count=1))}


def stage_funnel(d: dict, c: pd.DataFrame) -> pd.DataFrame:
    ranks = pd.RangeIndex(1, d["n_stages"] + 1)
    at_furthest = c["furthest_rank"].value_counts().reindex(ranks, fill_value=0)
    reached = at_furthest[::-1].cumsum()[::-1]
    is_open = c["status"].isin(OPEN)
    dropped = c.loc[c["status"] == "lost", "furthest_rank"].value_counts().reindex(ranks, fill_value=0)
    open_at = c.loc[is_open, "furthest_rank"].value_counts().reindex(ranks, fill_value=0)
    in_prog = c.loc[is_open, "current_rank"].value_counts().reindex(ranks, fill_value=0)
    step = (reached / reached.shift(1)).where(reached.shift(1) > 0)
    return pd.DataFrame({"stage": d["keys"], "reached": reached.to_numpy(), "step_conversion": step.to_numpy(),
                         "dropped": dropped.to_numpy(), "open": open_at.to_numpy(), "in_progress": in_prog.to_numpy()})


def time_in_stage(d: dict, c: pd.DataFrame, flt: Filter) -> pd.DataFrame:
    iv = d["intervals"]
    iv = iv[_mask(d["facts"], flt).to_numpy()[iv["pos"].to_numpy()]]
    done = iv[~iv["span"]].groupby("rank")["days"]
    q = done.quantile([0.25, 0.5, 0.75]).unstack()
    out = pd.DataFrame({"n": done.size(), "q1": q[0.25], "median": q[0.5], "q3": q[0.75], "mean": done.mean(),
                        "min": done.min(), "max": done.max()})
    out["spans"] = iv[iv["span"]].groupby("rank").size()
    op = c[c["status"].isin(OPEN)]
    run = _days(d["as_of"] - op["current_entered_at"]).clip(lower=0)
    out = out.join(run.groupby(op["current_rank"]).agg(["size", "median"]).set_axis(
        ["in_progress", "in_progress_median_days"], axis=1), how="outer")
    out = out.reindex(pd.RangeIndex(1, d["n_stages"] + 1))
    out[["n", "spans", "in_progress"]] = out[["n", "spans", "in_progress"]].fillna(0).astype("int64")
    out.insert(0, "stage", d["keys"])
    return out.reset_index(drop=True)


def cycle_summary(c: pd.DataFrame) -> dict:
    w = c[c["status"] == "won"]
    cyc = w["cycle_days"].dropna()
    q = cyc.quantile([0.25, 0.5, 0.75]) if len(cyc) else pd.Series([None] * 3, index=[0.25, 0.5, 0.75])
    return {"n": len(cyc), "n_reported": int((w["cycle_from_reported"] & w["cycle_days"].notna()).sum()),
            "q1": _num(q[0.25]), "median": _num(q[0.5]), "q3": _num(q[0.75]), "mean": _num(cyc.mean())}


def time_to_loss(c: pd.DataFrame) -> dict:
    lost = c[c["status"] == "lost"]["loss_days"]
    known = lost.dropna()
    return {"n": len(known), "median": _num(known.median()), "mean": _num(known.mean()),
            "n_unknown": int(lost.isna().sum())}


def loss_reasons(c: pd.DataFrame) -> pd.DataFrame:
    lost = c[c["status"] == "lost"]
    spell = lost.groupby(["lost_reason_key", "lost_reason"], dropna=False, observed=True).size().reset_index(name="c")
    spell = spell.astype({"lost_reason_key": object, "lost_reason": object})
    spell = spell.sort_values(["lost_reason_key", "c", "lost_reason"], ascending=[True, False, True])
    label = spell.drop_duplicates("lost_reason_key")
    counts = spell.groupby("lost_reason_key", dropna=False)["c"].sum()
    out = pd.DataFrame({"reason": label.set_index("lost_reason_key")["lost_reason"].reindex(counts.index)
                        .fillna(UNSPECIFIED).to_numpy(), "count": counts.to_numpy()})
    out = out.sort_values(["count", "reason"], ascending=[False, True]).reset_index(drop=True)
    total = out["count"].sum()
    out["share"] = out["count"] / total
    out["cumulative_share"] = out["count"].cumsum() / total
    return out


def loss_by_stage(d: dict, c: pd.DataFrame) -> pd.DataFrame:
    ranks = pd.RangeIndex(1, d["n_stages"] + 1)
    lost = c[c["status"] == "lost"]
    n_lost = lost["furthest_rank"].value_counts().reindex(ranks, fill_value=0)
    reached = c["furthest_rank"].value_counts().reindex(ranks, fill_value=0)[::-1].cumsum()[::-1]
    top = (lost.dropna(subset=["lost_reason"]).groupby(["furthest_rank", "lost_reason"], observed=True).size()
           .reset_index(name="n").astype({"lost_reason": object}).sort_values(["furthest_rank", "n", "lost_reason"], ascending=[True, False, True])
           .drop_duplicates("furthest_rank").set_index("furthest_rank")["lost_reason"].reindex(ranks))
    return pd.DataFrame({"stage": d["keys"], "lost": n_lost.to_numpy(), "share": (n_lost / n_lost.sum()).to_numpy(),
                         "loss_rate": (n_lost / reached.where(reached > 0)).to_numpy(), "top_reason": top.to_numpy()})


def _wilson(won: np.ndarray, n: np.ndarray, z: float = Z95):
    p = won / n
    denom = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return np.maximum(0.0, center - half), np.minimum(1.0, center + half)


def leaderboard(d: dict, c: pd.DataFrame, by: str, flt: Filter) -> pd.DataFrame:
    is_open = c["status"].isin(OPEN)
    idle = _days(d["as_of"] - c["last_activity_at"])
    x = pd.DataFrame({by: c[by], "won": c["status"] == "won", "lost": c["status"] == "lost", "open": is_open,
                      "stalled": is_open & (idle > flt.stalled_days), "acts": c["n_activities"],
                      "cycle": c["cycle_days"].where(c["status"] == "won"),
                      "won_amount": c["amount"].where(c["status"] == "won")})
    g = x.groupby(by, dropna=False, sort=False, observed=True)
    out = g.agg(leads=("won", "size"), won=("won", "sum"), lost=("lost", "sum"), open=("open", "sum"),
                median_cycle_days=("cycle", "median"), stalled=("stalled", "sum"), activities=("acts", "sum"),
                won_amount=("won_amount", "sum")).reset_index()
    out[by] = out[by].astype(object).where(out[by].notna(), None)
    out["conversion"] = out["won"] / out["leads"]
    out["conversion_ci_low"], out["conversion_ci_high"] = _wilson(out["won"].to_numpy(float), out["leads"].to_numpy(float))
    out["win_rate"] = (out["won"] / (out["won"] + out["lost"])).where(out["won"] + out["lost"] > 0)
    out["activities_per_lead"] = out["activities"] / out["leads"]
    out["_null"] = out[by].isna()
    out = out.sort_values(["conversion_ci_low", "_null", by], ascending=[False, True, True], na_position="last")
    return out.drop(columns=["_null", "activities"]).reset_index(drop=True)


def stalled(d: dict, c: pd.DataFrame, flt: Filter) -> pd.DataFrame:
    op = c[c["status"].isin(OPEN)]
    idle = _days(d["as_of"] - op["last_activity_at"])
    s = op.assign(idle_days=idle)[idle > flt.stalled_days]
    keys = np.array(d["keys"], dtype=object)
    s = s.assign(stage=keys[s["current_rank"].to_numpy() - 1])
    return s.sort_values(["idle_days", "lead_id"], ascending=[False, True])[
        ["lead_id", "customer", "rep", "manager", "team", "source", "stage", "status", "last_activity_at", "idle_days"]]


def overdue(d: dict, c: pd.DataFrame) -> pd.DataFrame:
    op = c[c["status"].isin(OPEN) & c["current_expected_days"].notna() & c["current_entered_at"].notna()]
    days = _days(d["as_of"] - op["current_entered_at"])
    o = op.assign(days_in_stage=days, overdue_days=days - op["current_expected_days"])
    o = o[o["overdue_days"] > 0]
    return o.sort_values(["overdue_days", "lead_id"], ascending=[False, True])[
        ["lead_id", "customer", "rep", "current_rank", "current_entered_at", "days_in_stage", "overdue_days"]]


def past_expected_close(d: dict, c: pd.DataFrame) -> pd.DataFrame:
    op = c[c["status"].isin(OPEN) & (c["expected_close"] < d["as_of"])]
    o = op.assign(days_past=_days(d["as_of"] - op["expected_close"]))
    return o.sort_values(["days_past", "lead_id"], ascending=[False, True])[
        ["lead_id", "customer", "rep", "current_rank", "expected_close", "days_past"]]


def trends(c: pd.DataFrame, flt: Filter) -> pd.DataFrame:
    freq = {"week": "W-SUN", "month": "M", "quarter": "Q"}[flt.grain]
    period = c["acquired_at"].dt.to_period(freq).dt.start_time
    x = pd.DataFrame({"period_start": period, "won": c["status"] == "won", "lost": c["status"] == "lost",
                      "open": c["status"].isin(OPEN), "cycle": c["cycle_days"].where(c["status"] == "won")})
    out = x.groupby("period_start").agg(leads=("won", "size"), won=("won", "sum"), lost=("lost", "sum"),
                                        open=("open", "sum"), median_cycle_days=("cycle", "median")).reset_index()
    out["conversion"] = out["won"] / out["leads"]
    return out


def data_quality_counts(d: dict, c: pd.DataFrame) -> dict:
    ev = d["events"]
    in_cohort = np.zeros(d["n_leads"], dtype=bool)
    in_cohort[c.index.to_numpy()] = True
    before = ev[(ev["entered_at"] < ev["acquired_at"]).to_numpy() & in_cohort[ev["pos"].to_numpy()]]
    mism = c[(_days(c["won_at"] - c["acquired_at"]) - c["cycle_days_reported"]).abs() > 1]
    return {"before_acquisition": len(before), "cycle_mismatch": len(mism),
            "lost_before_acquisition": int((c["lost_at"] < c["acquired_at"]).sum())}


FAMILIES = ("cohort_funnel", "time_in_stage", "cycle", "loss", "leaderboards", "followup", "trends")


def family(d: dict, name: str, flt: Filter):
    """One figure family on the derived frames (cohort selection included)."""
    c = cohort(d, flt)
    if name == "cohort_funnel":
        return cohort_summary(d, c, flt), stage_funnel(d, c)
    if name == "time_in_stage":
        return time_in_stage(d, c, flt)
    if name == "cycle":
        return cycle_summary(c), time_to_loss(c)
    if name == "loss":
        return loss_reasons(c), loss_by_stage(d, c)
    if name == "leaderboards":
        return {by: leaderboard(d, c, by, flt) for by in ("rep", "manager", "team", "source")}
    if name == "followup":
        return stalled(d, c, flt), overdue(d, c), past_expected_close(d, c)
    if name == "trends":
        return trends(c, flt)
    raise ValueError(name)


def _records(df: pd.DataFrame) -> list[dict]:
    return df.astype(object).where(df.notna(), None).to_dict("records")


def figures_from_derived(d: dict, flt: Filter) -> dict:
    c = cohort(d, flt)
    summary = cohort_summary(d, c, flt)
    fun = stage_funnel(d, c)
    tis = time_in_stage(d, c, flt)
    stages = []
    for f_row, t_row in zip(_records(fun), _records(tis)):
        stages.append({"key": f_row["stage"], "reached": int(f_row["reached"]),
                       "step_conversion": f_row["step_conversion"], "dropped": int(f_row["dropped"]),
                       "open": int(f_row["open"]), "in_progress": int(f_row["in_progress"]),
                       "time_in_stage_days": None if not t_row["n"] else
                       {k: t_row[k] for k in ("n", "q1", "median", "q3", "mean")}})
    boards = {by: leaderboard(d, c, by, flt) for by in ("rep", "manager", "team", "source")}
    st = stalled(d, c, flt)
    return {
        "as_of": d["as_of"].date().isoformat(),
        "cohort": {k: summary[k] for k in ("leads", "won", "lost", "open", "undated")},
        "overall_conversion": summary["overall_conversion"], "win_rate": summary["win_rate"],
        "stages": stages, "cycle_days": cycle_summary(c), "time_to_loss_days": time_to_loss(c),
        "loss_reasons": _records(loss_reasons(c)), "loss_by_stage": _records(loss_by_stage(d, c)),
        "reps": _records(boards["rep"]), "managers": _records(boards["manager"]), "teams": _records(boards["team"]),
        "sources": _records(boards["source"]),
        "stalled": _records(st), "stalled_count": len(st),
        "overdue_count": len(overdue(d, c)), "past_expected_close_count": len(past_expected_close(d, c)),
        "trends": _records(trends(c, flt)), "data_quality": data_quality_counts(d, c),
    }


def figures(frames: dict[str, pd.DataFrame], flt: Filter) -> dict:
    """The whole figure set from the raw tables (derivation included)."""
    return figures_from_derived(derive(frames), flt)
