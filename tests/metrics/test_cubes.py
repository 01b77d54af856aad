"""The pre-aggregated tables change no figure: cohort_cube holds every lead once, and the time-in-stage
quartiles and mean taken from interval_cube's per-value counts equal quantile_cont / avg over the intervals
themselves, with fractional days (timestamps) and whole days alike."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from funnel.filters import DIMENSIONS
from funnel.metrics import FunnelFilter, resolve_context, time_in_stage
from funnel.metrics.time_in_stage import _from_counts
from funnel.store.derived import refresh_derived

from tests.metrics.synthetic import make_synthetic


@pytest.fixture
def synthetic_store(store):
    make_synthetic(store, 2_000, seed=5, n_reps=7)
    store.execute("begin")
    refresh_derived(store)
    store.execute("commit")
    return store


def _direct(con, where: str, params: list) -> dict:
    rows = con.execute(
        f"""select stage_rank, kind, count(*), quantile_cont(days, [0.25, 0.5, 0.75]), avg(days), min(days),
                   max(days)
            from interval_facts i where kind in ('completed', 'span') and {where} group by all""", params).fetchall()
    return {(r[0], r[1]): (r[2], list(r[3]), r[4], r[5], r[6]) for r in rows}


def _close(a, b) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


@pytest.mark.parametrize("flt", [FunnelFilter(), FunnelFilter(date_from=dt.date(2023, 3, 1), date_to=dt.date(2023, 5, 31)),
                                 FunnelFilter(date_from=dt.date(2030, 1, 1))], ids=["all", "quarter", "empty"])
@pytest.mark.parametrize("whole_days", [False, True], ids=["timestamps", "dates"])
def test_quartiles_from_counts_equal_quantile_cont(synthetic_store, flt, whole_days):
    con = synthetic_store
    if whole_days:  # what date-only data looks like: every duration a whole number of days
        con.execute("update interval_facts set days = round(days)")
        con.execute("create or replace table interval_cube as select cast(acquired_at as date) as acquired_at, "
                    "stage_rank, kind, days, count(*) as n from interval_facts group by all")
    where, params = flt.where("i")
    direct = _direct(con, where, params)
    cube = {(r[0], r[1]): r[2:] for r in _from_counts(con, where, params)}
    assert set(cube) == set(direct)
    for key, (n, q, mean, low, high) in direct.items():
        c_n, c_q, c_mean, c_low, c_high = cube[key]
        assert c_n == n and c_low == low and c_high == high
        assert all(_close(a, b) for a, b in zip(c_q, q)), (key, c_q, q)
        assert _close(c_mean, mean)


def test_cohort_cube_holds_every_lead_once(synthetic_store):
    con = synthetic_store
    cube_columns = {r[0] for r in con.execute("describe cohort_cube").fetchall()}
    assert {d.column for d in DIMENSIONS} <= cube_columns  # every filter dimension: FunnelFilter.where applies
    facts = con.execute("select status, furthest_rank, count(*), sum(amount) from lead_facts group by all "
                        "order by all").fetchall()
    cube = con.execute("select status, furthest_rank, sum(leads), sum(amount) from cohort_cube group by all "
                       "order by all").fetchall()
    assert [r[:3] for r in cube] == [r[:3] for r in facts]
    assert all(_close(a[3] or 0, b[3] or 0) for a, b in zip(cube, facts))


def test_time_in_stage_same_with_and_without_an_attribute_filter_path(synthetic_store):
    """The attribute-filter path (intervals joined to lead_facts) and the cube path agree when the
    attribute filter selects every lead."""
    con = synthetic_store
    sources = tuple(r[0] for r in con.execute("select distinct source from lead_facts").fetchall())
    whole = time_in_stage(con, resolve_context(con, FunnelFilter()))
    joined = time_in_stage(con, resolve_context(con, FunnelFilter(sources=sources)))
    for col in ("n", "spans", "in_progress"):
        assert list(whole[col]) == list(joined[col])
    for col in ("q1", "median", "q3", "mean", "min", "max"):
        for a, b in zip(whole[col], joined[col]):
            assert (a != a and b != b) or _close(a, b)
