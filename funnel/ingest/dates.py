"""Date parsing with an explicit list of spellings (never pandas' format inference), vectorised over unique values.

Accepted: ``2024-03-01``, ``2024/3/1``, ``2024.03.01``, ``2024年3月1日``, ``20240301``, each optionally with a
time (``14:30`` or ``9:05:00``), ISO timestamps (``2024-03-01T14:30:00``) and Excel serial numbers
(``45352``, ``45352.5``; 1900 system epoch 1899-12-30, 1904 system 1904-01-01).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from funnel.ingest.values import maybe_missing
from funnel.text import is_missing

EPOCH_1900 = pd.Timestamp("1899-12-30")
EPOCH_1904 = pd.Timestamp("1904-01-01")  # = EPOCH_1900 + 1462 days
# Dates a lead file can mean: 1900-01-01 .. 2199-12-31 (nanosecond timestamps end in 2262; Excel's serials
# run to 9999). Outside this range a cell is a warning, never an exception.
MIN_YEAR, MAX_YEAR = 1900, 2199
MAX_SERIAL = 109574  # 2199-12-31 in the 1900 system
OUT_OF_RANGE = f"date out of range (only {MIN_YEAR}–{MAX_YEAR} is accepted)"

_ISO = r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
_GENERAL = re.compile(
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:[ T]+(?P<H>\d{1,2})[:：](?P<M>\d{2})(?:[:：](?P<S>\d{2})(?:\.\d+)?)?)?$")
_COMPACT = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$")
_VECTOR_SERIAL_MAX = 100_000
_SERIAL = re.compile(r"^\d{1,7}(?:\.\d+)?$")
_MISSING = object()


def parse_dates(values: pd.Series, date1904: bool = False, factors=None) -> tuple[pd.Series, pd.Series]:
    """Parse a column of date text.

    Returns ``(dates, problems)``: ``dates`` is datetime64 (NaT when missing or unreadable), ``problems`` holds a
    message for each cell that was written but could not be read (else None). Each distinct spelling is parsed once.
    """
    if factors is None:
        factors = pd.factorize(values.astype(object).where(values.notna(), ""), use_na_sentinel=False)
    codes, unique_values = factors
    uniques = pd.Series(unique_values, dtype=object)
    result = pd.Series(pd.NaT, index=uniques.index, dtype="datetime64[ns]")
    problem = pd.Series(None, index=uniques.index, dtype=object)
    todo = pd.Series(True, index=uniques.index)
    # strptime's %S takes 60 and 61 (leap seconds, rolled into the next minute): those go the slower way
    leap = uniques.astype(str).str.contains(r":6[01]$", regex=True).to_numpy(dtype=bool)
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):  # the common spellings, parsed in C before any Python work
        fast_todo = todo & ~leap
        if fast_todo.any():
            fast = _in_range(pd.to_datetime(uniques[fast_todo].astype(str), format=fmt, errors="coerce"))
            result[fast.index] = result[fast.index].where(fast.isna(), fast)
            todo &= result.isna()
    left = todo.to_numpy()
    stripped_values = np.full(len(uniques), "", dtype=object)
    stripped_values[left] = [str(u).strip() for u in uniques[left]]
    stripped = pd.Series(stripped_values, index=uniques.index, dtype=object)
    missing = np.zeros(len(uniques), dtype=bool)
    missing[left] = [maybe_missing(u) and is_missing(u) for u in stripped_values[left]]
    todo &= ~missing
    iso = todo & stripped.str.match(_ISO)
    if iso.any():
        result[iso] = _in_range(pd.to_datetime(stripped[iso], format="ISO8601", errors="coerce"))
    todo &= ~(iso & result.notna())

    if todo.any():
        parts = stripped[todo].str.extract(_GENERAL.pattern)
        matched = parts["y"].notna()
        if matched.any():
            sub = parts[matched].fillna({"H": "0", "M": "0", "S": "0"}).astype(int)
            out_of_range = (sub["y"] < MIN_YEAR) | (sub["y"] > MAX_YEAR)
            problem[sub.index[out_of_range]] = OUT_OF_RANGE
            # pd.to_datetime adds the time parts as durations (25:00 -> next day 01:00): an hour, minute or
            # second out of its range is an impossible date here, as in _parse_one
            bad_time = ~out_of_range & ((sub["H"] > 23) | (sub["M"] > 59) | (sub["S"] > 59))
            problem[sub.index[bad_time]] = "impossible date"
            todo &= ~todo.index.isin(sub.index[out_of_range | bad_time])
            sub = sub[~(out_of_range | bad_time)]
            stamps = pd.to_datetime(pd.DataFrame({"year": sub["y"], "month": sub["m"], "day": sub["d"],
                                                  "hour": sub["H"], "minute": sub["M"], "second": sub["S"]}),
                                    errors="coerce")
            result[stamps.index] = stamps
            problem[stamps.index[stamps.isna()]] = "impossible date"
            todo &= ~todo.index.isin(stamps.index)
    if todo.any():
        serial = pd.to_numeric(stripped[todo].where(stripped[todo].str.match(_SERIAL.pattern)), errors="coerce")
        # serials past ~2192 overflow a nanosecond duration from 1899: those few go through _parse_one
        ok = serial.notna() & (serial >= 1) & (serial < _VECTOR_SERIAL_MAX)
        if ok.any():
            epoch = EPOCH_1904 if date1904 else EPOCH_1900
            result[ok[ok].index] = (epoch + pd.to_timedelta(serial[ok], unit="D")).dt.round("s")
            todo &= ~todo.index.isin(ok[ok].index)
    if todo.any():
        for idx in stripped[todo].index:  # the rare leftovers: compact dates and problems
            value, message = _parse_one(stripped[idx], date1904)
            if message:
                problem[idx] = message
            else:
                result[idx] = value
    dates = pd.Series(result.to_numpy()[codes], index=values.index, dtype="datetime64[ns]")
    problems = pd.Series(problem.to_numpy()[codes], index=values.index, dtype=object)
    return dates, problems


def _in_range(stamps: pd.Series) -> pd.Series:
    """Parsed stamps as nanosecond timestamps, NaT outside MIN_YEAR..MAX_YEAR (those fall through to the
    slower paths, which name the problem)."""
    if stamps.dt.tz is not None:
        stamps = stamps.dt.tz_localize(None)
    years = stamps.dt.year
    return stamps.where((years >= MIN_YEAR) & (years <= MAX_YEAR)).astype("datetime64[ns]")


def _parse_one(text: str, date1904: bool) -> tuple[pd.Timestamp | None, str | None]:
    """One non-ISO spelling -> (timestamp, None) or (None, problem)."""
    match = _GENERAL.match(text) or _COMPACT.match(text)
    if match:
        parts = match.groupdict()
        if not MIN_YEAR <= int(parts["y"]) <= MAX_YEAR:
            return None, OUT_OF_RANGE
        try:
            return pd.Timestamp(int(parts["y"]), int(parts["m"]), int(parts["d"]), int(parts.get("H") or 0),
                                int(parts.get("M") or 0), int(parts.get("S") or 0)), None
        except ValueError:
            return None, "impossible date"
    if _SERIAL.match(text):
        serial = float(text)
        if 1 <= serial <= MAX_SERIAL:
            epoch = EPOCH_1904 if date1904 else EPOCH_1900
            return (epoch + pd.to_timedelta(serial, unit="D")).round("s"), None
        return None, f"number out of the range of Excel dates ({OUT_OF_RANGE})"
    if _ISO_LIKE_BAD.match(text):
        return None, "impossible date"
    return None, "not a date (expected e.g. 2024-03-01 or 2024/3/1 14:30)"


_ISO_LIKE_BAD = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}")

_YEARLESS = re.compile(
    r"^\s*(?:(?P<y>\d{4})\s*[-/.年]\s*)?(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*(?P<H>\d{1,2})[:：](?P<M>\d{2}))?\s*[,，:：、]?\s*")


def split_leading_date(text: str, base: pd.Timestamp | None, anchors: tuple = (),
                       limit: pd.Timestamp | None = None) -> tuple[pd.Timestamp | None, str, str | None]:
    """Split an activity like ``03-05电话沟通`` into (date, rest, problem).

    A date without a year is placed by ``yearless.place_yearless``: on or after ``base`` (the acquisition
    date) when known, else nearest to one of ``anchors`` (the lead's other dates); never after ``limit``.
    A date that cannot be placed gives date None and a problem.
    """
    from funnel.ingest.yearless import NO_DAY, PLACED, PROBLEMS, day_numbers, place_yearless

    match = _YEARLESS.match(text)
    if not match:
        return None, text.strip(), None
    parts = match.groupdict()
    rest = text[match.end():].strip()
    month, day = int(parts["m"]), int(parts["d"])
    hour, minute = int(parts["H"] or 0), int(parts["M"] or 0)
    if hour > 23 or minute > 59:
        return None, text.strip(), "impossible date"
    if parts["y"]:
        try:
            return pd.Timestamp(int(parts["y"]), month, day, hour, minute), rest, None
        except ValueError:
            return None, text.strip(), "impossible date"

    def stamp(value) -> np.ndarray:
        missing = value is None or pd.isna(value)
        return np.array([np.datetime64("NaT") if missing else pd.Timestamp(value).to_datetime64()],
                        dtype="datetime64[ns]")

    limit_day = NO_DAY if limit is None or pd.isna(limit) else int(day_numbers(stamp(limit))[0])
    placed, problem = place_yearless(np.array([month]), np.array([day]), day_numbers(stamp(base)),
                                     [day_numbers(stamp(a)) for a in anchors], limit_day)
    if problem[0] != PLACED:
        return None, text.strip(), PROBLEMS[int(problem[0])]
    return (pd.Timestamp(np.datetime64(int(placed[0]), "D")) + pd.Timedelta(hours=hour, minutes=minute),
            rest, None)


def as_datetime(values: pd.Series) -> pd.Series:
    return pd.Series(np.asarray(values, dtype="datetime64[ns]"), index=values.index)
