"""The default as-of date comes from the data's real end (funnel/data_range.py, docs/metrics.md)."""

from __future__ import annotations

import datetime as dt

import numpy as np

from funnel.data_range import bulk_bounds
from funnel.metrics.context import DataEnd, as_of_outside_data, data_end, latest_event_date


def _leads(build, n: int, last_day: str = "2024-06-28") -> None:
    """n leads acquired 2024-03-01 whose last stage entry is ``last_day``."""
    for i in range(n):
        build.lead(f"L{i}", "2024-03-01", events=[("acquired", "2024-03-01"), ("screening", last_day)])


def test_the_latest_event_is_the_default(build):
    _leads(build, 4)
    build.activity("L0", "2024-06-20")
    end = data_end(build.con)
    assert (end.as_of, end.kind, end.first, end.ignored) == (dt.date(2024, 6, 28), "stage", dt.date(2024, 3, 1), 0)


def test_one_stray_date_does_not_move_the_default(build):
    # 4 leads end 2024-06-28; one activity of L0 dated 2025-05-18 (a misplaced year): 324 days after every
    # other lead's last date (> 180) and reached by 1 lead (m = max(1, 5 // 100) = 1) -> ignored
    _leads(build, 4)
    build.lead("X", "2024-05-10", events=[("acquired", "2024-05-10")])
    build.activity("X", "2025-05-12").activity("X", "2025-05-18")
    end = data_end(build.con)
    assert end.as_of == dt.date(2024, 6, 28) and end.latest == dt.date(2025, 5, 18) and end.ignored == 2
    assert latest_event_date(build.con) == dt.date(2024, 6, 28)
    assert build.ctx().as_of == dt.date(2024, 6, 28)


def test_a_late_date_shared_by_many_leads_is_the_end(build):
    # two of four leads end 2025-05-18: the lead ranked m + 1 = 2nd by last date ends then too -> kept
    _leads(build, 2)
    _leads_late = [("acquired", "2024-03-01"), ("screening", "2025-05-18")]
    build.lead("A", "2024-03-01", events=_leads_late).lead("B", "2024-03-01", events=_leads_late)
    assert data_end(build.con).as_of == dt.date(2025, 5, 18)


def test_a_date_shortly_after_the_bulk_is_the_end(build):
    # one fresh lead 92 days after the others (< 180): a real end, not a stray
    _leads(build, 4, "2024-03-30")
    build.lead("NEW", "2024-06-30", events=[("acquired", "2024-06-30")])
    assert data_end(build.con).as_of == dt.date(2024, 6, 30)


def test_too_few_leads_to_judge(build):
    # two leads: no bulk to compare with, the latest date is the end
    build.lead("A", "2024-03-01", events=[("acquired", "2024-03-01")])
    build.lead("B", "2030-03-01", events=[("acquired", "2030-03-01")])
    assert data_end(build.con).as_of == dt.date(2030, 3, 1)


def test_planned_dates_do_not_count(build):
    _leads(build, 3)
    build.lead("P", "2024-03-01", expected_close="2024-12-31", events=[("acquired", "2024-03-01")])
    assert data_end(build.con).as_of == dt.date(2024, 6, 28)


def test_empty_store(build):
    end = data_end(build.con)
    assert end.as_of is None and latest_event_date(build.con) is None


def test_as_of_outside_the_data(build):
    _leads(build, 3)
    end = data_end(build.con)
    assert as_of_outside_data(dt.date(1900, 1, 1), end) == "before"
    assert as_of_outside_data(dt.date(2024, 2, 29), end) == "before"      # first event 2024-03-01
    assert as_of_outside_data(dt.date(2024, 3, 1), end) is None
    assert as_of_outside_data(dt.date(2024, 12, 25), end) is None          # 180 days after 2024-06-28
    assert as_of_outside_data(dt.date(2024, 12, 26), end) == "after"      # 181 days
    assert as_of_outside_data(dt.date(2027, 1, 1), end) == "after"


