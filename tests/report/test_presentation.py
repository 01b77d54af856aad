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


def _open(query: dict):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    at.switch_page("app_pages/presentation.py").run()
    assert not at.exception
    return at


def test_default_period_is_the_last_whole_one(fixture_db):
    # the fixture's as-of is 2024-04-06 (Q01's screening): April is still running, so March opens
    at = _open({"lang": "zh"})
    assert any("2024年3月" in m.value for m in at.markdown)
    assert not any("2024年4月(" in m.value for m in at.markdown)


def test_a_young_period_warns_and_gives_no_advice(fixture_db):
    # April holds Q01 alone (age 4 days at 04-06, median cycle 19 days): young
    at = _open({"lang": "zh", "period": "2024-04"})
    assert any("本期线索尚新" in w.value for w in at.warning)
    for _ in range(8):  # to the last slide, the actions (after sections 1–6 and the win curve / forecast)
        at.button(key="lf_next").click().run()
    shown = " ".join(m.value for m in at.markdown)
    assert "不据此提出改进建议" in shown and "优先改进" not in shown
