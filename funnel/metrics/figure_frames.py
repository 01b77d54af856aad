"""A written figure set (the JSON of ``figures`` + ``review_figures`` + ``forecast_figures``, e.g. from Spark)
turned back into the declared frames of ``funnel.metrics.columns``, so the dashboard draws it with the same
chart builders as the live pages. Pure: a dict in, small DataFrames out; nothing is computed again except
``conversion_from_start`` (by the funnel's own ``ratio``). Columns the JSON does not carry are missing
values: ``time_in_stage``'s ``min`` / ``max`` (the boxplot then has no whiskers), the triangle's
``youngest_age_days`` / ``longest_t_days``.

A value of the wrong shape raises ``FigureSetShapeError`` (the page names the section it could not read).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from funnel.filters import BOARD_DIMENSIONS
from funnel.metrics._common import ratio
from funnel.metrics.columns import (DATA_QUALITY, LOSS_BY_STAGE, OVERDUE_LEADS, PARETO, PAST_EXPECTED_CLOSE,
                                    STAGE_FUNNEL, STALLED_LEADS, TIME_IN_STAGE, TRENDS, leaderboard_columns)
from funnel.metrics.win_curve import TRIANGLE_DAYS

BACKTEST = ("period", "start", "end", "horizon_days", "open_leads", "forecast", "low", "high", "actual", "naive",
            "too_little_history")
WIN_CURVE = ("t", "n", "f_w", "f_l", "s")


class FigureSetShapeError(ValueError):
    """A key of the figure set does not hold what ``metrics --json`` writes there."""


def _rows(figs: dict, key: str) -> list[dict]:
    rows = figs.get(key)
    if rows is None:
        return []
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise FigureSetShapeError(key)
    return rows


def _frame(rows: list[dict], columns: tuple[str, ...], key: str, timestamps: tuple[str, ...] = (),
           dates: tuple[str, ...] = ()) -> pd.DataFrame:
    """``rows`` as a frame of exactly ``columns`` (absent keys: missing), ISO text back to timestamps / dates."""
    try:
        frame = pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=list(columns))
        for c in timestamps:
            frame[c] = pd.to_datetime(frame[c])
        for c in dates:
            frame[c] = [None if v is None else dt.date.fromisoformat(str(v)[:10]) for v in frame[c]]
    except (TypeError, ValueError) as err:
        raise FigureSetShapeError(key) from err
    return frame


def stage_funnel_frame(figs: dict) -> pd.DataFrame:
    """``stage_funnel``'s frame from ``stages``."""
    rows = _rows(figs, "stages")
    first = rows[0].get("reached") if rows else None
    out = [{"stage": r.get("key"), "name_zh": r.get("name"), **r,
            "conversion_from_start": ratio(r.get("reached"), first)} for r in rows]
    return _frame(out, STAGE_FUNNEL, "stages")


def time_in_stage_frame(figs: dict) -> pd.DataFrame:
    """``time_in_stage``'s frame from ``stages`` (``min`` / ``max`` are not in the JSON: missing)."""
    out = []
    for r in _rows(figs, "stages"):
        tis = r.get("time_in_stage_days") or {}
        if not isinstance(tis, dict):
            raise FigureSetShapeError("stages")
        out.append({"stage": r.get("key"), "name_zh": r.get("name"), "name_en": r.get("name_en"),
                    "order": r.get("order"), "n": tis.get("n", 0), **{k: tis.get(k) for k in ("q1", "median", "q3",
                                                                                          "mean")},
                    "spans": r.get("spans"), "in_progress": r.get("in_progress"),
                    "in_progress_median_days": r.get("in_progress_median_days")})
    return _frame(out, TIME_IN_STAGE, "stages")


def pareto_frame(figs: dict, key: str = "loss_reasons") -> pd.DataFrame:
    """``loss_reasons`` / ``loss_categories`` (Pareto frame)."""
    return _frame(_rows(figs, key), PARETO, key)


def loss_by_stage_frame(figs: dict) -> pd.DataFrame:
    return _frame(_rows(figs, "loss_by_stage"), LOSS_BY_STAGE, "loss_by_stage")


