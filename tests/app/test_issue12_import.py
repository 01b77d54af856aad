"""Issue 12 on the page: a new manager imports a messy template (tests/messy_template.py) and reads the
default view; import messages, outcomes and the as-of date in the UI's language."""

from __future__ import annotations

import re
import unicodedata

import pytest
from app_helpers import new_app

from tests.messy_template import AS_OF, STALLED, messy_files


def _unescape(text: str) -> str:
    """Markdown escapes removed, full-width punctuation folded (NFKC: ， -> ,), so a sentence compares the
    same with either punctuation."""
    return unicodedata.normalize("NFKC", re.sub(r"\\(.)", r"\1", str(text)))


def _all_text(at) -> str:
    parts = []
    for kind in ("title", "subheader", "caption", "markdown", "info", "warning", "error", "success"):
        parts += [_unescape(e.value) for e in getattr(at, kind)]
    parts += [_unescape(e.value) for e in at.sidebar.caption]
    return "\n".join(parts)


@pytest.fixture
def messy_db(tmp_path, app_env):
    from funnel.store.db import connect
    from funnel.store.loader import import_files

    path = tmp_path / "messy.duckdb"
    con = connect(path)
    import_files(con, messy_files(), who="fixture")
    con.close()
    return app_env(path, no_sample=True)


def _open(page: str, query: dict, locale: str):
    at = new_app(query=query, locale=locale)
    at.run()
    if page != "overview":
        at.switch_page(f"app_pages/{page}.py")
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("lang, source, stalled", [
    ("zh", f"截至日期 {AS_OF}:数据中最后一次发生事件的日期(进入阶段)。", f"{STALLED} 条未结束线索超过 7 天没有任何动作"),
    ("en", f"As-of date {AS_OF}: the latest date something happened in the data (a stage entry).",
     f"{STALLED} open leads had no action for more than 7 days"),
])
def test_default_as_of_and_its_source_in_the_sidebar(messy_db, lang, source, stalled):
    at = _open("followup", {"lang": lang}, "zh-CN" if lang == "zh" else "en-US")
    sidebar = " ".join(_unescape(c.value) for c in at.sidebar.caption)
    assert _unescape(source) in sidebar
    assert stalled in _all_text(at)
    assert not at.warning  # no stray date, no as-of outside the data


@pytest.mark.parametrize("lang, as_of, expected", [
    ("zh", "1900-01-01", "截至日期 1900-01-01 早于数据中的第一个日期 2024-03-01"),
    ("en", "1900-01-01", "The as-of date 1900-01-01 is before the first date in the data (2024-03-01)"),
    ("zh", "2027-01-01", f"截至日期 2027-01-01 远晚于数据中最后一次发生事件的日期 {AS_OF}"),
    ("en", "2027-01-01", f"The as-of date 2027-01-01 is long after the latest date something happened in the data ({AS_OF})"),
])
def test_an_as_of_outside_the_data_is_warned(messy_db, lang, as_of, expected):
    at = _open("overview", {"lang": lang, "as_of": as_of}, "zh-CN" if lang == "zh" else "en-US")
    warnings = " ".join(_unescape(w.value) for w in at.warning)
    assert _unescape(expected) in warnings


def test_an_as_of_inside_the_data_is_not_warned(messy_db):
    at = _open("overview", {"lang": "en", "as_of": "2024-05-01"}, "en-US")
    assert not any("as-of date" in _unescape(w.value) for w in at.warning)
    assert "set by you" in " ".join(_unescape(c.value) for c in at.sidebar.caption)


# ------------------------------------------------------------------------------------ the Data page

def _upload(at, files):
    uploader = at.file_uploader[0]
    for name, data in files:
        uploader.upload(name, data, "application/octet-stream")
    at.run()
    return at


def _gbk_csv():
    from tests.store.test_lead_outcomes import _gbk_csv_of_the_sheet

    return [("线索跟踪表.csv", _gbk_csv_of_the_sheet())]


@pytest.fixture
def empty_db(tmp_path, app_env):
    return app_env(tmp_path / "fresh.duckdb", no_sample=True)


