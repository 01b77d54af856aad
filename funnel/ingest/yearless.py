"""The year of a date written without one (``05-12`` in 关键动作记录), decided from the lead's own dates.

The rule (docs/import.md, "Dates without a year"):

- the lead's acquisition date is known: the first year that puts the date on or after it (that year or
  the next);
- else the year (one before, the same or one after the year of each of the lead's other dates: its
  current stage's entry date, its loss date) that puts the date nearest to one of them; ties go to the
  earlier year;
- never after ``limit``: the latest full date of the file's lead dates (获取时间, 进入阶段时间, 流失时间) plus
  ``GRACE_DAYS`` (actions are logged after the last stage change: the seed's own example row has an action
  three days after its stage date). A date that could only be placed after it is not placed (kept without
  a date, warned). The wrong year is 10-12 months off, so the grace never lets a wrong year through;
- no acquisition date and no other date: not placed (warned).

One vectorised function over numpy arrays (``place_yearless``), used by the per-row path
(``dates.split_leading_date``); the vector path (``action_text``) calls ``place_yearless_by_lead``, which takes
the lead's dates once per lead, works the common case (acquisition date known) per lead with a table of
day-of-year numbers, and hands every other date to ``place_yearless``; tests/ingest/test_yearless.py holds the
two equal. Days are counted since 1970-01-01.
"""

from __future__ import annotations

import numpy as np

NO_DAY = np.iinfo(np.int64).min  # "no date" in the day arrays
GRACE_DAYS = 60  # a yearless date may fall this long after the file's latest lead date

