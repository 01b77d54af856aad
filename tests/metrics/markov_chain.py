"""Synthetic leads drawn from a known Markov chain of stages, and a plain per-lead reference of the
competing-risks curve and of the stage model's counts (loops on purpose: the independent computation).

States: 0 … K−1 = the open stages, K = won, K+1 = lost. Every lead is in state 0 at the end of its day 0;
then on each day it moves by the daily matrix ``Q`` (rows sum to 1; won and lost absorbing).
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import numpy as np


def default_chain(n_open: int = 3, advance: float = 0.04, lose: float = 0.02, win: float = 0.05) -> np.ndarray:
    """A daily matrix over n_open stages + won + lost: advance one stage, lose, or (last stage) win."""
    m = n_open + 2
    q = np.zeros((m, m))
    for s in range(n_open):
        q[s, m - 1] = lose
        if s + 1 < n_open:
            q[s, s + 1] = advance
        else:
            q[s, n_open] = win
        q[s, s] = 1.0 - q[s].sum()
    q[n_open, n_open] = 1.0
    q[m - 1, m - 1] = 1.0
    return q


def simulate(q: np.ndarray, n_leads: int, as_of_day: int, seed: int, first_day: int = 0) -> dict:
    """Per lead: ``acq`` (day acquired, first_day … as_of_day) and ``path`` (state at the end of each
    day of age 0 … as_of_day − acq), vectorised over leads, one loop over days."""
    rng = np.random.default_rng(seed)
    m = q.shape[0]
    acq = rng.integers(first_day, as_of_day + 1, n_leads)
    horizon = as_of_day - int(acq.min()) if n_leads else 0
    paths = np.full((n_leads, horizon + 1), -1, dtype=np.int64)
    state = np.zeros(n_leads, dtype=np.int64)
    paths[:, 0] = 0
    cum = np.cumsum(q, axis=1)
    for age in range(1, horizon + 1):
        alive = acq + age <= as_of_day
        draw = rng.random(n_leads)
        nxt = np.minimum((draw[:, None] > cum[state]).sum(axis=1), m - 1)
        state = np.where(alive, nxt, state)
        paths[:, age] = np.where(alive, state, -1)
    return {"acq": acq, "paths": paths, "as_of_day": as_of_day, "m": m}


def outcomes(sim: dict) -> tuple[np.ndarray, np.ndarray]:
    """(T, outcome) per lead for the win curve: close age and 1 won / 2 lost, else as-of age and 0."""
    m = sim["m"]
    won, lost = m - 2, m - 1
    ts, os = [], []
    for acq, path in zip(sim["acq"], sim["paths"]):
        last = sim["as_of_day"] - acq
        t, o = last, 0
        for age in range(last + 1):
            if path[age] in (won, lost):
                t, o = age, 1 if path[age] == won else 2
                break
        ts.append(t)
        os.append(o)
    return np.array(ts), np.array(os)


def counts_reference(sim: dict) -> tuple[np.ndarray, np.ndarray]:
    """n_s(u) and d_{s→r}(u) by a per-lead loop (SPEC §7.5); arrays (U, m) and (U, m, m)."""
    m = sim["m"]
    absorbing = (m - 2, m - 1)
    size = int((sim["as_of_day"] - sim["acq"]).max()) + 2
    at_risk = np.zeros((size, m))
    moves = np.zeros((size, m, m))
    for acq, path in zip(sim["acq"], sim["paths"]):
        observed = sim["as_of_day"] - acq
        for u in range(1, observed + 1):
            s, r = path[u - 1], path[u]
            if s in absorbing:
                break
            at_risk[u, s] += 1
            if r != s:
                moves[u, s, r] += 1
    return at_risk, moves


def true_win_probability(q: np.ndarray, state: int, horizon: int) -> float:
    return float(np.linalg.matrix_power(q, horizon)[state, q.shape[0] - 2])


def aj_reference(t_days, outcome) -> dict:
    """The competing-risks curve by the textbook formulas, one lead at a time, in exact fractions."""
    t_days = [int(x) for x in t_days]
    outcome = [int(x) for x in outcome]
    longest = max(t_days)
    s_prev, f_w, f_l = Fraction(1), Fraction(0), Fraction(0)
    out = {"n": [], "f_w": [], "f_l": [], "s": []}
    for day in range(longest + 1):
        n = sum(1 for t in t_days if t >= day)
        d_w = sum(1 for t, o in zip(t_days, outcome) if t == day and o == 1)
        d_l = sum(1 for t, o in zip(t_days, outcome) if t == day and o == 2)
        if n:
            f_w += s_prev * Fraction(d_w, n)
            f_l += s_prev * Fraction(d_l, n)
            s_prev = s_prev * (1 - Fraction(d_w + d_l, n))
        out["n"].append(n)
        out["f_w"].append(f_w)
        out["f_l"].append(f_l)
        out["s"].append(s_prev)
    return out


def to_dates(day: int, origin: dt.date = dt.date(2024, 1, 1)) -> dt.date:
    return origin + dt.timedelta(days=int(day))


STAGE_KEYS = ("acquired", "screening", "discovery", "proposal")  # the default open stages, in order


def load_simulation(con, sim: dict, origin: dt.date = dt.date(2024, 1, 1), sources=("展会", "官网")) -> dict:
    """Write a simulation (4 open states = the default stages before won) into an empty store's base
    tables: one lead each, a stage event per change into an open stage (the first at acquisition), a
    ``won`` event on the win day, ``lost_at`` on the loss day; statuses reported. Returns per-lead arrays
    (``ids``, ``acq_date``) for the tests. Does not derive."""
    import pandas as pd

    m = sim["m"]
    assert m == len(STAGE_KEYS) + 2, "load_simulation writes the 4 default open stages"
    won, lost = m - 2, m - 1
    paths, acq = sim["paths"], sim["acq"]
    n = len(acq)
    ids = np.array([f"M{i:06d}" for i in range(n)])
    base = np.datetime64(origin, "D")
    acq_at = (base + acq.astype("timedelta64[D]")).astype("datetime64[us]")
    prev = np.concatenate((np.full((n, 1), -1), paths[:, :-1]), axis=1)
    change = (paths >= 0) & (paths != prev)
    lead_idx, age = np.nonzero(change)
    state = paths[lead_idx, age]
    day = acq_at[lead_idx] + (age.astype("timedelta64[D]")).astype("timedelta64[us]")
    ev = state != lost
    keys = np.array(list(STAGE_KEYS) + ["won", "lost"])
    events = pd.DataFrame({"lead_id": ids[lead_idx[ev]], "stage": keys[state[ev]], "entered_at": day[ev],
                           "import_id": "sim"})
    last_age = sim["as_of_day"] - acq
    final = paths[np.arange(n), last_age]
    last_open = np.where(paths < won, paths, -1).max(axis=1)
    lost_rows = lead_idx[state == lost]
    lost_at = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    lost_at[lost_rows] = day[state == lost]
    status = np.where(final == won, "won", np.where(final == lost, "lost", "active"))
    current = np.where(final == won, "won", keys[np.maximum(last_open, 0)])
    leads = pd.DataFrame({"lead_id": ids, "source": np.array(sources)[np.arange(n) % len(sources)],
                          "acquired_at": acq_at, "current_stage": current, "status_reported": status,
                          "lost_at": lost_at, "rep": np.array(["李明", "王芳", "张伟"])[np.arange(n) % 3],
                          "amount": (np.arange(n) % 5 + 1) * 1000.0, "import_id": "sim"})
    con.register("_sim_leads", leads)
    con.register("_sim_events", events)
    con.execute("""insert into leads (lead_id, source, acquired_at, current_stage, status_reported, lost_at, rep,
                                      amount, import_id)
                   select lead_id, source, acquired_at, current_stage, status_reported, lost_at, rep, amount, import_id
                   from _sim_leads""")
    con.execute("insert into stage_events select lead_id, stage, entered_at, import_id from _sim_events")
    con.unregister("_sim_leads")
    con.unregister("_sim_events")
    return {"ids": ids, "acq_date": [origin + dt.timedelta(days=int(a)) for a in acq]}
