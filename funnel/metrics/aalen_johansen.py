"""The numeric cores of SPEC §7.4–7.5, pure numpy over small arrays (no database, no clock).

- ``competing_risks_curve``: the Aalen–Johansen win curve with loss as a competing outcome, from per-day
  counts (one row per (T, outcome) with its count, as a GROUP BY hands them over), so a million leads
  arrive as a few thousand rows.
- ``transition_matrices``: the one-day transition matrices P(u) = I + ΔA(u) of the stage model from the
  number at risk per (age, state) and the transition counts per (age, from, to).
- ``win_probabilities``: [P(a+1) … P(a+H)]_{s, won} for every distinct age a at once (a batched matrix
  product over the ages: open leads of the same state and age share one product).
- ``interval80``: Σp ± 1.2816·sqrt(Σp(1−p)), clipped to [0, n].

Outcomes are coded ``CENSORED`` = 0, ``WON`` = 1, ``LOST`` = 2.
"""

from __future__ import annotations

import numpy as np

CENSORED, WON, LOST = 0, 1, 2
Z80 = 1.2815515655446004  # the 90% normal quantile: Σp ± Z80·sd covers 80%


def competing_risks_curve(t_days, outcome, count=None) -> dict[str, np.ndarray]:
    """The Aalen–Johansen curves for a set of leads, one point per day t = 0 … max T.

    ``t_days``: whole days T ≥ 0 (close date − acquisition for a closed lead, as-of − acquisition for an
    open one); ``outcome``: ``WON`` / ``LOST`` / ``CENSORED``; ``count``: how many leads each row stands
    for (default 1 each). Returns arrays ``t, n, d_w, d_l, f_w, f_l, s`` where n(t) = leads with T ≥ t
    (a lead censored at t is at risk at t), S(t) = Π_{u≤t} (1 − (d_W(u)+d_L(u))/n(u)) and
    F_W(t) = Σ_{u≤t} S(u−1)·d_W(u)/n(u), S(−1) = 1; F_L likewise. F_W + F_L + S = 1 by construction
    (telescoping). Empty input: empty arrays.
    """
    t = np.asarray(t_days, dtype=np.int64)
    o = np.asarray(outcome, dtype=np.int64)
    w = np.ones(len(t), dtype=np.float64) if count is None else np.asarray(count, dtype=np.float64)
    if t.size == 0 or w.sum() <= 0:
        empty = np.zeros(0)
        return {"t": np.zeros(0, dtype=np.int64), "n": empty, "d_w": empty, "d_l": empty, "f_w": empty,
                "f_l": empty, "s": empty}
    if (t < 0).any():
        raise ValueError("times must be >= 0 days")
    length = int(t.max()) + 1
    total = np.bincount(t, weights=w, minlength=length)
    d_w = np.bincount(t[o == WON], weights=w[o == WON], minlength=length)
    d_l = np.bincount(t[o == LOST], weights=w[o == LOST], minlength=length)
    n = np.cumsum(total[::-1])[::-1]  # leads with T >= t
    with np.errstate(divide="ignore", invalid="ignore"):
        h_w = np.where(n > 0, d_w / n, 0.0)
        h_l = np.where(n > 0, d_l / n, 0.0)
    s = np.cumprod(1.0 - h_w - h_l)
    s_before = np.concatenate(([1.0], s[:-1]))
    f_w = np.cumsum(s_before * h_w)
    f_l = np.cumsum(s_before * h_l)
    return {"t": np.arange(length, dtype=np.int64), "n": n, "d_w": d_w, "d_l": d_l, "f_w": f_w, "f_l": f_l, "s": s}


