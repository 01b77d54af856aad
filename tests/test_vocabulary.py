"""One word per concept (SPEC §8): one catalog, every key in both languages, one Chinese text per English
text, the §8 terms where the concept is named, and no §8 synonym in the catalog or in what the report and
the command line print."""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from pathlib import Path

import pytest

import funnel.metrics as M
from funnel.i18n import LABELS
from funnel.report import report_bytes
from funnel.report.build import build_report

sys.path.insert(0, str(Path(__file__).resolve().parent / "report"))
from report_data import make_store  # noqa: E402

# A synonym (left) that SPEC §8 replaces with one term.
SYNONYMS_ZH = {
    "步骤转化率": "阶段转化率", "环节转化": "阶段转化率", "未跟进天数": "停滞天数", "闲置天数": "停滞天数",
    "在途": "未结束", "超期停留": "阶段超期", "已过预计转化时间": "超过预计成交日",
    "超过预计转化时间": "超过预计成交日", "本阶段天数": "阶段停留天数", "进行中区间": "进行中",
}
PP_IN_CHINESE = re.compile(r"(?<![A-Za-z])pp(?![A-Za-z])")  # Chinese text says 个百分点
SYNONYMS_EN = {"Step conv.": "Step conversion"}

# key -> the SPEC §8 term (zh, en) it must say exactly (English compared without case)
TERMS = {
    "col_reached": ("到达", "reached"), "report.c_reached": ("到达", "reached"), "cli.reached": ("到达", "reached"),
    "col_step_conversion": ("阶段转化率", "step conversion"), "report.c_step": ("阶段转化率", "step conversion"),
    "chart.step_conversion": ("阶段转化率", "step conversion"), "cli.step": ("阶段转化率", "step conversion"),
    "kpi_conversion": ("整体转化率", "overall conversion"), "cli.overall": ("整体转化率", "overall conversion"),
    "report.k_overall": ("整体转化率", "overall conversion"),
    "col_win_rate": ("赢单率", "win rate"), "report.c_win_rate": ("赢单率", "win rate"),
    "cli.win_rate": ("赢单率", "win rate"),
    "col_dropped": ("流失于此", "dropped"), "cli.dropped": ("流失于此", "dropped"),
    "col_open": ("未结束", "open"), "report.c_open": ("未结束", "open"), "cli.open": ("未结束", "open"),
    "col_in_progress": ("进行中", "in progress"), "report.c_in_progress": ("进行中", "in progress"),
    "chart.in_progress": ("进行中", "in progress"), "cli.in_progress": ("进行中", "in progress"),
    "col_days_in_stage": ("阶段停留天数", "days in stage"), "report.c_days_in_stage": ("阶段停留天数", "days in stage"),
    "page_cycle": ("转化周期", "cycle time"), "report.s3": ("转化周期", "cycle time"),
    "col_reason": ("流失原因", "loss reason"), "report.c_reason": ("流失原因", "loss reason"),
    "chart.reason": ("流失原因", "loss reason"),
    "col_share": ("占比", "share"), "report.c_share": ("占比", "share"), "cli.share": ("占比", "share"),
    "col_cumulative_share": ("累计占比", "cumulative share"), "report.c_cum": ("累计占比", "cumulative share"),
    "chart.cumulative_share": ("累计占比", "cumulative share"), "cli.cum": ("累计占比", "cumulative share"),
    "cli.reason": ("流失原因", "loss reason"),
    "col_stalled": ("异常跟进", "stalled"), "report.c_stalled": ("异常跟进", "stalled"),
    "report.k_stalled": ("异常跟进", "stalled"), "cli.stalled": ("异常跟进", "stalled"),
    "col_idle_days": ("停滞天数", "idle days"), "report.c_idle": ("停滞天数", "idle days"),
    "cli.idle": ("停滞天数", "idle days"),
    "fu_overdue": ("阶段超期", "overdue in stage"), "report.k_overdue": ("阶段超期", "overdue in stage"),
    "cli.overdue": ("阶段超期", "overdue in stage"),
    "fu_past_close": ("超过预计成交日", "past expected close"),
    "report.k_past_close": ("超过预计成交日", "past expected close"),
    "cli.past_close": ("超过预计成交日", "past expected close"),
    "col_rep": ("销售代表", "rep"), "report.c_rep": ("销售代表", "rep"), "chart.rep": ("销售代表", "rep"),
    "col_manager": ("销售经理", "manager"), "col_team": ("团队", "team"),
    "col_source": ("来源渠道", "source"), "cli.source": ("来源渠道", "source"),
    "as_of": ("截至日期", "as-of date"), "cli.bottleneck": ("瓶颈", "bottleneck"),
    "pp": ("个百分点", "pp"),
}