def test_bulk_bounds_numpy_rule():
    # 5 leads: m = 1; the 2nd latest last date is 2024-06-28 -> upper bound 2024-12-25; the 2nd earliest
    # first date 2024-03-01 -> lower bound 2023-09-03
    first = np.array(["2024-03-01"] * 4 + ["1924-03-01"], dtype="datetime64[D]")
    last = np.array(["2024-06-28"] * 4 + ["2042-06-28"], dtype="datetime64[D]")
    low, high = bulk_bounds(first, last)
    assert (str(low), str(high)) == ("2023-09-03", "2024-12-25")
    assert bulk_bounds(first[:2], last[:2]) is None


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(st.lists(st.lists(st.integers(0, 800), min_size=1, max_size=4), min_size=1, max_size=12),
       st.integers(1, 6))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_bulk_end_equals_ranking_every_lead(store, leads, need):
    # reference: each lead's latest date, sorted; the (m + 1)-th (m = max(1, L // 100)) is the bulk end
    from funnel.metrics.context import _bulk_end

    store.execute("delete from stage_events; delete from leads")
    base = dt.date(2024, 1, 1)
    for i, days in enumerate(leads):
        store.execute("insert into leads (lead_id, import_id) values (?, 't')", [f"L{i}"])
        for d in days:
            store.execute("insert into stage_events values (?, 'acquired', ?, 't')",
                          [f"L{i}", dt.datetime.combine(base + dt.timedelta(days=d), dt.time())])
    last = sorted((base + dt.timedelta(days=max(days)) for days in leads), reverse=True)
    m = max(1, len(leads) // 100)
    expected = last[m] if len(leads) >= 3 else None
    assert _bulk_end(store, len(leads), need=need) == expected


# ------------------------------------------------------------------- the same end read from fact_days
def _both(build):
    """data_end from the base tables, then (after the refresh) from the derived table fact_days."""
    base = data_end(build.con)
    build.derive()
    return base, data_end(build.con)


def test_fact_days_stray_date_ignored(build):
    # as test_one_stray_date_does_not_move_the_default: 5 leads, m = 1; leads by latest day, latest first:
    # X on 2025-05-18 (1 lead, not > m), then L0..L3 on 2024-06-28 (running 5 > 1): bulk end 2024-06-28,
    # cutoff 2024-06-28 + 181 days = 2024-12-26; the two activities of X (2025-05-12, 2025-05-18) are after it
    _leads(build, 4)
    build.lead("X", "2024-05-10", events=[("acquired", "2024-05-10")])
    build.activity("X", "2025-05-12").activity("X", "2025-05-18")
    base, days = _both(build)
    assert days == base
    assert (days.as_of, days.kind, days.first, days.latest, days.ignored) == (
        dt.date(2024, 6, 28), "stage", dt.date(2024, 3, 1), dt.date(2025, 5, 18), 2)


def test_fact_days_shared_late_date_and_lost_dates(build):
    # A and B end 2025-05-18 (2 leads > m = 1): the bulk end is that day, nothing ignored. C's loss on
    # 2024-07-01 counts as a fact but is not the latest; the kind of the end is the stage entry.
    _leads(build, 2)
    late = [("acquired", "2024-03-01"), ("screening", "2025-05-18")]
    build.lead("A", "2024-03-01", events=late).lead("B", "2024-03-01", events=late)
    build.lead("C", "2024-03-02", status="lost", lost_at="2024-07-01", events=[("acquired", "2024-03-02")])
    base, days = _both(build)
    assert days == base
    assert (days.as_of, days.kind, days.ignored) == (dt.date(2025, 5, 18), "stage", 0)


def test_fact_days_too_few_leads_activity_of_an_unknown_lead_and_empty(build):
    base, days = _both(build)
    assert days == base == DataEnd()
    # two leads (< MIN_LEADS = 3): no bulk, the latest date is the end. An activity naming a lead the leads
    # table lacks still counts (data_end reads every fact), dated 2030-03-02: the end, kind activity.
    build.lead("A", "2024-03-01", events=[("acquired", "2024-03-01")])
    build.lead("B", "2030-03-01", events=[("acquired", "2030-03-01")])
    build.activity("GHOST", "2030-03-02")
    base, days = _both(build)
    assert days == base
    assert (days.as_of, days.kind, days.first, days.ignored) == (dt.date(2030, 3, 2), "activity", dt.date(2024, 3, 1), 0)


def test_fact_days_counts_every_fact_of_known_and_unknown_leads(build):
    # fact_days reads a known lead's latest fact by key (lead_facts + its events of any kind) and groups only
    # the lead_ids the leads table lacks by their text: the same rows as grouping every fact by lead_id.
    build.lead("A", "2024-03-01", events=[("acquired", "2024-03-01"), ("screening", "2024-04-02")])
    build.event("A", "no_such_stage", "2024-09-09")  # unknown stage: latest fact of A, not in lead_facts
    build.lead("B", "2024-03-05", status="lost", lost_at="2024-10-01", events=[("acquired", "2024-03-05")])
    build.event("B", "screening", None).event("B", "screening", "2024-01-01")  # undated; before acquisition
    build.lead("C", None, events=[("acquired", "2024-05-05")]).activity("C", "2024-05-06")
    build.lead("D", "2024-03-07").event("D", "no_such_stage", "2024-11-11")  # only an unknown-stage event
    build.lead("E", None)  # no dated fact at all
    build.event("GHOST", "screening", "2024-12-01").activity("GHOST", "2024-12-24")  # neither in leads
    build.event("SHADE", "no_such_stage", "2024-12-02").activity("SPIRIT", "2024-12-03")
    build.activity("A", "2024-08-08")
    build.derive()
    by_text = build.con.execute("""
        select 'lead_last' as kind, cast(d as date) as day, count(*) as n
        from (select lead_id, max(d) as d
              from (select lead_id, greatest(acquired_at, lost_at) as d from leads
                    union all select lead_id, entered_at from stage_events
                    union all select lead_id, "at" from activities) as x
              where d is not null group by lead_id) as y
        group by cast(d as date) order by day""").fetchall()
    stored = build.con.execute("select kind, day, n from fact_days where kind = 'lead_last' order by day").fetchall()
    assert stored == by_text
    assert [(day.isoformat(), n) for _, day, n in stored] == [
        ("2024-05-06", 1), ("2024-09-09", 1), ("2024-10-01", 1), ("2024-11-11", 1), ("2024-12-02", 1),
        ("2024-12-03", 1), ("2024-12-24", 1)]
    # the stage days and the stage events' count come from the refresh's keyed copy of the events: every event
    # counts, of a known lead or not, at a configured stage or not; the undated one only in the row count.
    # Dated events: A 03-01, 04-02, 09-09; B 03-05, 01-01; C 05-05; D 11-11; GHOST 12-01; SHADE 12-02 -> 9 days
    # of one event each; 10 events in all (B's undated one).
    stage_days = build.con.execute(
        "select day, n from fact_days where kind = 'stage' order by day").fetchall()
    assert [(day.isoformat(), n) for day, n in stage_days] == [
        ("2024-01-01", 1), ("2024-03-01", 1), ("2024-03-05", 1), ("2024-04-02", 1), ("2024-05-05", 1),
        ("2024-09-09", 1), ("2024-11-11", 1), ("2024-12-01", 1), ("2024-12-02", 1)]
    assert build.con.execute("select n from fact_days where kind = 'rows_stage_events'").fetchone()[0] == 10
