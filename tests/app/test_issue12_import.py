"""Issue 12 on the page: a new manager imports a messy template (tests/messy_template.py) and reads the
default view; import messages, outcomes and the as-of date in the UI's language."""

from __future__ import annotations

import re

import pytest
from app_helpers import new_app

from tests.messy_template import AS_OF, STALLED, messy_files


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", str(text))


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
    ("zh", f"截至日期 {AS_OF}:数据中最后一次发生事件的日期(进入阶段)。", f"{STALLED} 条在途线索超过 7 天没有任何动作"),
    ("en", f"As-of date {AS_OF}: the latest date something happened in the data (a stage entry).",
     f"{STALLED} open leads had no action for more than 7 days"),
])
def test_default_as_of_and_its_source_in_the_sidebar(messy_db, lang, source, stalled):
    at = _open("followup", {"lang": lang}, "zh-CN" if lang == "zh" else "en-US")
    sidebar = " ".join(_unescape(c.value) for c in at.sidebar.caption)
    assert source in sidebar
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
    assert expected in warnings


def test_an_as_of_inside_the_data_is_not_warned(messy_db):
    at = _open("overview", {"lang": "en", "as_of": "2024-05-01"}, "en-US")
    assert not any("as-of date" in _unescape(w.value) for w in at.warning)
    assert "set by you" in " ".join(_unescape(c.value) for c in at.sidebar.caption)
