"""The loader compares a file's events and activities with the stored ones once (funnel.store.new_rows) and
writes only what changes the store: the stored events and activities, the leads filled in and the new /
changed / unchanged outcomes must be what the rules say, computed here in Python from scratch after each of
several imports of random files (duplicates, undated copies, redated events, leads named only by events),
the fast first-import way and the general way alike."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from funnel.ingest.batch import ParsedFile
from funnel.store.db import connect
from funnel.store import loader
from funnel.store.loader import write_parsed

LEADS = ("A", "B", "C", "D", "E")
STAGES = ("acquired", "screening", "discovery")
DAYS = (None, pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-05"))
CONTENTS = (None, "电话", "拜访")


def _random_file(rng: random.Random, n: int) -> ParsedFile:
    item = ParsedFile(file_name=f"f{n}.csv", sha256=f"{n:064d}", format="template")
    named = rng.sample(LEADS, rng.randint(1, len(LEADS)))
    leads = rng.sample(named, rng.randint(0, len(named)))  # the others are named only by events / activities
    empty = dict.fromkeys(loader._LEAD_TEXT + loader._LEAD_TIME + loader._LEAD_NUM)
    item.leads = pd.DataFrame([{**empty, "lead_id": lead, "source": "官网"} for lead in leads],
                              columns=["lead_id", *empty])
    item.events = pd.DataFrame([(rng.choice(named), rng.choice(STAGES), rng.choice(DAYS))
                                for _ in range(rng.randint(0, 8))], columns=["lead_id", "stage", "entered_at"])
    item.activities = pd.DataFrame([(rng.choice(named), rng.choice(DAYS), rng.choice(CONTENTS),
                                     rng.choice((None, "好")), "李明") for _ in range(rng.randint(0, 5))],
                                   columns=["lead_id", "at", "content", "feedback", "actor"])
    item.rows_read = item.rows_accepted = max(len(item.leads), len(item.events), len(item.activities), 1)
    return item


def _key(value):
    return None if value is None or pd.isna(value) else value


class Reference:
    """The rules, row by row: events unique, a dated event supersedes the undated one of its lead and stage;
    activities unique on (lead, at, content) against the store, distinct within the file."""

    def __init__(self) -> None:
        self.events: set[tuple] = set()
        self.activities: set[tuple] = set()
        self.leads: dict[str, str | None] = {}  # lead -> source (None: the lead was named only by events)

    def write(self, item: ParsedFile) -> dict[str, int]:
        """Write one file; returns each lead's outcome for it (2 new, 1 changed, 0 unchanged)."""
        events = {(r.lead_id, r.stage, _key(r.entered_at)) for r in item.events.itertuples()}
        acts = [(r.lead_id, _key(r.at), _key(r.content), _key(r.feedback), r.actor)
                for r in item.activities.itertuples()]
        outcome = {}
        for lead in item.leads["lead_id"]:  # the file's only field, source, changes a lead stored without one
            outcome[lead] = 0 if self.leads.get(lead) == "官网" else 1
        for lead, stage, day in events:
            held = (lead, stage, day) in self.events or (
                day is None and any(e[0] == lead and e[1] == stage and e[2] is not None for e in self.events))
            outcome[lead] = max(outcome.get(lead, 0), 0 if held else 1)
        stored_keys = {a[:3] for a in self.activities}
        for act in acts:
            outcome[act[0]] = max(outcome.get(act[0], 0), 0 if act[:3] in stored_keys else 1)
        for lead in outcome:
            if lead not in self.leads:
                outcome[lead] = 2
        self.events |= events
        dated = {(e[0], e[1]) for e in self.events if e[2] is not None}
        self.events = {e for e in self.events if e[2] is not None or (e[0], e[1]) not in dated}
        self.activities |= {a for a in acts if a[:3] not in stored_keys}
        for lead in outcome:
            self.leads.setdefault(lead, None)
        self.leads.update(dict.fromkeys(item.leads["lead_id"], "官网"))
        return outcome

    def write_import(self, items: list[ParsedFile]) -> tuple[int, int, int]:
        """Write the files of one import in order; each lead counts once, in its strongest outcome."""
        outcome: dict[str, int] = {}
        for item in items:
            for lead, o in self.write(item).items():
                outcome[lead] = max(outcome.get(lead, 0), o)
        return tuple(sum(1 for o in outcome.values() if o == k) for k in (2, 1, 0))


@pytest.mark.parametrize("files", [1, 2])  # files per import: two make the second file meet the first's rows
@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("seed", range(8))
def test_events_activities_and_outcomes_follow_the_rules(seed, fast, files):
    rng = random.Random(seed)
    con = connect(None)
    reference = Reference()
    try:
        for n in range(4):
            items = [_random_file(rng, n * files + k) for k in range(files)]
            expected = reference.write_import(items)
            report = write_parsed(con, items, fast_empty=fast)
            assert (report.leads.new, report.leads.changed, report.leads.unchanged) == expected, n
            events = {(a, b, _key(c)) for a, b, c in con.execute(
                "select lead_id, stage, entered_at from stage_events").fetchall()}
            assert events == reference.events and con.execute(
                "select count(*) from stage_events").fetchone()[0] == len(reference.events)
            acts = {(a, _key(b), c, d, e) for a, b, c, d, e in con.execute(
                'select lead_id, "at", content, feedback, actor from activities').fetchall()}
            assert acts == reference.activities and con.execute(
                "select count(*) from activities").fetchone()[0] == len(reference.activities)
            assert dict(con.execute("select lead_id, source from leads").fetchall()) == reference.leads
    finally:
        con.close()
