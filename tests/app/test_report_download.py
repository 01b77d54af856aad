"""The report downloads on the Overview (app_pages/_report_download.py): the files are the ones
``python -m funnel report`` writes for the same period and filter, and they are real HTML / XLSX / PDF.

AppTest registers a deferred download's callable with the media file manager of its mock runtime and drops
that runtime after the run; the ``files`` fixture keeps the manager so the test can click through to the
file as the browser would (``execute_deferred`` then read the stored bytes)."""

from __future__ import annotations

import io
import re

import pytest
from app_helpers import new_app


@pytest.fixture
def managers(monkeypatch):
    import streamlit.testing.v1.app_test as app_test

    made = []
    real = app_test.MediaFileManager

    def keep(storage):
        mgr = real(storage)
        made.append(mgr)
        return mgr

    monkeypatch.setattr(app_test, "MediaFileManager", keep)
    return made


def _file_name(managers, button) -> str:
    file_id = button.proto.deferred_file_id
    mgr = next(m for m in reversed(managers) if file_id in m._deferred_callables)
    return mgr._deferred_callables[file_id]["filename"]


def _download(managers, button) -> bytes:
    file_id = button.proto.deferred_file_id
    assert file_id, "the report is built on click (deferred), not on every rerun"
    mgr = next(m for m in reversed(managers) if file_id in m._deferred_callables)
    url = mgr.execute_deferred(file_id)
    stored = mgr._storage.get_file(url.rsplit("/", 1)[-1].split(".")[0])
    return stored.content


def test_overview_offers_the_report_of_the_last_whole_period(sample_db, app_env, managers):
    app_env(sample_db)
    at = new_app(query={"lang": "zh"})
    at.run()
    assert not at.exception
    picker = at.selectbox(key="lf_report_period")
    # the sample's as-of is 2024-12-31: December is whole and opens; the list runs back to January
    assert picker.value == "2024-12" and picker.options[0] == "2024年12月" and picker.options[-1] == "2024年1月"
    buttons = {b.key: b for b in at.get("download_button")}
    assert _file_name(managers, buttons["lf_report_pdf"]) == "线索转化分析报告_2024-12.pdf"
    html = _download(managers, buttons["lf_report_html"]).decode("utf-8")
    assert html.lstrip().lower().startswith("<!doctype html") and "线索转化分析报告" in html and "2024年12月" in html
    # December's leads are young at the as-of date: the file says so and gives no improvement advice
    assert "本期线索尚新" in html and "优先改进" not in html
    pdf = _download(managers, buttons["lf_report_pdf"])
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


def test_the_files_follow_the_picked_period_and_the_sidebar_filter(sample_db, app_env, managers):
    import datetime as dt

    from openpyxl import load_workbook

    import funnel.metrics as metrics
    from funnel.metrics.context import FunnelFilter
    from funnel.store.db import connect
    from funnel.store.queries import filter_options

    app_env(sample_db)
    con = connect(sample_db)
    source = filter_options(con)["sources"][0]
    at = new_app(query={"lang": "en", "source": source}, locale="en-US")
    at.run()
    at.selectbox(key="lf_report_period").set_value("2024-03").run()
    assert not at.exception
    button = next(b for b in at.get("download_button") if b.key == "lf_report_xlsx")
    assert _file_name(managers, button) == "lead-conversion-report_2024-03.xlsx"
    data = _download(managers, button)
    book = load_workbook(io.BytesIO(data))
    cells = [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    # the March cohort of that source, as the metrics count it
    ctx = metrics.resolve_context(con, FunnelFilter(dt.date(2024, 3, 1), dt.date(2024, 3, 31), sources=(source,)))
    leads = metrics.cohort_summary(con, ctx)["leads"]
    assert any(re.search(source, c) for c in cells)
    assert "March 2024" in " ".join(cells)
    headline = book.worksheets[0]
    values = [row for row in headline.iter_rows(values_only=True)]
    assert any(r and "New leads" in [str(x) for x in r] and leads in r for r in values), values[:15]
