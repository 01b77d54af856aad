"""The dashboard's Streamlit-free helpers: URL <-> view, exports, labels."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pandas as pd
import pytest

from funnel import formats, i18n
from funnel.exports import to_csv_bytes, to_xlsx_bytes
from funnel.metrics.context import FunnelFilter
from funnel.ui_state import filter_to_query_params, lang_from_locale, parse_query_params

ROOT = Path(__file__).resolve().parents[2]


def test_round_trip_keeps_every_choice():
    flt = FunnelFilter(dt.date(2024, 3, 1), dt.date(2024, 3, 31), sources=("行业展会", "官网"), reps=("李明",),
                       managers=("王芳",), teams=("华东",))
    params = filter_to_query_params(flt, "week", dt.date(2024, 6, 30), 10, "en")
    parsed = parse_query_params(params)
    assert parsed.filter == flt
    assert (parsed.grain, parsed.as_of, parsed.stalled_days, parsed.lang) == ("week", dt.date(2024, 6, 30), 10, "en")
    assert parsed.notes == []


def test_defaults_are_left_out_of_the_link():
    assert filter_to_query_params(FunnelFilter()) == {}
    assert parse_query_params({}) == (FunnelFilter(), "month", None, None, None, [])


@pytest.mark.parametrize("params, problem", [
    ({"from": "2024-13-45"}, "bad_date"),
    ({"as_of": "yesterday"}, "bad_date"),
    ({"grain": "decade"}, "bad_grain"),
    ({"stalled": "-3"}, "bad_number"),
    ({"stalled": "seven"}, "bad_number"),
    ({"lang": "fr"}, "bad_lang"),
    ({"from": "2024-05-01", "to": "2024-03-01"}, "range_reversed"),
])
def test_a_bad_value_falls_back_to_the_default_with_a_note(params, problem):
    parsed = parse_query_params(params)
    assert [n.problem for n in parsed.notes] == [problem]
    assert parsed.filter.date_from is None and parsed.filter.date_to is None
    assert parsed.grain == "month" and parsed.stalled_days is None and parsed.lang is None


def test_values_missing_from_the_data_are_dropped_with_a_note():
    parsed = parse_query_params({"rep": ["李明", "nobody"]}, known={"reps": ["李明", "张伟"]})
    assert parsed.filter.reps == ("李明",)
    assert [(n.param, n.raw, n.problem) for n in parsed.notes] == [("rep", "nobody", "unknown_value")]


def test_locale_to_language():
    assert lang_from_locale("zh-CN") == "zh" and lang_from_locale("zh_TW") == "zh"
    assert lang_from_locale("en-US") == "en" and lang_from_locale("de") == "en"
    assert lang_from_locale(None) is None


def test_csv_has_bom_and_neutralises_formulas():
    df = pd.DataFrame({"name": ["=1+1", "+86 138", "-x", "@SUM(A1)", "\tTab", "李明"], "n": [-5, 1, 2, 3, 4, None]})
    data = to_csv_bytes(df)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[1] == "'=1+1,-5.0"        # a negative number stays a number
    assert lines[2].startswith("'+86 138") and lines[3].startswith("'-x") and lines[4].startswith("'@SUM")
    assert lines[5].startswith("'\tTab")
    assert lines[6] == "李明,"            # missing -> empty cell, never NaN
    assert "nan" not in text.lower()


def test_xlsx_writes_strings_as_strings():
    import openpyxl

    df = pd.DataFrame({"name": ["=HYPERLINK(\"http://x\")", "李明"], "n": [1.5, None],
                       "day": [pd.Timestamp("2024-03-01"), pd.NaT]})
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(df, "线索")))
    sheet = book.active
    assert sheet.title == "线索"
    assert sheet["A2"].value == "=HYPERLINK(\"http://x\")" and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == 1.5 and sheet["B3"].value is None
    assert sheet["C2"].value == dt.datetime(2024, 3, 1)


def test_every_label_has_both_languages_and_all_used_keys_exist():
    for key, (zh, en) in i18n.LABELS.items():
        assert zh.strip() and en.strip(), key
        assert set(re.findall(r"{(\w+)}", zh)) == set(re.findall(r"{(\w+)}", en)), key
    used = set()
    for path in [ROOT / "app.py", *(ROOT / "app_pages").glob("*.py")]:
        used |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_]+)["']\s*[,)]""", path.read_text(encoding="utf-8")))
    missing = sorted(k for k in used if k not in i18n.LABELS)
    assert not missing, missing


