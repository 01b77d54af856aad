"""The review's sentences (SPEC §7.3), pure: the attribution in one line, the mix / rate split, the young-cohort
note. Used by the Review page and the report, so both say the same words."""

from __future__ import annotations

from funnel.formats import fmt_days, fmt_num, fmt_pct
from funnel.i18n import t
from funnel.review_charts import factor_label, word


def _num(value: float) -> str:
    """A count that may be fractional (W = N × Π p_k under the strict skip rule): 42, 41.5."""
    return f"{value:,.0f}" if abs(value - round(value)) < 0.05 else f"{value:,.1f}"


def _signed(value: float) -> str:
    return f"{value:+,.1f}".replace("-", "−")


def attribution_sentence(a: dict, stage_names: dict[str, str], lang: str = "zh") -> str:
    """'Wins 42 → 35 (−7): volume −2.1, 初步筛选→需求深度挖掘 −5.8, …' with the factors largest first (those
    that round to ±0.0 left out)."""
    delta = a["won"] - a["won_previous"]
    factors = sorted(a.get("factors", []), key=lambda f: -abs(f["contribution"]))
    terms = [f"{factor_label(f, stage_names, lang, heading=False)} {_signed(f['contribution'])}" for f in factors
             if abs(f["contribution"]) >= 0.05]
    sep = "，" if lang == "zh" else ", "
    delta_text = (f"{delta:+,.0f}" if abs(delta - round(delta)) < 0.05 else f"{delta:+,.1f}").replace("-", "−")
    return t("rv_attr_sentence", lang, before=_num(a["won_previous"]), after=_num(a["won"]), delta=delta_text,
             terms=sep.join(terms) if terms else t("rv_attr_no_factor", lang))


def factor_value(factor: dict, value: float) -> str:
    """A factor's before / after value as the table shows it: N as a count, a step conversion as a percentage
    (one column holds both, so it is text)."""
    return fmt_num(value) if factor["factor"] == "leads" else fmt_pct(value)


def mix_sentence(a: dict, segment_by: str, lang: str = "zh") -> str | None:
    """The mix / rate split of one dimension in a sentence, naming its three largest terms; None when there
    is no split (a cohort is empty or the dimension has no value)."""
    rows = [m for m in a.get("mix", []) if m["segment_by"] == segment_by]
    if not rows or a.get("conversion_change") is None:
        return None
    mix = sum(m["mix"] for m in rows) * 100
    rate = sum(m["rate"] for m in rows) * 100
    top = [x for x in a.get("mix_top", []) if x["segment_by"] == segment_by]
    sep = "、" if lang == "zh" else "; "
    top_text = sep.join(
        f"{t('unspecified', lang) if x['segment'] is None else x['segment']} {word(x['term'], lang)} "
        f"{_signed(x['value'] * 100)}" for x in top)
    return t("rv_mix_caption", lang, before=fmt_pct(a["conversion_previous"]), after=fmt_pct(a["conversion"]),
             delta=_signed(a["conversion_change"] * 100), mix=_signed(mix), rate=_signed(rate), top=top_text or "—")


def young_sentence(a: dict, lang: str = "zh") -> str | None:
    """The note that P's cohort is still young (median age below the median cycle time), else None."""
    if not a.get("young"):
        return None
    return t("rv_young", lang, period=a["period"], age=fmt_days(a["median_age_days"]),
             cycle=fmt_days(a["median_cycle_days"]))
