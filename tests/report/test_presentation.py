"""Presentation mode (app_pages/presentation.py) through the real app: title slide, prev / next, every section,
no widgets besides the two buttons, user text shown literally."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def fixture_db(tmp_path, monkeypatch):
    from report_data import make_store

    path = tmp_path / "p.duckdb"
    con = make_store(path)
    con.close()
    monkeypatch.setenv("LEAD_FUNNEL_DB", str(path))
    monkeypatch.setenv("LEAD_FUNNEL_NO_SAMPLE", "1")
    monkeypatch.setenv("LEAD_FUNNEL_SHARED_DIR", str(tmp_path / "shared"))
    (tmp_path / "shared").mkdir()
    return path


def test_slides_step_through_the_report(fixture_db):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["period"] = "2024-03"
    at.query_params["lang"] = "zh"
    at.run()
    at.switch_page("app_pages/presentation.py").run()
    assert not at.exception
    assert "线索转化分析报告" in at.markdown[0].value or any("线索转化分析报告" in m.value for m in at.markdown)
    buttons = [b for b in at.button if b.key in ("lf_prev", "lf_next")]
    assert len(buttons) == 2 and len(at.button) == 2
    titles = []
    for _ in range(7):
        at.button(key="lf_next").click().run()
        assert not at.exception
        titles.append(next(m.value for m in at.markdown if m.value.startswith("## ")))
    assert [t.split(" ", 2)[1] for t in titles] == ["1\\.", "2\\.", "3\\.", "4\\.", "5\\.", "6\\.", "7\\."] or \
        [t.split(" ")[1] for t in titles] == ["1.", "2.", "3.", "4.", "5.", "6.", "7."]
    # the hostile rep name arrives escaped (literal text), never as markup
    assert not any("<img src=x" in m.value for m in at.markdown)
    at.button(key="lf_prev").click().run()
    assert not at.exception
