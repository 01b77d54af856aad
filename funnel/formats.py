"""Numbers as text, in both languages, the one way every output writes them (dashboard, charts, report,
presentation, command line): counts '1,200', percents '12.5%', days '6.5' / '12', dates '2024-03-01', and
changes '+12', '+2.5 个百分点' / '+2.5 pp', '-3 天' / '-3 days'. Undefined (None, NaN, inf, NA, NaT) is '—'."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from funnel.i18n import DASH, t


def is_undefined(value: object) -> bool:
    """None, pd.NA, NaT, and a number that is NaN or infinite (text is defined)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, bool):
        return False
    try:
        if isinstance(value, (int, float)) or hasattr(value, "dtype"):
            return math.isnan(float(value)) or math.isinf(float(value))
    except (TypeError, ValueError):
        return False
    return False


def _number(value: object) -> float | None:
    """``value`` as a finite float; None when undefined or not a number."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


def fmt_pct(value: object, digits: int = 1) -> str:
    """0.125 -> '12.5%'."""
    number = _number(value)
    return DASH if number is None else f"{number * 100:.{digits}f}%"


def fmt_num(value: object, digits: int = 0) -> str:
    """A count or an amount with thousands separators: 1200 -> '1,200' (``digits`` decimals)."""
    number = _number(value)
    if number is None:
        return DASH
    return f"{round(number):,}" if digits == 0 else f"{number:,.{digits}f}"


def fmt_days(value: object) -> str:
    """Days with one decimal when fractional (12.5), whole otherwise (12)."""
    number = _number(value)
    if number is None:
        return DASH
    return f"{number:,.0f}" if abs(number - round(number)) < 0.05 else f"{number:,.1f}"


def fmt_date(value: object) -> str:
    """A date or timestamp as 2024-03-01; other text as it is."""
    if is_undefined(value):
        return DASH
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)[:10]


def fmt_time(value: object, seconds: bool = True) -> str:
    """A moment as 2026-12-01 22:50:04 (``seconds=False``: 22:50); ISO text ('2026-12-01T22:50:04+00:00') or a
    datetime; the offset is dropped (the caller's label says which zone)."""
    if is_undefined(value) or value == "":
        return DASH
    text = value.isoformat(timespec="seconds") if isinstance(value, (dt.datetime, pd.Timestamp)) else str(value)
    return text[:19 if seconds else 16].replace("T", " ")


def fmt_delta(diff: object, kind: str, lang: str = "zh") -> str:
    """A change against the previous period. ``kind``: 'pct' (a ratio: percentage points, '+2.5 个百分点' /
    '+2.5 pp'), 'days' ('-3 天' / '-1.5 days'), anything else a count or amount ('+12')."""
    number = _number(diff)
    if number is None:
        return DASH
    if kind == "pct":
        return f"{number * 100:+.1f} {t('pp', lang)}"
    if kind == "days":
        text = f"{number:+.0f}" if abs(number - round(number)) < 0.05 else f"{number:+.1f}"
        return f"{text} {t('days_unit', lang)}"
    return f"{number:+,.0f}"
