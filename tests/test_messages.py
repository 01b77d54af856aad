"""The import's sentences in the UI's language (funnel/messages.py): every sentence ingest writes for messy
files has a Chinese form, and the dashboard's English never names a command-line flag."""

from __future__ import annotations

import re

import pytest

from funnel.ingest import parse_files
from funnel.ingest.batch import ImportError_
from funnel.messages import CATALOG, translate
from funnel.stages import StageConfig
from tests.messy_template import messy_files

HEADER = "线索编号,来源渠道,获取时间,当前阶段,进入阶段时间,结果状态,转化周期(天),关键动作记录,销售代表\n"
BAD_CELLS = (HEADER + "A-1,官网,2024-02-30,外太空,2024/13/1,maybe,十天,02-30 电话;05-01 拜访,李明\n"
             "A-2,官网,1850-01-01,线索获取,abc,跟进中,3,,王芳\n"
             "A-2,官网,2024-03-01,线索获取,2024-03-01,跟进中,3,,王芳\n"
             "合计,,,,,,,,\n").encode("utf-8")
EVENTS = "线索编号,阶段,进入时间\nE-1,外太空,2024-03-01\n,线索获取,2024-03-01\nE-2,,2024-03-01\n".encode("utf-8")
ROSTER = "销售代表,销售经理,团队\n,王芳,华东\n李明,王芳,华东\n".encode("utf-8")


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", text))


@pytest.mark.parametrize("english, chinese, dashboard", CATALOG)
def test_each_sentence_has_the_same_values_in_every_form(english, chinese, dashboard):
    assert _placeholders(chinese) == _placeholders(english)
    if dashboard is not None:
        assert _placeholders(dashboard) == _placeholders(english) and "--" not in dashboard


def _messages() -> list[str]:
    out = []
    files = [*messy_files(), ("bad.csv", BAD_CELLS), ("events.csv", EVENTS), ("roster.csv", ROSTER)]
    for parsed in parse_files(files, StageConfig()):
        out += list(parsed.notes) + list(parsed.warnings["problem"]) + list(parsed.rejects["reason"])
    for name, data in (("weird.csv", b"foo,bar\n1,2\n"), ("empty.csv", b""), ("old.xlsx", b"\xd0\xcf\x11\xe0rest"),
                       ("fake.xlsx", b"not a zip"), ("big.csv", b"x" * 2048)):
        try:
            parse_files([(name, data)], StageConfig(), max_bytes=1024)
        except ImportError_ as err:
            out.append(str(err))
    return out


def test_every_import_sentence_of_messy_files_has_a_chinese_form():
    messages = _messages()
    assert len(messages) > 20
    untranslated = [m for m in messages if translate(m, "zh") == m]
    assert not untranslated
    for message in messages:  # no English sentence left inside (values such as file names aside)
        assert not re.search(r"\b(row|rows|column|date|file|the|and|not)\b", str(translate(message, "zh"))), message


def test_the_dashboard_never_names_a_command_line_flag():
    for message in _messages():
        assert "--" not in str(translate(message, "en")), message


def test_joined_notes_are_translated_one_by_one():
    # imports.message joins a file's notes with "; "; a sentence may itself hold "; "
    joined = "header found on row 2; 1 row(s) above it (a title) were skipped; 1 blank row(s) skipped; odd"
    # \uff1b \uff08 \uff09: full-width ； （ ）
    assert translate(joined, "zh") == "表头在第 2 行\uff1b其上方 1 行\uff08标题\uff09已跳过\uff1b跳过 1 个空行\uff1bodd"
    assert translate(joined, "en") == joined
    assert translate(None, "zh") is None and translate("anything else", "zh") == "anything else"
