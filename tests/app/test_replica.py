"""A read-only replica (LEAD_FUNNEL_ROLE=reader, as scripts/serve.sh starts them): it reads the newest
published copy while the writer holds the database, and shows an import on its next rerun."""

from __future__ import annotations

import pytest
from app_helpers import new_app

from funnel.i18n import t



def _leads_tile(at) -> int:
    return int({m.label: m.value for m in at.metric}["线索数"].replace(",", ""))


def test_replica_reads_the_published_copy_and_shows_an_import_on_the_next_rerun(writable_db, app_env,
                                                                                monkeypatch, tmp_path):
    from funnel.cli import main
    from funnel.store.db import connect
    from funnel.store.loader import import_files

    monkeypatch.delenv("LEAD_FUNNEL_PUBLISH_DIR", raising=False)
    assert main(["publish", "--db", str(writable_db)]) == 0
    app_env(writable_db)
    monkeypatch.setenv("LEAD_FUNNEL_ROLE", "reader")

    writer = connect(writable_db)  # the writer holds the file read-write for the whole test
    try:
        import datetime as dt

        import funnel.metrics as metrics
        from funnel.metrics.context import FunnelFilter

        march = FunnelFilter(date_from=dt.date(2024, 3, 1), date_to=dt.date(2024, 3, 31))
        before = metrics.cohort_summary(writer, metrics.resolve_context(writer, march))["leads"]
        at = new_app(query={"from": "2024-03-01", "to": "2024-03-31"}, locale="zh-CN")
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        busy = t("store_busy", "zh")
        assert not [w.value for w in at.warning if w.value == busy]  # no "database busy"
        assert _leads_tile(at) == before

        new_lead = tmp_path / "one_more.csv"
        new_lead.write_text("线索编号,来源渠道,获取时间,当前阶段,销售代表\n"
                            "REPLICA-1,官网,2024-03-05,线索获取,李明\n", encoding="utf-8")
        report = import_files(writer, [new_lead], who="test")  # commits, then publishes
        assert report.rows_accepted == 1

        at.run()  # the next rerun: no restart
        assert not at.exception, [e.value for e in at.exception]
        assert _leads_tile(at) == before + 1
    finally:
        writer.close()


def test_writer_page_links_to_the_writer(monkeypatch):
    from streamlit.testing.v1 import AppTest

    from app_pages import _page

    def script():
        import streamlit as st

        from app_pages import _page, _store

        _page.writer_page("data")()
        st.caption(_store.writer_url())

    # No sidebar in this test: the page header only needs the language (restored after the test).
    monkeypatch.setattr(_page, "page_header", lambda key: type("V", (), {"lang": "en"})())
    monkeypatch.setenv("LEAD_FUNNEL_WRITER_URL", "http://writer.example/admin/")
    at = AppTest.from_function(script, default_timeout=30)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "opens on the writer" in at.info[0].value
    assert at.caption[0].value == "http://writer.example/admin"
    buttons = at.get("link_button")
    assert buttons and buttons[0].proto.url == "http://writer.example/admin/data"


@pytest.mark.parametrize("role,expected", [("reader", True), ("READER ", True), ("writer", False), ("", False)])
def test_role_from_the_environment(monkeypatch, role, expected):
    from app_pages import _store

    monkeypatch.setenv("LEAD_FUNNEL_ROLE", role)
    assert _store.is_reader() is expected
