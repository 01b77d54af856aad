"""The numpy cores of the win curve and the stage model (SPEC §7.4–7.5), worked by hand and against a
plain per-lead reference in exact fractions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from funnel.metrics.aalen_johansen import (CENSORED, LOST, WON, competing_risks_curve, interval80,
                                           transition_matrices, value_at, win_probabilities)
from tests.metrics.markov_chain import (aj_reference, counts_reference, default_chain, outcomes, simulate,
                                        true_win_probability)


def test_fifty_fifty_lost_then_won():
    # lead A lost at day 10, lead B won at day 20.
    # AJ: at t=10 both at risk, one lost -> S = 1/2, F_L = 1/2; at t=20 B alone, won -> F_W = 1/2 * 1/1 = 1/2.
    # A Kaplan–Meier curve treating the lost lead as censored would say 1 - (1 - 1/1) = 1.0.
    curve = competing_risks_curve([10, 20], [LOST, WON])
    assert value_at(curve, "f_w", 30) == 0.5
    assert value_at(curve, "f_l", 30) == 0.5
    assert value_at(curve, "s", 30) == 0.0
    assert value_at(curve, "f_w", 19) == 0.0
    assert list(curve["n"][[0, 10, 11, 20]]) == [2, 2, 1, 1]
    km_censored = 1 - np.prod([1 - 0 / 2, 1 - 1 / 1])  # the naive curve: loss censored at 10, win at 20
    assert km_censored == 1.0


def test_ties_on_one_day():
    # 4 leads: won 5, won 5, lost 5, open (censored) at 8.
    # t=5: n = 4, 2 won, 1 lost -> F_W = 2/4, F_L = 1/4, S = 1/4; nothing after.
    curve = competing_risks_curve([5, 5, 5, 8], [WON, WON, LOST, CENSORED])
    assert value_at(curve, "f_w", 5) == 0.5
    assert value_at(curve, "f_l", 5) == 0.25
    assert value_at(curve, "s", 8) == 0.25
    assert curve["n"][5] == 4 and curve["n"][6] == 1
    assert len(curve["t"]) == 9  # t = 0 … 8, the longest T


def test_censored_on_the_day_of_an_event_is_at_risk():
    # censored at 3, won at 3, won at 6. At t=3 all three are at risk: F_W(3) = 1/3 (not 1/2), S = 2/3;
    # at t=6 one left, won: F_W = 1/3 + 2/3 * 1 = 1.
    curve = competing_risks_curve([3, 3, 6], [CENSORED, WON, WON])
    assert curve["n"][3] == 3
    assert value_at(curve, "f_w", 3) == pytest.approx(1 / 3)
    assert value_at(curve, "f_w", 6) == pytest.approx(1.0)


def test_all_open():
    curve = competing_risks_curve([0, 4, 9], [CENSORED] * 3)
    assert np.all(curve["f_w"] == 0) and np.all(curve["f_l"] == 0) and np.all(curve["s"] == 1)
    assert list(curve["n"][[0, 1, 4, 5, 9]]) == [3, 2, 2, 1, 1]


def test_no_open_leads_ends_at_won_over_leads():
    rng = np.random.default_rng(3)
    t = rng.integers(0, 200, 500)
    o = rng.choice([WON, LOST], 500, p=[0.3, 0.7])
    curve = competing_risks_curve(t, o)
    assert value_at(curve, "f_w", 10_000) == pytest.approx((o == WON).sum() / 500, abs=1e-12)
    assert value_at(curve, "f_l", 10_000) == pytest.approx((o == LOST).sum() / 500, abs=1e-12)


def test_counts_equal_expanded_rows():
    t, o = np.array([1, 1, 2, 3]), np.array([WON, WON, LOST, CENSORED])
    expanded = competing_risks_curve(t, o)
    grouped = competing_risks_curve([1, 2, 3], [WON, LOST, CENSORED], count=[2, 1, 1])
    for key in ("n", "f_w", "f_l", "s"):
        np.testing.assert_allclose(expanded[key], grouped[key])


def test_empty():
    curve = competing_risks_curve([], [])
    assert curve["t"].size == 0 and value_at(curve, "f_w", 30) is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60), st.sampled_from([CENSORED, WON, LOST])), min_size=1, max_size=80))
def test_sum_is_one_and_matches_the_reference(rows):
    t, o = zip(*rows)
    curve = competing_risks_curve(t, o)
    np.testing.assert_allclose(curve["f_w"] + curve["f_l"] + curve["s"], 1.0, atol=1e-12)
    assert np.all(np.diff(curve["f_w"]) >= -1e-15) and np.all(np.diff(curve["f_l"]) >= -1e-15)
    ref = aj_reference(t, o)
    np.testing.assert_allclose(curve["n"], ref["n"])
    for key in ("f_w", "f_l", "s"):
        np.testing.assert_allclose(curve[key], [float(x) for x in ref[key]], atol=1e-12)


def test_interval_is_clipped():
    assert interval80(0.1, 0.09, 1) == (0.0, pytest.approx(0.1 + 1.2815515655446004 * 0.3))
    low, high = interval80(9.9, 0.09, 10)
    assert high == 10.0 and low == pytest.approx(9.9 - 1.2815515655446004 * 0.3)


def test_transition_matrices_rows_sum_to_one_and_identity_without_risk():
    at_risk = np.array([[0, 0, 0], [4, 0, 0], [0, 0, 0]], dtype=float)
    moves = np.zeros((3, 3, 3))
    moves[1, 0, 1] = 1  # 1 of 4 won on day 1
    moves[1, 0, 2] = 2  # 2 of 4 lost
    p = transition_matrices(at_risk, moves)
    np.testing.assert_allclose(p.sum(axis=2), 1.0)
    np.testing.assert_allclose(p[1, 0], [0.25, 0.25, 0.5])
    np.testing.assert_allclose(p[2], np.eye(3))


def test_win_probabilities_match_a_plain_product():
    rng = np.random.default_rng(5)
    size, ages_len = 4, 40
    raw = rng.random((ages_len, size, size))
    raw[:, 2:, :] = 0
    raw[:, 2, 2] = raw[:, 3, 3] = 1
    mats = raw / raw.sum(axis=2, keepdims=True)
    ages = [0, 3, 17, 39, 60]
    got = win_probabilities(mats, ages, [1, 5, 30], target=2)
    for i, a in enumerate(ages):
        for j, h in enumerate([1, 5, 30]):
            prod = np.eye(size)
            for u in range(a + 1, a + h + 1):
                prod = prod @ (mats[u] if u < ages_len else np.eye(size))
            np.testing.assert_allclose(got[i, j], prod[:, 2], atol=1e-12)


def test_two_state_model_from_age_zero_equals_the_win_curve():
    # open / won / lost only: the stage model's state distribution from the day-0 mix is F_W exactly
    q = default_chain(n_open=1, win=0.03, lose=0.05)
    sim = simulate(q, 400, 150, seed=11)
    at_risk, moves = counts_reference(sim)
    mats = transition_matrices(at_risk, moves)
    probs = win_probabilities(mats, [0], [30, 90, 150], target=1)[0, :, 0]
    curve = competing_risks_curve(*outcomes(sim))
    for j, h in enumerate([30, 90, 150]):
        assert probs[j] == pytest.approx(value_at(curve, "f_w", h), abs=1e-12)


def test_markov_chain_recovered_within_the_interval_in_most_seeds():
    q = default_chain()
    inside = 0
    seeds = range(20)
    for seed in seeds:
        sim = simulate(q, 3000, 365, seed=seed)
        at_risk, moves = counts_reference(sim)
        mats = transition_matrices(at_risk, moves)
        # open leads at the as-of date and the true chance each wins within 60 days
        age = sim["as_of_day"] - sim["acq"]
        state = sim["paths"][np.arange(len(age)), age]
        open_ = state < q.shape[0] - 2
        probs = win_probabilities(mats, age[open_], [60], target=q.shape[0] - 2)[:, 0, :]
        p = probs[np.arange(open_.sum()), state[open_]]
        truth = sum(true_win_probability(q, s, 60) for s in state[open_])
        low, high = interval80(p.sum(), (p * (1 - p)).sum(), int(open_.sum()))
        assert abs(p.sum() - truth) < 0.15 * truth  # the estimate is close to the truth
        inside += low <= truth <= high
    assert inside >= 15  # an 80% interval (of the outcome) holds the expected value in most seeds


def test_many_curves_at_once_equal_one_at_a_time():
    from funnel.metrics.aalen_johansen import competing_risks_curves

    rng = np.random.default_rng(8)
    g = rng.integers(0, 4, 300)
    t = rng.integers(0, 90, 300)
    o = rng.choice([CENSORED, WON, LOST], 300)
    many = competing_risks_curves(g, t, o, np.ones(300), 5)
    assert many["longest"][4] == -1
    for k in range(4):
        one = competing_risks_curve(t[g == k], o[g == k])
        size = one["t"].size
        assert many["longest"][k] == size - 1
        for key in ("n", "f_w", "f_l", "s"):
            np.testing.assert_allclose(many[key][k, :size], one[key], atol=1e-12)
        np.testing.assert_allclose(many["f_w"][k, size:], one["f_w"][-1])
