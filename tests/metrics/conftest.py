"""Fixtures for the metric tests: an in-memory store and a tiny builder of hand-made datasets."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from funnel.metrics import FunnelFilter, resolve_context  # noqa: E402
from funnel.store.db import connect  # noqa: E402
from funnel.store.derived import refresh_derived  # noqa: E402


def ts(value: str | None) -> dt.datetime | None:
    """'2024-03-01' or '2024-03-01 10:30' -> datetime; None stays None."""
    if value is None:
        return None
    return dt.datetime.fromisoformat(value)


class Builder:
    """Insert leads, events, activities and roster rows with SQL, then derive."""

    def __init__(self, con):
        self.con = con

    def lead(self, lead_id: str, acquired: str | None = "2024-03-01", *, stage: str | None = None,
             stage_at: str | None = None, status: str | None = None, rep: str | None = "李明",
             manager: str | None = None, source: str | None = "展会", reason: str | None = None,
             lost_at: str | None = None, cycle: float | None = None, expected_close: str | None = None,
             amount: float | None = None, events: list | tuple = ()) -> "Builder":
        """One lead; ``events`` = [(stage, date or None), ...]."""
        self.con.execute(
            """insert into leads (lead_id, source, acquired_at, current_stage, stage_entered_at, expected_close, rep,
                                  manager, status_reported, cycle_days_reported, lost_reason, lost_at, amount, import_id)
               values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'test')""",
            [lead_id, source, ts(acquired), stage, ts(stage_at), ts(expected_close), rep, manager, status, cycle,
             reason, ts(lost_at), amount])
        for st, at in events:
            self.event(lead_id, st, at)
        return self

    def event(self, lead_id: str, stage: str, at: str | None) -> "Builder":
        self.con.execute("insert into stage_events values (?, ?, ?, 'test')", [lead_id, stage, ts(at)])
        return self

    def activity(self, lead_id: str, at: str) -> "Builder":
        self.con.execute("insert into activities values (?, ?, 'call', 'neutral', null, 'test')", [lead_id, ts(at)])
        return self

    def roster(self, rep: str, manager: str | None, team: str | None) -> "Builder":
        self.con.execute("insert into roster values (?, ?, ?, 'test')", [rep, manager, team])
        return self

    def stages(self, rows: list[tuple]) -> "Builder":
        """Replace the stage configuration: rows of (key, order, kind[, expected_days])."""
        self.con.execute("delete from stages")
        for row in rows:
            key, order, kind = row[:3]
            expected = row[3] if len(row) > 3 else None
            self.con.execute("insert into stages values (?, ?, ?, ?, null, ?, ?)", [key, order, key, key, expected, kind])
        return self

    def derive(self):
        self.con.execute("begin")
        refresh_derived(self.con)
        self.con.execute("commit")
        return self.con

    def ctx(self, as_of: str | None = None, **kwargs):
        flt = kwargs.pop("filter", FunnelFilter())
        return resolve_context(self.con, flt, as_of=dt.date.fromisoformat(as_of) if as_of else None, **kwargs)


@pytest.fixture
def store():
    con = connect(None)
    yield con
    con.close()


@pytest.fixture
def build(store):
    return Builder(store)
