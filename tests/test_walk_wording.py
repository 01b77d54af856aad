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


def test_metrics_text_names_stages_and_speaks_one_language(tmp_path):
    """`metrics --lang zh` on the messy template listed the stalled leads under "lead_id" with stage keys
    (screening) and idle days as 110.0, and its cycle line said q1 / median / q3 / mean in Chinese text."""
    import funnel.metrics as M
    from funnel.store.db import connect
    from funnel.store.loader import import_files
    from tests.messy_template import STALLED, messy_files

    con = connect(tmp_path / "messy.duckdb")
    try:
        import_files(con, messy_files(), who="test")
        figs = M.figures(con, M.resolve_context(con))
    finally:
        con.close()
    keys = {s["key"] for s in figs["stages"]}
    for lang, header, name in (("zh", "线索编号", "初步筛选"), ("en", "Lead ID", "Screening")):
        lines = M.render_text(figs, lang=lang).splitlines()
        at = next(i for i, line in enumerate(lines) if line.startswith("== ") and f": {STALLED} ==" in line)
        assert lines[at + 1].startswith(header), lines[at + 1]
        rows = [line.split("  ") for line in lines[at + 3:at + 3 + STALLED]]
        cells = [[c.strip() for c in row if c.strip()] for row in rows]
        assert not any(row[2] in keys for row in cells), cells  # the stage column: names, not keys
        assert any(row[2] == name for row in cells) and cells[0][-1] == "110", cells
    cycle = next(line for line in M.render_text(figs, lang="zh").splitlines() if line.startswith("转化周期"))
    assert "中位数" in cycle and not any(word in cycle for word in ("q1", "median", "q3", "mean")), cycle


def test_the_report_names_dropped_leads_with_the_spec_word():
    # SPEC §8: 流失于此 / dropped. The report's column said "Lost here", the dashboard and the CLI "Dropped".
    from funnel.i18n import LABELS

    assert LABELS["report.c_dropped"] == LABELS["col_dropped"] == ("流失于此", "Dropped")