def test_import_report_in_chinese(empty_db):
    at = _open("data", {"lang": "zh"}, "zh-CN")
    _upload(at, messy_files())
    at.button(key="do_import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    text = _all_text(at)
    # 8 leads, all new; rows: 8 + 12 accepted, 1 rejected, 1 with warnings (tests/messy_template.py)
    assert "8 条线索:新增 8,变更 0,未变 0。" in text
    # the notes in full, in Chinese
    assert "表头在第 2 行;其上方 1 行(标题)已跳过" in text
    assert "1 行与前面的行完全相同,只计一次(第 8 行)" in text and "跳过 1 个空行" in text
    frames = [df.value for df in at.dataframe]
    warnings = next(f for f in frames if "原始值" in f.columns)
    assert "不存在的日期" in set(warnings["问题"])
    rejects = next(f for f in frames if "客户名称" in f.columns)  # a table of the row's own columns
    assert list(rejects["行号"]) == [10] and list(rejects["客户名称"]) == ["己公司"]
    assert [_unescape(r) for r in rejects["问题"]] == ["没有线索编号(线索编号为空)"]
    history = next(f for f in frames if "操作人" in f.columns)
    assert set(history["状态"]) == {"成功"} and set(history["操作人"]) == {"看板上传"}
    assert not re.search(r"[A-Za-z]{4,}", " ".join(str(m) for m in history["说明"])), list(history["说明"])
    # no English sentence anywhere in the report's texts (file names and column keys aside)
    for bad in ("impossible date", "no lead ID", "header found", "blank row", "dashboard", "ok"):
        assert not any(bad == str(v) or bad in str(v) for f in frames for v in f.astype(str).to_numpy().ravel()), bad


def test_reimport_of_the_same_sheet_says_nothing_changed(empty_db):
    at = _open("data", {"lang": "en"}, "en-US")
    _upload(at, messy_files())
    at.button(key="do_import").click().run()
    at = _open("data", {"lang": "en"}, "en-US")
    _upload(at, _gbk_csv())
    at.button(key="do_import").click().run()
    info = " ".join(_unescape(i.value) for i in at.info)
    assert "8 leads: 0 new, 0 changed, 8 unchanged." in info
    assert not at.success
    # the ID-less row was rejected twice (two imports): counted once in the history
    assert "Rejected rows** (1)" in " ".join(m.value for m in at.markdown) or \
        any("Rejected rows" in m.value and "(1)" in m.value for m in at.markdown)


def test_header_only_file_is_not_a_success(empty_db):
    at = _open("data", {"lang": "zh"}, "zh-CN")
    _upload(at, [("空.csv", "线索编号,来源渠道,客户名称,获取时间\n".encode("utf-8"))])
    at.button(key="do_import").click().run()
    assert not at.success
    assert "没有导入任何内容:空.csv 只有表头,没有数据行。" in " ".join(_unescape(w.value) for w in at.warning)


@pytest.mark.parametrize("lang, expected", [("zh", "导入失败,没有写入任何数据:weird.csv:没有找到可识别的列"),
                                            ("en", "Import failed, nothing was written: weird.csv: no known column")])
def test_failed_import_in_the_ui_language_without_a_flag_or_a_progress_box(empty_db, lang, expected):
    at = _open("data", {"lang": lang}, "zh-CN" if lang == "zh" else "en-US")
    _upload(at, [("weird.csv", "foo,bar\n1,2\n".encode("utf-8"))])
    assert not any("识别为" in _unescape(c.value) or "detected as" in _unescape(c.value) for c in at.caption)
    at.button(key="do_import").click().run()
    errors = " ".join(_unescape(e.value) for e in at.error)
    assert expected in errors and "--mapping" not in errors
    # the "importing 1 file…" box is gone
    assert not [e for e in at.get("expandable") if "导入" in str(e.label) or "Importing" in str(e.label)]


def test_no_server_path_and_one_upload_limit_on_the_data_page(empty_db):
    import os

    from funnel.ingest import UPLOAD_MAX_MB

    at = _open("data", {"lang": "zh"}, "zh-CN")
    text = _all_text(at) + " ".join(str(w.label) for w in at.text_input)
    for folder in (str(empty_db.parent), os.environ["LEAD_FUNNEL_SHARED_DIR"], "data/profiles"):
        assert folder not in text
    assert at.file_uploader[0].proto.max_upload_size_mb == UPLOAD_MAX_MB
    assert f"每个文件最大 {UPLOAD_MAX_MB} MB" in _unescape(at.file_uploader[0].help)


def test_mapping_editor_shows_no_empty_cell():
    # an empty cell of the editor's select column is drawn as "None": every row holds a value, the unused
    # ones UNUSED, shown as "(不使用)" / "(not used)"; saving leaves them out of the profile
    from funnel.ui_import import UNUSED, FilePreview, field_label, mapping_rows, profile_from_rows

    preview = FilePreview("w.csv", headers=["客户", "foo", ""], samples=["甲", "", ""],
                          matched=["customer", None, None], detected=None)
    rows = mapping_rows(preview)
    assert list(rows["maps_to"]) == ["customer", UNUSED] and rows.notna().all().all()
    profile = profile_from_rows("p", "w.csv", rows)
    assert profile.files[0].columns == {"客户": ["customer"]}
    assert _unescape(field_label("lead_id", "zh")) == "线索编号(lead_id)"
    assert field_label("lead_id", "en") == "Lead id (lead_id)"


@pytest.mark.parametrize("lang, young, cycle", [
    ("zh", "2024-06 批次的获取天数中位数为 25 天,短于全部成交线索的转化周期中位数 45 天", "周期中位数 —。"),
    ("en", "The 2024-06 cohort's median age is 25 days, below the median cycle time of all won leads (45 days)",
     "median cycle —."),
])
def test_trends_says_the_latest_period_is_still_young(messy_db, lang, young, cycle):
    """Trends showed June 2024 (one lead, 25 days old, at 0% conversion) with no note, while the Overview and
    the Review say when a cohort is younger than the median cycle; and its caption read "— 天"."""
    at = _open("trends", {"lang": lang}, "zh-CN" if lang == "zh" else "en-US")
    warnings = [_unescape(w.value) for w in at.warning]
    assert any(young in w for w in warnings), warnings
    captions = [_unescape(c.value) for c in at.caption]
    assert any(cycle in c for c in captions) and not any("— 天" in c or "— days" in c for c in captions), captions


def test_trends_does_not_call_a_mature_period_young(messy_db):
    at = _open("trends", {"lang": "en", "from": "2024-03-01", "to": "2024-05-31"}, "en-US")
    assert not [w.value for w in at.warning if "young" in w.value]


@pytest.mark.parametrize("lang, expected", [("zh", "没有哪一组有至少 10 条线索"), ("en", "No group has 10 or more leads")])
def test_forecast_says_why_the_win_curve_chart_is_blank(messy_db, lang, expected):
    """8 leads in 3 sources: every curve is cut before it starts, and the chart was an empty frame with no word."""
    at = _open("forecast", {"lang": lang}, "zh-CN" if lang == "zh" else "en-US")
    assert any(expected in _unescape(i.value) for i in at.info), [i.value for i in at.info]


def test_forecast_on_enough_leads_has_no_blank_chart_note(sample_db, app_env):
    app_env(sample_db)
    at = _open("forecast", {"lang": "en"}, "en-US")
    assert not [i.value for i in at.info if "No group has" in _unescape(i.value)]


@pytest.mark.parametrize("lang, expected", [
    ("zh", "自动识别（A. 线索模板（每行一条线索）、B. 阶段日志（每行一次阶段进入））"),
    ("en", "Detect automatically (A. "),
])
def test_detected_formats_in_the_format_box_read_in_file_order_and_one_language(empty_db, lang, expected):
    """zh read "自动识别 (B. 阶段日志…, A. 线索模板…)": B before A, and English brackets and comma."""
    at = new_app(query={"lang": lang}, locale="zh-CN" if lang == "zh" else "en-US")
    at.run()
    at.switch_page("app_pages/data.py").run()
    _upload(at, messy_files())
    shown = at.selectbox(key="fmt").options[0]
    assert shown.startswith(expected), shown
    assert shown.index("A. ") < shown.index("B. "), shown
