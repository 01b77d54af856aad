"""The arithmetic of SPEC §7.3, pure Python on a few numbers: Shapley split of a product, mix / rate split.

``shapley_product(before, after)``: W = Π x_f, factors f = 0..m-1 going from ``before[f]`` to
``after[f]``. Returns C_f with Σ C_f = W(after) − W(before). By SPEC §7.3:

    C_f = Σ_{S ⊆ others} |S|!(m−|S|−1)!/m! · [W(S ∪ {f} at after) − W(S at after)]

For a product the bracket is (a_f − b_f) · Π_{j∈S} a_j · Π_{j∉S, j≠f} b_j, so the sum over subsets of size k
is the coefficient of z^k in Π_{j≠f} (b_j + a_j·z): the same value, in O(m²) steps instead of 2^m.

``mix_rate(w0, c0, w1, c1)``: per segment g, mix_g = (w1−w0)(c0+c1)/2 and rate_g = (c1−c0)(w0+w1)/2, with
Σ_g (mix_g + rate_g) = Σ w1·c1 − Σ w0·c0 exactly (expand the products: the cross terms cancel).
"""

from __future__ import annotations

from math import factorial


def _poly_without(before: list[float], after: list[float], skip: int) -> list[float]:
    """Coefficients of Π_{j≠skip} (before_j + after_j·z), lowest power first."""
    coeffs = [1.0]
    for j, (b, a) in enumerate(zip(before, after)):
        if j == skip:
            continue
        nxt = [0.0] * (len(coeffs) + 1)
        for k, c in enumerate(coeffs):
            nxt[k] += c * b
            nxt[k + 1] += c * a
        coeffs = nxt
    return coeffs


def shapley_product(before: list[float], after: list[float]) -> list[float]:
    """Shapley contributions of each factor to the change of the product Π x_f (see the module docstring).

    Example (SPEC §7.3): N 100 → 120, p 0.20 → 0.15: W 20 → 18.
    C_N = (120−100)·(½·0.20 + ½·0.15) = +3.5; C_p = (0.15−0.20)·(½·100 + ½·120) = −5.5; sum −2.
    """
    if len(before) != len(after):
        raise ValueError("before and after need one value per factor")
    m = len(before)
    weights = [factorial(k) * factorial(m - k - 1) / factorial(m) for k in range(m)]
    out = []
    for f in range(m):
        coeffs = _poly_without(before, after, f)
        out.append((after[f] - before[f]) * sum(w * c for w, c in zip(weights, coeffs)))
    return out


def product(values: list[float]) -> float:
    result = 1.0
    for v in values:
        result *= v
    return result


def mix_rate(w0: float, c0: float, w1: float, c1: float) -> tuple[float, float]:
    """(mix, rate) of one segment: ((w1−w0)(c0+c1)/2, (c1−c0)(w0+w1)/2)."""
    return (w1 - w0) * (c0 + c1) / 2.0, (c1 - c0) * (w0 + w1) / 2.0
