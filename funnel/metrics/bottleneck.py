"""Bottleneck (SPEC §4): the step with the lowest conversion and the stage with the longest median
completed time, named in words (Chinese and English)."""

from __future__ import annotations

import duckdb
import pandas as pd

from funnel.formats import fmt_pct
from funnel.i18n import t
from funnel.metrics.context import MetricContext


def bottleneck(con: duckdb.DuckDBPyConnection, ctx: MetricContext, funnel: pd.DataFrame | None = None,
               times: pd.DataFrame | None = None) -> dict:
    """{"step": {from, to, conversion} | None, "stage": {key, name_zh, name_en, median_days} | None,
    "sentence_zh", "sentence_en"}.

    Steps considered: into every stage up to and including the won stage (not into after-sales stages);
    stages considered for time: open-kind stages with completed intervals. Ties: the earlier stage.
    ``funnel`` / ``times``: stage_funnel / time_in_stage results when the caller already has them.
    """
    from funnel.metrics.cohort import stage_funnel
    from funnel.metrics.time_in_stage import time_in_stage

    funnel = stage_funnel(con, ctx) if funnel is None else funnel
    times = time_in_stage(con, ctx) if times is None else times
    won_idx = ctx.stages.keys.index(ctx.stages.won_stage.key)
    step = None
    for i in range(1, won_idx + 1):
        conv = funnel.iloc[i]["step_conversion"]
        if conv is None or conv != conv:
            continue
        if step is None or conv < step["conversion"]:
            prev, cur = ctx.stages.stages[i - 1], ctx.stages.stages[i]
            step = {"from": prev.key, "to": cur.key, "from_name_zh": prev.name_zh, "to_name_zh": cur.name_zh,
                    "from_name_en": prev.name_en, "to_name_en": cur.name_en, "conversion": float(conv)}
    stage = None
    for i, s in enumerate(ctx.stages.stages):
        med = times.iloc[i]["median"]
        if s.kind != "open" or med is None or med != med or int(times.iloc[i]["n"]) == 0:
            continue
        if stage is None or med > stage["median_days"]:
            stage = {"key": s.key, "name_zh": s.name_zh, "name_en": s.name_en, "median_days": float(med),
                     "n": int(times.iloc[i]["n"])}
    sentence_zh, sentence_en = (_sentence(step, stage, lang) for lang in ("zh", "en"))
    return {"step": step, "stage": stage, "sentence_zh": sentence_zh, "sentence_en": sentence_en}


def _sentence(step: dict | None, stage: dict | None, lang: str) -> str:
    """The bottleneck in words (the catalog's bottleneck_* keys): the weakest step, then the slowest stage."""
    parts = []
    if step:
        parts.append(t("bottleneck_step", lang, from_stage=step[f"from_name_{lang}"], to_stage=step[f"to_name_{lang}"],
                       rate=fmt_pct(step["conversion"])))
    if stage:
        parts.append(t("bottleneck_stage", lang, stage=stage[f"name_{lang}"], days=f"{stage['median_days']:.1f}"))
    if not parts:
        return t("bottleneck_none", lang)
    text = ("\uff1b".join(parts) + "。") if lang == "zh" else ("; ".join(parts) + ".")  # full-width ； in Chinese
    return text[0].upper() + text[1:]
