"""Helpers shared by the metric modules: the cohort condition, safe ratios, JSON-safe values, Wilson CI."""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import numpy as np
import pandas as pd

from funnel.metrics.context import MetricContext

UNSPECIFIED = "未填写 / unspecified"
OTHER = "其他 / other"
OPEN_STATUSES = ("untouched", "active")
Z95 = 1.959963984540054


def cohort_where(ctx: MetricContext, alias: str = "f") -> tuple[str, list]:
    """The cohort condition over lead_facts (acquired in range, attribute filters) and its parameters."""
    return ctx.filter.where(alias)


def attribute_where(ctx: MetricContext, alias: str = "f") -> tuple[str, list]:
    """Only the attribute filters (source, rep, manager, team), not the acquisition range."""
    return ctx.filter.where(alias, dated_only=False)


def ratio(numerator, denominator) -> float | None:
    """numerator / denominator, or None when the denominator is zero or unknown (never 0, NaN or inf)."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return float(numerator) / float(denominator)


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of successes / n (95% by default); None when n = 0."""
    if not n:
        return None
    p = successes / n
    denom = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if successes == 0 else max(0.0, center - half)  # exact ends: no 5e-17 from rounding
    high = 1.0 if successes == n else min(1.0, center + half)
    return (low, high)


def py(value):
    """A JSON-serialisable Python value: numpy scalars -> int/float, NaN/NaT/inf -> None, dates -> ISO."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return [py(v) for v in value]
    if isinstance(value, dict):
        return {k: py(v) for k, v in value.items()}
    if isinstance(value, bool):
        return value
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, pd.Timestamp):
        value = None if value is pd.NaT else value.to_pydatetime()
        if value is None:
            return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
    if value is pd.NaT:
        return None
    if isinstance(value, float):
        return None if (math.isnan(value) or math.isinf(value)) else value
    if isinstance(value, dt.datetime):
        return value.isoformat() if (value.hour, value.minute, value.second, value.microsecond) != (0, 0, 0, 0) \
            else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def _column_values(series: pd.Series) -> list:
    """One column as JSON-safe Python values, vectorised where the dtype allows."""
    if pd.api.types.is_datetime64_any_dtype(series):
        missing = series.isna()
        midnight = series.dt.normalize() == series
        text = series.dt.strftime("%Y-%m-%d").where(midnight, series.dt.strftime("%Y-%m-%dT%H:%M:%S"))
        return [None if m else t for m, t in zip(missing.tolist(), text.tolist())]
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_integer_dtype(series) or \
            pd.api.types.is_float_dtype(series):
        return [None if (v is None or v is pd.NA or (isinstance(v, float) and (v != v or math.isinf(v)))) else v
                for v in series.tolist()]
    if pd.api.types.is_string_dtype(series):
        values = series.tolist()
        if all(v is None or type(v) is str for v in values[:1000]):
            return [v if type(v) is str else py(v) for v in values]
    return [py(v) for v in series.tolist()]


def records(frame: pd.DataFrame) -> list[dict]:
    """A small DataFrame as a list of JSON-safe dicts."""
    columns = list(frame.columns)
    values = [_column_values(frame[c]) for c in columns]
    return [dict(zip(columns, row)) for row in zip(*values)] if columns else [{} for _ in range(len(frame))]


def query_df(con: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None = None) -> pd.DataFrame:
    """Run a query and return its (small) result as a DataFrame."""
    return con.execute(sql, params or []).df()


def quartiles(values: tuple | list | None) -> dict:
    """{q1, median, q3} from a quantile_cont([0.25, 0.5, 0.75]) list (None when missing)."""
    if not values:
        return {"q1": None, "median": None, "q3": None}
    q1, med, q3 = (py(v) for v in values)
    return {"q1": q1, "median": med, "q3": q3}
