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


_FACTS = """
    select lead_id, acquired_at as d, 'acquired' as kind from leads where acquired_at is not null
    union all select lead_id, lost_at, 'lost' from leads where lost_at is not null
    union all select lead_id, entered_at, 'stage' from stage_events where entered_at is not null
    union all select lead_id, "at", 'activity' from activities where "at" is not null"""


@dataclass(frozen=True)
class DataEnd:
    """Where the data ends (docs/metrics.md, "The default as-of date").

    ``as_of``: the latest event date that is not far beyond the bulk of the data (``funnel.data_range``);
    ``kind``: what happened that day (``acquired`` / ``stage`` / ``activity`` / ``lost``);
    ``first``: the earliest event date; ``latest``: the latest event date of all, strays included;
    ``ignored``: how many dated facts lie after ``as_of`` (far beyond the bulk) and were not used.
    """

    as_of: dt.date | None = None
    kind: str | None = None
    first: dt.date | None = None
    latest: dt.date | None = None
    ignored: int = 0


def _day(value) -> dt.date | None:
    if value is None:
        return None
    return value.date() if isinstance(value, dt.datetime) else value


def data_end(con) -> DataEnd:
    """The data's real end: the latest event date (an acquisition, stage entry, activity or loss; planned
    dates such as expected_close never count) that is not far beyond the bulk of the data. Reads the base
    tables, so it works before the derived tables exist."""
    from funnel.data_range import FAR_DAYS, MIN_LEADS

    row = con.execute(
        f"""with facts as ({_FACTS}),
                per_lead as (select max(d) as last from facts group by lead_id),
                ranked as (select last, row_number() over (order by last desc) as rn, count(*) over () as n
                           from per_lead)
            select (select max(d) from facts), (select min(d) from facts), (select max(n) from ranked),
                   (select last from ranked where rn = greatest(1, n // 100) + 1)"""
    ).fetchone()
    latest, first, leads, bulk_end = row if row else (None, None, 0, None)
    if latest is None:
        return DataEnd()
    cutoff = None
    if leads is not None and leads >= MIN_LEADS and bulk_end is not None:
        cutoff = dt.datetime.combine(_day(bulk_end) + dt.timedelta(days=FAR_DAYS + 1), dt.time())
    if cutoff is None or latest < cutoff:
        end, ignored = latest, 0
    else:
        end, ignored = con.execute(f"""with facts as ({_FACTS})
            select max(d) filter (where d < ?), count(*) filter (where d >= ?) from facts""",
                                   [cutoff, cutoff]).fetchone()
    kind = con.execute(f"""with facts as ({_FACTS})
        select kind from facts where cast(d as date) = ? order by case kind when 'stage' then 0
        when 'activity' then 1 when 'lost' then 2 else 3 end limit 1""", [_day(end)]).fetchone()
    return DataEnd(as_of=_day(end), kind=kind[0] if kind else None, first=_day(first), latest=_day(latest),
                   ignored=int(ignored))


def latest_event_date(con) -> dt.date | None:
    """The default as-of date: ``data_end(con).as_of`` (None when the store holds no dated fact)."""
    return data_end(con).as_of


def as_of_outside_data(as_of: dt.date, end: DataEnd) -> str | None:
    """'before' when ``as_of`` is before the first event date, 'after' when it is more than FAR_DAYS after
    the data's end, else None (a typed as-of date inside the data, or shortly after it, is normal)."""
    from funnel.data_range import FAR_DAYS

    if end.as_of is None or as_of is None:
        return None
    if end.first is not None and as_of < end.first:
        return "before"
    if as_of > end.as_of + dt.timedelta(days=FAR_DAYS):
        return "after"
    return None


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
