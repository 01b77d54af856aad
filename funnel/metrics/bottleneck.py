"""Bottleneck (SPEC §4): the step with the lowest conversion and the stage with the longest median
completed time, named in words (Chinese and English)."""

from __future__ import annotations


import duckdb
import pandas as pd

from funnel.metrics.context import MetricContext


def _fmt_pct(x: float) -> str:
    return f"{x * 100:.1f}%"


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
    zh, en = [], []
    if step:
        zh.append(f"转化最低的环节是「{step['from_name_zh']}→{step['to_name_zh']}」\uff0c转化率 {_fmt_pct(step['conversion'])}")
        en.append(f"The weakest step is {step['from_name_en']} → {step['to_name_en']} at "
                  f"{_fmt_pct(step['conversion'])} conversion")
    if stage:
        zh.append(f"耗时最长的阶段是「{stage['name_zh']}」\uff0c中位数 {stage['median_days']:.1f} 天")
        en.append(f"the slowest stage is {stage['name_en']} with a median of {stage['median_days']:.1f} days")
    sentence_zh = ("\uff1b".join(zh) + "。") if zh else "数据不足\uff0c无法判断瓶颈。"  # full-width ；，
    sentence_en = ("; ".join(en) + ".") if en else "Not enough data to name a bottleneck."
    sentence_en = sentence_en[0].upper() + sentence_en[1:]
    return {"step": step, "stage": stage, "sentence_zh": sentence_zh, "sentence_en": sentence_en}
