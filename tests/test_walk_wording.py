"""Sentences a new manager read wrong on the walk through the dashboard (zh and en), pinned where they are
built: no bare "—" for "nothing changed", no English verb left plural after "1 reason"."""

from __future__ import annotations

from funnel.i18n import t
from funnel.review_text import attribution_sentence


def test_attribution_sentence_without_a_factor_says_so():
    # Review, 2024-05 of the messy template: "成交 0 → 0（+0）：—。" / "Wins 0 → 0 (+0): —."
    a = {"won": 0, "won_previous": 0, "factors": [{"factor": "leads", "contribution": 0.0}]}
    zh, en = attribution_sentence(a, {}, "zh"), attribution_sentence(a, {}, "en")
    assert "—" not in zh and "—" not in en
    assert zh == "成交 0 → 0（+0）：没有哪个因素的贡献达到 ±0.05。"
    assert en == "Wins 0 → 0 (+0): no factor moved them by 0.05 or more."


def test_pareto_caption_reads_right_with_one_reason():
    # Loss, en: "1 reason make up 80% of losses."
    text = t("pareto_caption", "en", lost="1", top3="价格超出预算 (100.0%)", k=1)
    assert "make up" not in text and text.endswith("Reasons needed to reach 80% cumulative share: 1.")
