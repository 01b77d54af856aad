"""The metric context: every default resolved once, so no metric guesses one of its own.

``FunnelFilter`` (``funnel.filters``, re-exported here) is what the user picks (sidebar, URL, command line). ``MetricContext`` adds the resolved
as-of date, the period grain, the stalled threshold, the skip rule and the stage configuration. Both are
frozen and hashable, so they can key caches.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from funnel.filters import FunnelFilter
from funnel.stages import StageConfig

GRAINS = ("week", "month", "quarter")
SKIP_RULES = ("passed", "strict")


@dataclass(frozen=True)
class MetricContext:
    """Everything a metric function needs besides the connection; build it with ``resolve_context``."""

    filter: FunnelFilter
    as_of: dt.date
    grain: str = "month"
    stalled_days: int = 7
    skip_rule: str = "passed"
    stages: StageConfig = field(default_factory=StageConfig)

    def __post_init__(self) -> None:
        if self.grain not in GRAINS:
            raise ValueError(f"grain must be one of {GRAINS}, got {self.grain!r}")
        if self.skip_rule not in SKIP_RULES:
            raise ValueError(f"skip_rule must be one of {SKIP_RULES}, got {self.skip_rule!r}")
        if self.stalled_days < 0:
            raise ValueError("stalled_days must be >= 0")

    @property
    def as_of_at(self) -> dt.datetime:
        """The as-of date as a timestamp (its midnight): in-progress and idle durations run to it."""
        return dt.datetime.combine(self.as_of, dt.time())


def latest_event_date(con) -> dt.date | None:
    """The latest date on which something happened: an acquisition, a stage entry, an activity or a loss.

    Planned dates (expected_close) never count. Reads the base tables, so it works before the derived
    tables exist; None when the store holds no dated fact at all.
    """
    row = con.execute(
        """select greatest((select max(acquired_at) from leads), (select max(lost_at) from leads),
                           (select max(entered_at) from stage_events), (select max("at") from activities))"""
    ).fetchone()
    value = row[0] if row else None
    if value is None:
        return None
    return value.date() if isinstance(value, dt.datetime) else value


def resolve_context(con, filter: FunnelFilter | None = None, as_of: dt.date | None = None, grain: str = "month",
                    stalled_days: int = 7, skip_rule: str = "passed") -> MetricContext:
    """Resolve every default once: the as-of date (default: ``latest_event_date``; when the store holds
    no dated fact, the filter's end date, else today), the stage configuration, the grain and thresholds.
    """
    from funnel.store.config import load_stage_config

    flt = filter if filter is not None else FunnelFilter()
    if as_of is None:
        as_of = latest_event_date(con) or flt.date_to or dt.date.today()
    elif isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    elif isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    return MetricContext(filter=flt, as_of=as_of, grain=grain, stalled_days=int(stalled_days), skip_rule=skip_rule,
                         stages=load_stage_config(con))
