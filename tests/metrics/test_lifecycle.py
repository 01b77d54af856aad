"""SPEC §7's close date and state-at-a-date rule (funnel/metrics/lifecycle.py), on hand-made leads."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings, strategies as st

from funnel.metrics.lifecycle import state_changes_sql, states_at_sql, undated_leads
from tests.metrics.conftest import Builder

D = dt.date.fromisoformat


def close_dates(con) -> dict[str, tuple]:
    rows = con.execute("select lead_id, close_date, close_estimated from lead_facts").fetchall()
    return {lead: (day.isoformat() if day else None, est) for lead, day, est in rows}


def states(con, ctx, day: str) -> dict[str, tuple]:
    sql, params = states_at_sql(ctx, D(day))
    return {r[0]: (r[1], r[2]) for r in con.execute(f"select lead_id, state, stage from ({sql})", params).fetchall()}


def changes(con, ctx, known_by: str | None = None) -> dict[str, list]:
    sql, params = state_changes_sql(ctx, D(known_by) if known_by else None)
    rows = con.execute(
        f"select f.lead_id, c.age_days, c.state, c.stage_rank, c.observed_to_age from ({sql}) c "
        "join lead_facts f using (lead_key) order by f.lead_id, c.age_days", params).fetchall()
    out: dict[str, list] = {}
    for lead, age, state, rank, observed in rows:
        out.setdefault(lead, []).append((age, state, rank, observed))
    return out


def test_close_date_sources_and_fallbacks(build):
    (build
     # won with a dated won entry: closes on it (03-20), not estimated
     .lead("W1", "2024-03-01 09:00", status="won", events=[("won", "2024-03-20 15:00")])
     # won, no dated won entry, reported cycle 10 days: 03-01 + 10 = 03-11, estimated
     .lead("W2", "2024-03-01", status="won", cycle=10)
     # won, nothing but a screening entry on 03-05: last activity 03-05, estimated
     .lead("W3", "2024-03-01", status="won", events=[("screening", "2024-03-05")])
     # lost with lost_at 03-15: not estimated
     .lead("L1", "2024-03-01", status="lost", lost_at="2024-03-15")
     # lost_at before acquisition: ignored, falls back to the last activity (acquisition day), estimated
     .lead("L2", "2024-03-10", status="lost", lost_at="2024-03-01")
     # lost, no lost_at, an activity on 03-25: estimated 03-25
     .lead("L3", "2024-03-01", status="lost", reason="价格")
     .activity("L3", "2024-03-25 18:00")
     # open: no close date
     .lead("O1", "2024-03-01", status="active")
     # lost, undated and without lost_at: estimated from its last activity (none): no date at all
     .lead("U1", None, status="lost")
     .derive())
    assert close_dates(build.con) == {
        "W1": ("2024-03-20", False), "W2": ("2024-03-11", True), "W3": ("2024-03-05", True),
        "L1": ("2024-03-15", False), "L2": ("2024-03-10", True), "L3": ("2024-03-25", True),
        "O1": (None, None), "U1": (None, True)}


def test_state_at_a_date(build):
    (build
     # screening 03-05, then discovery and proposal both on 03-10 (equal day: the higher stage wins)
     .lead("A", "2024-03-01", status="active",
           events=[("screening", "2024-03-05"), ("proposal", "2024-03-10 08:00"), ("discovery", "2024-03-10 17:00")])
     # lost on 03-20: open (first stage, no entries) until then, lost from the end of 03-20
     .lead("B", "2024-03-01", status="lost", lost_at="2024-03-20")
     # acquired 03-15: not yet acquired on 03-10
     .lead("C", "2024-03-15", status="untouched")
     # active but with an after-sales entry: counts as the won stage
     .lead("D", "2024-03-01", status="active", events=[("after_sales", "2024-03-08")])
     .lead("U", None, status="active")
     .derive())
    ctx = build.ctx("2024-03-31")
    assert states(build.con, ctx, "2024-03-04") == {
        "A": ("open", "acquired"), "B": ("open", "acquired"), "C": ("not_acquired", None), "D": ("open", "acquired")}
    assert states(build.con, ctx, "2024-03-10") == {
        "A": ("open", "proposal"), "B": ("open", "acquired"), "C": ("not_acquired", None), "D": ("open", "won")}
    assert states(build.con, ctx, "2024-03-20") == {
        "A": ("open", "proposal"), "B": ("lost", None), "C": ("open", "acquired"), "D": ("open", "won")}
    assert undated_leads(build.con, ctx) == 1


def test_state_changes_on_the_acquisition_clock(build):
    (build
     # acquired 03-01; screening 03-03 (age 2); won 03-11 (age 10) with a won entry the same day
     .lead("A", "2024-03-01", status="won", events=[("screening", "2024-03-03"), ("won", "2024-03-11")])
     # entered screening on its acquisition day: starts there; a repeated screening entry changes nothing
     .lead("B", "2024-03-05", status="active", events=[("screening", "2024-03-05"), ("screening", "2024-03-09")])
     .derive())
    ctx = build.ctx("2024-03-31")
    # ranks: acquired 1, screening 2, ...; B is observed to the as-of date: 03-31 - 03-05 = 26 days
    assert changes(build.con, ctx) == {
        "A": [(0, "open", 1, 10), (2, "open", 2, 10), (10, "won", None, 10)],
        "B": [(0, "open", 2, 26)]}
    # known by 03-08: A is still open in screening (its win on 03-11 is not known yet), observed 7 days;
    # B is observed 3 days
    assert changes(build.con, ctx, "2024-03-08") == {
        "A": [(0, "open", 1, 7), (2, "open", 2, 7)], "B": [(0, "open", 2, 3)]}
    # known by 03-04: B is not acquired yet
    assert set(changes(build.con, ctx, "2024-03-04")) == {"A"}


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.sampled_from(["active", "won", "lost"]),
                          st.lists(st.tuples(st.integers(0, 40), st.sampled_from(
                              ["screening", "discovery", "proposal", "won", "after_sales"])), max_size=4)),
                min_size=1, max_size=12),
       st.integers(0, 70))
def test_changes_replay_to_the_same_state_as_states_at(rows, offset):
    """Replaying a lead's changes up to a day gives the state states_at_sql reports for that day."""
    from funnel.store.db import connect

    con = connect(None)
    try:
        build = Builder(con)
        base = D("2024-01-01")
        for i, (acq, status, events) in enumerate(rows):
            build.lead(f"L{i}", (base + dt.timedelta(days=acq)).isoformat(), status=status,
                       events=[(s, (base + dt.timedelta(days=acq + d)).isoformat()) for d, s in events])
        build.derive()
        ctx = build.ctx("2024-03-31")
        day = base + dt.timedelta(days=offset)
        at_day = states(con, ctx, day.isoformat())
        sql, params = state_changes_sql(ctx)
        replay: dict[str, tuple] = {}
        for lead, acq, age, state, rank in con.execute(
                f"select f.lead_id, cast(f.acquired_at as date), c.age_days, c.state, c.stage_rank from ({sql}) c "
                "join lead_facts f using (lead_key) order by f.lead_id, c.age_days", params).fetchall():
            if acq + dt.timedelta(days=age) <= day:
                replay[lead] = (state, ctx.stages.keys[rank - 1] if rank else None)
        expected = {lead: value for lead, value in at_day.items() if value[0] != "not_acquired"}
        assert replay == expected
    finally:
        con.close()


def test_a_store_without_close_dates_is_rebuilt_on_open(build):
    """A store derived by an earlier version lacks lead_facts.close_date: derived_missing names it."""
    from funnel.store.derived import derived_missing, ensure_derived

    build.lead("L1", "2024-03-01", status="lost", lost_at="2024-03-15").derive()
    build.con.execute("alter table lead_facts drop column close_date")
    assert derived_missing(build.con) == ["lead_facts.close_date"]
    assert ensure_derived(build.con) is True
    assert close_dates(build.con) == {"L1": ("2024-03-15", False)}