@pytest.mark.parametrize("value", [None, float("nan"), float("inf"), pd.NA, pd.NaT])
def test_undefined_numbers_show_as_a_dash(value):
    assert formats.fmt_pct(value) == formats.fmt_num(value) == formats.fmt_days(value) == "—"


def test_no_pages_folder_beside_app():
    # A pages/ folder beside app.py puts Streamlit into its legacy multipage mode on a process's first run (and
    # in AppTest after switch_page): the page file runs alone, without app.py's sidebar and error handling, and
    # every file of the folder is listed as a page. Page scripts belong in app_pages/.
    assert not (ROOT / "pages").exists(), "move the page scripts from pages/ to app_pages/ (see app.py)"


def test_zh_punct_makes_chinese_punctuation_full_width():
    from funnel.text import zh_punct

    # \uff0c = ，  \uff1a = ：  \uff08 \uff09 = （ ）  \uff1b = ；
    assert zh_punct("当前筛选只有一行,无法做对比。") == "当前筛选只有一行\uff0c无法做对比。"
    assert zh_punct("{file}:{msg}") == "{file}\uff1a{msg}"
    assert zh_punct("无效(可用 week/month/quarter),已使用 {x}。") == "无效\uff08可用 week/month/quarter\uff09\uff0c已使用 {x}。"
    assert zh_punct("天(n={n},进行中 {k})") == "天\uff08n={n}\uff0c进行中 {k}\uff09"
    # ASCII between ASCII stays: times, thousands, URLs, code
    assert zh_punct("09:00 1,998 http://x st.login()") == "09:00 1,998 http://x st.login()"


def test_chinese_labels_use_full_width_punctuation():
    half = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef「」“”{}]\s*[,;:!?()]|[,;:!?()]\s*[\u4e00-\u9fff「」“”]")
    # one catalog: the report's (report.*), the charts' (chart.*) and the command line's (cli.*) words too
    texts = {f"i18n.{k}": zh for k, (zh, _en) in i18n.LABELS.items()}
    bad = {k: v for k, v in texts.items() if half.search(v)}
    assert not bad, bad
    assert i18n.t("one_rep_note", "zh") == "当前筛选只有一行\uff0c无法做对比。"


def test_a_count_of_one_reads_in_the_singular():
    from funnel.report.labels import L
    from funnel.text import en_plural

    assert en_plural("1 open leads have an expected close date") == "1 open lead has an expected close date"
    assert en_plural("21 days, 1.5 days, 1 days, 0 leads") == "21 days, 1.5 days, 1 day, 0 leads"
    assert en_plural("1 leads appear only in a stage log; 2 leads appear") == \
        "1 lead appears only in a stage log; 2 leads appear"
    assert i18n.t("fu_past_close_caption", "en", n=1, as_of="2024-06-30") == \
        "1 open lead has an expected close date before 2024-06-30."
    assert i18n.t("fu_past_close_caption", "en", n=2, as_of="2024-06-30").startswith("2 open leads have")
    assert i18n.t("undated_note", "en", n=1) == \
        "Not counted above: 1 more lead without an acquisition date, which no date range can hold."
    assert L("a_stalled_basis", "en", n=1, max=9) == "Stalled: 1 lead, longest idle 9 days"


def test_docs_named_in_the_streamlit_config_exist():
    text = (ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    named = re.findall(r"docs/[\w./-]+\.md", text)
    assert named and all((ROOT / n).exists() for n in named), named


def test_the_catalog_is_written_full_width_at_the_source():
    """No conversion at import: each Chinese label is already what zh_punct would make of it."""
    from funnel.text import zh_punct

    assert {k: zh for k, (zh, _en) in i18n.LABELS.items() if zh_punct(zh) != zh} == {}


def test_fmt_time_writes_a_moment_as_the_pages_do():
    # ISO text from a saved figure set's provenance, a datetime (a file's modification time), nothing
    moment = dt.datetime(2026, 12, 1, 22, 50, 4, 123456, tzinfo=dt.timezone.utc)
    assert formats.fmt_time("2026-12-01T22:50:04.123456+00:00") == "2026-12-01 22:50:04"
    assert formats.fmt_time(moment) == "2026-12-01 22:50:04"
    assert formats.fmt_time(moment, seconds=False) == "2026-12-01 22:50"
    assert formats.fmt_time(None) == formats.fmt_time("") == "—"