def competing_risks_curves(group, t_days, outcome, count, n_groups: int) -> dict[str, np.ndarray]:
    """``competing_risks_curve`` for many sets of leads at once (one row per group, no loop over groups).

    ``group``: 0 … n_groups−1 per input row. Returns 2-D arrays (n_groups, L) for ``n, d_w, d_l, f_w, f_l,
    s`` (L = the longest T of all groups + 1; a group's values past its own longest T keep its last value,
    with n = 0 there) and ``longest`` (n_groups,), each group's longest T (−1 for an empty group).
    """
    g = np.asarray(group, dtype=np.int64)
    t = np.asarray(t_days, dtype=np.int64)
    o = np.asarray(outcome, dtype=np.int64)
    w = np.asarray(count, dtype=np.float64)
    length = int(t.max()) + 1 if t.size else 1
    shape = (n_groups, length)
    total, d_w, d_l = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    np.add.at(total, (g, t), w)
    np.add.at(d_w, (g[o == WON], t[o == WON]), w[o == WON])
    np.add.at(d_l, (g[o == LOST], t[o == LOST]), w[o == LOST])
    n = np.cumsum(total[:, ::-1], axis=1)[:, ::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        h_w = np.where(n > 0, d_w / n, 0.0)
        h_l = np.where(n > 0, d_l / n, 0.0)
    s = np.cumprod(1.0 - h_w - h_l, axis=1)
    s_before = np.concatenate((np.ones((n_groups, 1)), s[:, :-1]), axis=1)
    longest = np.full(n_groups, -1, dtype=np.int64)
    np.maximum.at(longest, g, t)
    return {"n": n, "d_w": d_w, "d_l": d_l, "f_w": np.cumsum(s_before * h_w, axis=1),
            "f_l": np.cumsum(s_before * h_l, axis=1), "s": s, "longest": longest}


def value_at(curve: dict[str, np.ndarray], key: str, day: int) -> float | None:
    """A step curve's value at ``day``: the last value past the longest time; None for an empty curve."""
    values = curve[key]
    if values.size == 0:
        return None
    return float(values[min(int(day), values.size - 1)])


def transition_matrices(at_risk: np.ndarray, moves: np.ndarray) -> np.ndarray:
    """P(u) = I + ΔA(u) for u = 0 … U−1 (index u is age u; index 0 is unused and the identity).

    ``at_risk[u, s]``: n_s(u), leads in state s at the end of day u−1 still observed at u;
    ``moves[u, s, r]``: d_{s→r}(u), those of them in state r at the end of day u (the diagonal is
    ignored). ΔA_{sr} = d_{s→r}/n_s, ΔA_{ss} = −Σ_{r≠s} ΔA_{sr}; a row with n_s(u) = 0 is the identity row.
    Shapes (U, m) and (U, m, m); returns (U, m, m).
    """
    at_risk = np.asarray(at_risk, dtype=np.float64)
    moves = np.array(moves, dtype=np.float64)
    size = at_risk.shape[1]
    idx = np.arange(size)
    moves[:, idx, idx] = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = np.where(at_risk[:, :, None] > 0, moves / at_risk[:, :, None], 0.0)
    delta[:, idx, idx] = -delta.sum(axis=2)
    return np.eye(size)[None, :, :] + delta


def win_probabilities(matrices: np.ndarray, ages, horizons, target: int) -> np.ndarray:
    """[P(a+1) P(a+2) … P(a+H)]_{s, target} for every age a in ``ages`` and every H in ``horizons``.

    ``matrices``: (U, m, m) from ``transition_matrices``; past U−1 the matrices are the identity (no lead
    was observed that old: nothing more happens). Returns an array (len(ages), len(horizons), m): entry
    [i, j, s] is the probability that a lead in state s at age ``ages[i]`` is in state ``target`` after
    ``horizons[j]`` more days. One batched product over the distinct ages, day by day up to the largest
    horizon, so the cost is (largest horizon) × (distinct ages) small matrix products, whatever the number
    of leads.
    """
    ages = np.asarray(ages, dtype=np.int64)
    horizons = [int(h) for h in horizons]
    size = matrices.shape[1]
    out = np.zeros((len(ages), len(horizons), size))
    if len(ages) == 0:
        return out
    longest = max(horizons) if horizons else 0
    want = {h: j for j, h in enumerate(horizons)}
    product = np.broadcast_to(np.eye(size), (len(ages), size, size)).copy()
    if 0 in want:
        out[:, want[0], :] = product[:, :, target]
    limit = matrices.shape[0]
    identity = np.eye(size)
    for step in range(1, longest + 1):
        day = ages + step
        inside = day < limit
        if inside.any():
            step_matrices = np.where(inside[:, None, None], matrices[np.minimum(day, limit - 1)], identity)
            product = product @ step_matrices
        if step in want:
            out[:, want[step], :] = product[:, :, target]
    return out


def interval80(p_sum: float, variance_sum: float, n_open: int) -> tuple[float, float]:
    """Σp ± 1.2816·sqrt(Σp(1−p)), clipped to [0, n_open] (SPEC §7.5)."""
    half = Z80 * float(np.sqrt(max(variance_sum, 0.0)))
    return max(0.0, p_sum - half), min(float(n_open), p_sum + half)
