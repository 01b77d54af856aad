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

One vectorised function over numpy arrays, used by both the vector path (``action_text``) and the per-row
path (``dates.split_leading_date``), so the two cannot disagree. Days are counted since 1970-01-01.
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