def _synonyms_in(text: str, zh: bool) -> list[str]:
    found = [word for word in SYNONYMS_ZH if word in text]
    if zh and PP_IN_CHINESE.search(text):
        found.append("pp")
    found += [word for word in SYNONYMS_EN if word in text]
    return found


def test_every_key_has_both_languages():
    for key, pair in LABELS.items():
        assert isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(x, str) and x.strip() for x in pair), key


def test_one_english_text_has_one_chinese_text():
    chinese_of = defaultdict(set)
    for key, (zh, en) in LABELS.items():
        chinese_of[en].add(zh)
    clashes = {en: sorted(zh) for en, zh in chinese_of.items() if len(zh) > 1}
    assert not clashes, clashes


def test_the_catalog_says_the_spec_terms_and_no_synonym():
    for key, (zh, en) in TERMS.items():
        assert LABELS[key][0] == zh and LABELS[key][1].casefold() == en, (key, LABELS[key])
    for key, (zh, en) in LABELS.items():
        assert not _synonyms_in(zh, zh=True) and not _synonyms_in(en, zh=False), (key, zh, en)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_report_and_the_command_line_print_no_synonym(lang):
    con = make_store()
    try:
        ctx = M.resolve_context(con)
        html = report_bytes(build_report(con, ctx, period="2024-03", lang=lang), "html").decode("utf-8")
        text = M.render_text(M.figures(con, ctx), lang=lang)
    finally:
        con.close()
    visible = re.sub(r"<[^>]+>", " ", html.split("<body", 1)[-1])
    assert not _synonyms_in(visible, zh=lang == "zh"), _synonyms_in(visible, zh=lang == "zh")
    assert not _synonyms_in(text, zh=lang == "zh"), _synonyms_in(text, zh=lang == "zh")


# --- every user-visible word of funnel/ is in funnel/i18n.py ------------------------------------------------

_IDEOGRAPH = re.compile(r"[\u4e00-\u9fff]")
# Modules whose Chinese literals *recognise* input or are default configuration data (the user edits them),
# never labels: header synonyms, status / unit / total-row words, date spellings, "no value" tokens, the
# default stages with their synonyms and the default loss keywords, the CJK range that detects Chinese text.
RECOGNISERS = {
    "funnel/ingest/headers.py", "funnel/ingest/values.py", "funnel/ingest/dates.py", "funnel/ingest/table.py",
    "funnel/text.py", "funnel/periods.py", "funnel/stages.py", "funnel/store/config.py", "funnel/ui_import.py",
}


def _docstrings(tree) -> set[int]:
    import ast

    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def test_no_chinese_words_outside_the_catalog():
    """A Chinese string literal (not a docstring or comment) in funnel/ outside funnel/i18n.py and the
    recognisers above is a user-facing word written past the catalog."""
    import ast

    root = Path(__file__).resolve().parents[1]
    found = []
    for path in sorted((root / "funnel").rglob("*.py")):
        name = path.relative_to(root).as_posix()
        if name == "funnel/i18n.py" or name in RECOGNISERS:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = _docstrings(tree)
        found += [f"{name}:{node.lineno}: {node.value[:40]!r}" for node in ast.walk(tree)
                  if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
                  and _IDEOGRAPH.search(node.value)]
    assert not found, found


def test_the_recognisers_still_exist():
    root = Path(__file__).resolve().parents[1]
    assert all((root / name).is_file() for name in RECOGNISERS)