def leaderboard_frame(figs: dict, by: str) -> pd.DataFrame:
    """``leaderboard(by=by)``'s frame from ``reps`` / ``managers`` / ``teams`` / ``sources``; the interval's
    bounds from ``conversion_ci``."""
    key = next(d.field for d in BOARD_DIMENSIONS if d.column == by)
    out = []
    for r in _rows(figs, key):
        ci = r.get("conversion_ci")
        if ci is not None and not (isinstance(ci, list) and len(ci) == 2):
            raise FigureSetShapeError(key)
        out.append({**r, "conversion_ci_low": ci[0] if ci else None, "conversion_ci_high": ci[1] if ci else None})
    return _frame(out, leaderboard_columns(by), key)


def trends_frame(figs: dict) -> pd.DataFrame:
    return _frame(_rows(figs, "trends"), TRENDS, "trends", dates=("period_start",))


def stalled_frame(figs: dict) -> pd.DataFrame:
    return _frame(_rows(figs, "stalled"), STALLED_LEADS, "stalled", timestamps=("last_activity_at",))


def overdue_frame(figs: dict) -> pd.DataFrame:
    return _frame(_rows(figs, "overdue"), OVERDUE_LEADS, "overdue", timestamps=("entered_at",))


def past_expected_close_frame(figs: dict) -> pd.DataFrame:
    return _frame(_rows(figs, "past_expected_close"), PAST_EXPECTED_CLOSE, "past_expected_close",
                  timestamps=("expected_close",))


def data_quality_frame(figs: dict) -> pd.DataFrame:
    quality = figs.get("data_quality") or {}
    if not isinstance(quality, dict):
        raise FigureSetShapeError("data_quality")
    return _frame(_rows(quality, "items"), DATA_QUALITY, "data_quality", timestamps=("entered_at",))


def cohort_triangle_frame(figs: dict) -> pd.DataFrame:
    """``cohort_triangle``'s frame (``share_D`` / ``estimated_D`` per D) from its JSON cells."""
    columns = ["period_start", "period", "leads", "youngest_age_days", "longest_t_days"]
    for d in TRIANGLE_DAYS:
        columns += [f"share_{d}", f"estimated_{d}"]
    out = []
    for r in _rows(figs, "cohort_triangle"):
        cells = r.get("cells") or []
        if not isinstance(cells, list) or not all(isinstance(c, dict) for c in cells):
            raise FigureSetShapeError("cohort_triangle")
        row = {"period_start": r.get("start"), "period": r.get("period"), "leads": r.get("leads")}
        for c in cells:
            row[f"share_{c.get('days')}"] = c.get("share")
            row[f"estimated_{c.get('days')}"] = c.get("estimated")
        out.append(row)
    return _frame(out, tuple(columns), "cohort_triangle", timestamps=("period_start",))


def win_curve_frame(figs: dict) -> pd.DataFrame:
    """The cohort's curve (``win_curves(...)["cohort"]`` without ``d_w`` / ``d_l``)."""
    curve = figs.get("win_curve") or {}
    if not isinstance(curve, dict):
        raise FigureSetShapeError("win_curve")
    return _frame(_rows(curve, "curve"), WIN_CURVE, "win_curve")


def backtest_frame(figs: dict) -> pd.DataFrame:
    return _frame(_rows(figs, "backtest"), BACKTEST, "backtest", dates=("start", "end"))


# JSON key -> (frame builder, the metric function whose frame it gives back); the round-trip test walks this
FRAME_BUILDERS = {
    "stage_funnel": stage_funnel_frame, "time_in_stage": time_in_stage_frame, "loss_reasons": pareto_frame,
    "loss_categories": lambda figs: pareto_frame(figs, "loss_categories"), "loss_by_stage": loss_by_stage_frame,
    "trends": trends_frame, "stalled_leads": stalled_frame, "overdue_leads": overdue_frame,
    "past_expected_close": past_expected_close_frame, "data_quality": data_quality_frame,
    "cohort_triangle": cohort_triangle_frame, "backtest": backtest_frame,
}
