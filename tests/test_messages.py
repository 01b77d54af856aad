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


# --- problems by code (funnel.ingest.problems): warnings and rejects carry a code and their values ----------

def _coded_rows() -> list[tuple[str, str, str | None, str]]:
    """(sentence, code, params, kind) of every warning and reject ingest writes for the messy files."""
    from funnel.ingest.batch import REJECT_FIELDS, WARNING_FIELDS

    rows = []
    files = [*messy_files(), ("bad.csv", BAD_CELLS), ("events.csv", EVENTS), ("roster.csv", ROSTER)]
    for parsed in parse_files(files, StageConfig()):
        assert tuple(parsed.warnings.columns) == WARNING_FIELDS and tuple(parsed.rejects.columns) == REJECT_FIELDS
        rows += [(w.problem, w.code, w.params, "warning") for w in parsed.warnings.itertuples()]
        rows += [(r.reason, r.code, r.params, "reject") for r in parsed.rejects.itertuples()]
    return rows


def test_every_warning_and_reject_carries_a_code_that_renders_its_sentence():
    from funnel.ingest.problems import CODES
    from funnel.messages import problem_text

    rows = _coded_rows()
    assert {"warning", "reject"} == {kind for *_, kind in rows}
    seen = set()
    for sentence, code, params, _ in rows:
        assert code in CODES, sentence
        seen.add(code)
        # the stored / printed English is what ingest always wrote: the old sentence matching reads it the same
        assert translate(sentence, "zh") == problem_text(code, params, sentence, "zh"), sentence
        assert translate(sentence, "en") == problem_text(code, params, sentence, "en"), sentence
    assert len(seen) >= 12, seen


def test_every_code_has_its_words_and_matches_the_old_sentence_template():
    from funnel.i18n import LABELS
    from funnel.ingest.problems import CODES, english

    templates = {english for english, _, _ in CATALOG}
    for code in CODES:
        zh, en = LABELS[f"imp.{code}"]
        assert _placeholders(zh) == _placeholders(en), code
        cli = LABELS.get(f"imp.{code}.cli", (zh, en))[1]
        assert cli in templates or english(code, problem="date_out_of_range") in templates, code
    from funnel.ingest.dates import OUT_OF_RANGE
    assert english("date_out_of_range") == OUT_OF_RANGE


def test_rows_stored_before_the_codes_still_show_in_the_ui_language(tmp_path):
    """A store written by an older version (no code columns, English sentences only): opening it adds the
    columns, its rows read back with NULL codes, and they render by sentence matching (the fallback)."""
    import duckdb

    from funnel.messages import problem_text, problem_texts
    from funnel.store.db import connect
    from funnel.store.queries import rejects_of, warnings_of

    path = tmp_path / "old.duckdb"
    old = duckdb.connect(str(path))
    old.execute("create table rejects (import_id varchar, file_name varchar, row_number integer, "
                "raw_values varchar, reason varchar)")
    old.execute("create table import_warnings (import_id varchar, file_name varchar, row_number integer, "
                "column_name varchar, raw_value varchar, problem varchar)")
    old.execute("insert into rejects values ('i1', 'a.csv', 3, '{}', 'superseded by row 9 (same key ''A-2'')')")
    old.execute("insert into import_warnings values ('i1', 'a.csv', 4, '获取时间', '2024-02-30', 'impossible date')")
    old.close()
    con = connect(str(path))
    try:
        rejects, warnings = rejects_of(con), warnings_of(con)
    finally:
        con.close()
    assert rejects["code"].isna().all() and warnings["code"].isna().all()
    reject = rejects.iloc[0]
    assert problem_text(reject["code"], reject["params"], reject["reason"], "zh") == "被第 9 行取代\uff08编号相同\uff1a'A-2'\uff09"
    assert problem_texts(warnings, "problem", "zh") == ["不存在的日期"]
    assert problem_texts(warnings, "problem", "en") == ["impossible date"]


def test_new_rows_render_by_code_in_both_languages():
    from funnel.ingest.problems import reject_reason, warning
    from funnel.messages import problem_text

    sentence, code, params = reject_reason("event_stage_unknown", stage=repr("外太空"))
    assert "mapping profile" in sentence  # the command line's English names the profile
    assert problem_text(code, params, sentence, "en") == ("unknown stage '外太空': an event needs a known stage "
                                                          "(add it as a synonym in Settings)")
    assert problem_text(code, params, sentence, "zh").startswith("无法识别的阶段 '外太空'")
    w = warning(5, "关键动作记录", "02-30 电话", code="action_date", problem="date_impossible")
    assert w["problem"] == "action date: impossible date; the action is kept without a date"
    assert problem_text(w["code"], w["params"], w["problem"], "zh") == "动作日期\uff1a不存在的日期\uff1b该动作已保留，但没有日期"