PLACED, NO_BASE, IMPOSSIBLE, AFTER_END = 0, 1, 2, 3
PROBLEMS = {
    NO_BASE: "date without a year and no date of the lead to place it",
    IMPOSSIBLE: "impossible date",
    AFTER_END: "date without a year would fall long after the latest date in the file",
}
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def valid_day(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    in_month = (month >= 1) & (month <= 12)
    last = _DAYS_IN_MONTH[np.where(in_month, month, 0)] + ((month == 2) & leap)
    return in_month & (day >= 1) & (day <= last)


def days_of(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of valid (year, month, day) parts (proleptic Gregorian; integer arithmetic)."""
    y = year - (month <= 2)
    era = y // 400
    year_of_era = y - era * 400
    day_of_year = (153 * np.where(month > 2, month - 3, month + 9) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def day_numbers(stamps) -> np.ndarray:
    """datetime64 values (any unit, NaT allowed) -> days since the epoch, NO_DAY for NaT."""
    values = np.asarray(stamps, dtype="datetime64[ns]")
    days = values.astype("datetime64[D]").astype(np.int64)
    return np.where(np.isnat(values), NO_DAY, days)


def _year_of(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def place_yearless(month: np.ndarray, day: np.ndarray, acquired: np.ndarray, anchors: list[np.ndarray],
                   limit: int = NO_DAY) -> tuple[np.ndarray, np.ndarray]:
    """(day placed or NO_DAY, problem code) per yearless date.

    ``acquired`` and each of ``anchors`` hold one day number (or NO_DAY) per date; ``limit`` is one day
    number for the whole file (NO_DAY: no limit).
    """
    month = np.asarray(month, dtype=np.int64)
    day = np.asarray(day, dtype=np.int64)
    acquired = np.asarray(acquired, dtype=np.int64)
    n = len(month)
    out = np.full(n, NO_DAY, dtype=np.int64)
    problem = np.full(n, NO_BASE, dtype=np.int64)
    possible = valid_day(np.full(n, 2000), month, day)  # 2000 is a leap year: 02-29 is possible
    problem[~possible] = IMPOSSIBLE
    upper = np.iinfo(np.int64).max if limit == NO_DAY else limit

    # acquisition date known: that year, or the next, whichever first keeps the date on/after it
    rows = np.flatnonzero(possible & (acquired != NO_DAY))
    if len(rows):
        base = acquired[rows]
        year = _year_of(base)
        m, d = month[rows], day[rows]
        first = valid_day(year, m, d)
        first_day = np.where(first, days_of(year, m, d), NO_DAY)
        first &= first_day >= base
        second = ~first & valid_day(year + 1, m, d)
        chosen = np.where(first, first_day, np.where(second, days_of(year + 1, m, d), NO_DAY))
        placed = chosen != NO_DAY
        inside = placed & (chosen <= upper)
        out[rows[inside]] = chosen[inside]
        problem[rows] = np.where(inside, PLACED, np.where(placed, AFTER_END, IMPOSSIBLE))

    # else: the candidate year nearest to any of the lead's other dates, never after the limit
    anchors = [np.asarray(a, dtype=np.int64) for a in anchors]
    has_anchor = np.zeros(n, dtype=bool)
    for a in anchors:
        has_anchor |= a != NO_DAY
    rows = np.flatnonzero(possible & (acquired == NO_DAY) & has_anchor)
    if len(rows):
        m, d = month[rows], day[rows]
        best = np.full(len(rows), NO_DAY, dtype=np.int64)
        best_distance = np.full(len(rows), np.iinfo(np.int64).max, dtype=np.int64)
        any_candidate = np.zeros(len(rows), dtype=bool)
        years = sorted({int(y) + k for a in anchors for y in np.unique(_year_of(a[rows][a[rows] != NO_DAY]))
                        for k in (-1, 0, 1)})
        for year in years:  # ascending: a tie keeps the earlier year
            y = np.full(len(rows), year, dtype=np.int64)
            ok = valid_day(y, m, d)
            candidate = np.where(ok, days_of(y, m, d), NO_DAY)
            near_any = np.zeros(len(rows), dtype=bool)
            distance = np.full(len(rows), np.iinfo(np.int64).max, dtype=np.int64)
            for a in anchors:
                anchor = a[rows]
                here = ok & (anchor != NO_DAY) & (np.abs(_year_of(np.where(anchor == NO_DAY, 0, anchor)) - year) <= 1)
                distance = np.where(here, np.minimum(distance, np.abs(candidate - anchor)), distance)
                near_any |= here
            any_candidate |= near_any
            better = near_any & (candidate <= upper) & (distance < best_distance)
            best = np.where(better, candidate, best)
            best_distance = np.where(better, distance, best_distance)
        placed = best != NO_DAY
        out[rows[placed]] = best[placed]
        problem[rows] = np.where(placed, PLACED, np.where(any_candidate, AFTER_END, IMPOSSIBLE))
    return out, problem


def _leap_ordinals() -> np.ndarray:
    """Per ``month * 100 + day`` (both 0..99): 1 + the day's index in a leap year (02-29: 60), 0 for no date."""
    month, day = np.divmod(np.arange(100 * 100), 100)
    ok = valid_day(np.full(len(month), 2000), month, day)
    index = days_of(np.full(len(month), 2000), np.where(ok, month, 1), np.where(ok, day, 1)) \
        - days_of(np.array([2000]), np.array([1]), np.array([1]))
    return np.where(ok, index + 1, 0).astype(np.int16)


_LEAP_ORDINAL = _leap_ordinals()
_FEB_29, _WIDTH = 60, 367  # the table's column of 02-29; its columns: no date, then 366 days


def _days_in_years(first_year: int, last_year: int) -> np.ndarray:
    """Per year first_year..last_year a row of _WIDTH: NO_DAY (no date), then per day of a leap year its day
    number in that year (NO_DAY for 02-29 of a year without it)."""
    year = np.arange(first_year, last_year + 1, dtype=np.int64)[:, None]
    k = np.arange(_WIDTH, dtype=np.int64)[None, :]
    short = ~((year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0)))
    start = days_of(year, np.ones_like(year), np.ones_like(year))
    day = start + k - 1 - (short & (k > _FEB_29))
    return np.where((k == 0) | (short & (k == _FEB_29)), NO_DAY, day).ravel()


def place_yearless_by_lead(month_day: np.ndarray, lead: np.ndarray, acquired: np.ndarray,
                           anchors: list[np.ndarray], limit: int = NO_DAY) -> tuple[np.ndarray, np.ndarray]:
    """``place_yearless(month, day, acquired[lead], [a[lead] for a in anchors], limit)`` for ``month_day`` =
    month * 100 + day (each 0..99), with ``acquired`` and each of ``anchors`` given once per lead (day numbers,
    NO_DAY = none) and ``lead`` the lead of each date. The problem codes come as int8.

    With the acquisition date known the date falls in the acquisition year or the next, the first of the two
    on or after it: per lead its year and the acquisition's place in a leap year (``kb``), per date its own
    place ``k``; the acquisition year's day is on or after the acquisition exactly when ``k >= kb`` (and the
    year has the day), and each day is read from a table of years x days. Few temporaries of the 5M dates:
    each new array costs its pages.
    """
    month_day = np.asarray(month_day)
    lead = np.asarray(lead)
    acquired = np.asarray(acquired, dtype=np.int64)
    n = len(month_day)
    if n and not (month_day.min() >= 0 and month_day.max() < 100 * 100):
        raise ValueError("month and day must each be 0..99")
    k = _LEAP_ORDINAL[month_day]
    known = acquired != NO_DAY
    upper = np.iinfo(np.int64).max if limit == NO_DAY else limit
    out = np.full(n, NO_DAY, dtype=np.int64)
    problem = np.full(n, IMPOSSIBLE, dtype=np.int8)

    if known.any():
        year = _year_of(np.where(known, acquired, acquired[known][0]))
        first_year = int(year.min())
        table = _days_in_years(first_year, int(year.max()) + 1)
        base = ((year - first_year) * _WIDTH).astype(np.int32)  # the acquisition year's row in the table
        offset = acquired - table[base + 1]
        short = table[base + _FEB_29] == NO_DAY
        kb = (offset + 1 + (short & (offset >= _FEB_29 - 1))).astype(np.int16)  # the acquisition's k
        rows = None if known.all() else np.flatnonzero(known[lead])
        kk, owner = (k, lead) if rows is None else (k[rows], lead[rows])
        at = base[owner]
        at += kk
        chosen = table[at]
        use_next = chosen == NO_DAY
        use_next |= kk < kb[owner]
        at += _WIDTH
        np.copyto(chosen, table[at], where=use_next)
        del at, use_next
        placed = chosen != NO_DAY
        inside = chosen <= upper
        inside &= placed
        code = np.where(inside, PLACED, np.where(placed, AFTER_END, IMPOSSIBLE)).astype(np.int8)
        chosen[~inside] = NO_DAY
        if rows is None:
            return chosen, code
        out[rows], problem[rows] = chosen, code

    rows = np.flatnonzero((k > 0) & ~known[lead])
    if len(rows):  # no acquisition date: nearest to the lead's other dates, the general way
        owner = lead[rows]
        month, day = np.divmod(month_day[rows].astype(np.int64), 100)
        out[rows], problem[rows] = place_yearless(month, day, acquired[owner],
                                                  [np.asarray(a, dtype=np.int64)[owner] for a in anchors], limit)
    return out, problem
