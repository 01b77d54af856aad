"""The report: same figures as funnel.metrics, every section in every format, user text inert, numbers
as numbers, an embedded CJK font in the PDF."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from dataclasses import replace
from html.parser import HTMLParser

import pytest

import funnel.metrics as M
from funnel.metrics.context import FunnelFilter
from funnel.report import build_report, report_bytes, run_report, write_report

EVIL_REP = "<img src=x onerror=alert(1)>"  # as in conftest.py
EVIL_REASON = '=HYPERLINK("http://x")'

pytestmark = pytest.mark.skipif(not hasattr(M, "figures"), reason="funnel.metrics not built yet")

SECTIONS = ["headline", "conversion", "cycle", "loss", "team", "followup", "review_bridge", "review_changes",
            "review_attribution", "forecast", "actions"]
NOW = dt.datetime(2024, 4, 10, 9, 0)


@pytest.fixture(scope="module")
def store():
    """The fixture store of conftest.py, built once for this module (every test here only reads)."""
    from report_data import make_store

    con = make_store()
    yield con
    con.close()


@pytest.fixture(scope="module")
def report_zh(store):
    return build_report(store, M.resolve_context(store), period="2024-03", lang="zh", now=NOW)


def _figures(con, flt, start, end, as_of):
    ctx = M.resolve_context(con, replace(flt, date_from=start, date_to=end), as_of=as_of, grain="month")
    return M.figures(con, ctx, list_limit=0)  # the report keeps the numbers, not the lead lists


@pytest.mark.parametrize("flt", [FunnelFilter(), FunnelFilter(sources=("转介绍", "官网"))])
def test_figures_equal_the_metrics_of_the_period_and_the_previous_one(store, flt):
    report = build_report(store, M.resolve_context(store, flt), period="2024-03", lang="en", now=NOW)
    as_of = report.as_of
    expected = _figures(store, flt, dt.date(2024, 3, 1), dt.date(2024, 3, 31), as_of)
    previous = _figures(store, flt, dt.date(2024, 2, 1), dt.date(2024, 2, 29), as_of)
    assert json.dumps(report.figures, sort_keys=True, default=str) == json.dumps(expected, sort_keys=True, default=str)
    assert json.dumps(report.previous_figures, sort_keys=True, default=str) == json.dumps(previous, sort_keys=True,
                                                                                          default=str)
    # the lead lists are left out (every cached presentation report held them whole), their counts are not
    full = M.figures(store, M.resolve_context(store, replace(flt, date_from=dt.date(2024, 3, 1),
                                                             date_to=dt.date(2024, 3, 31)), as_of=as_of, grain="month"))
    for key in ("stalled", "overdue", "past_expected_close"):
        assert report.figures[key] == [] and report.figures[f"{key}_count"] == full[f"{key}_count"] == len(full[key])
    assert report.figures["data_quality"]["items"] == []
    # and the headline tiles are those figures
    kpis = {k.key: k for k in report.section("headline").kpis}
    assert kpis["leads"].value == expected["cohort"]["leads"] and kpis["leads"].previous == previous["cohort"]["leads"]
    assert kpis["overall_conversion"].value == expected["overall_conversion"]
    assert kpis["win_rate"].value == expected["win_rate"]


def test_headline_counts_of_the_fixture(report_zh):
    kpis = {k.key: k for k in report_zh.section("headline").kpis}
    assert kpis["leads"].value == 6 and kpis["leads"].previous == 3      # L01-L06 vs P01-P03
    assert kpis["won"].value == 2                                        # L01, L06
    assert kpis["won_in_period"].value == 2                              # L01 03-20, P01 03-08
    assert kpis["lost_in_period"].value == 3                             # L02, L04, P02
    assert report_zh.as_of == dt.date(2024, 4, 6)                        # latest event: Q01 screening 04-06
    assert report_zh.followup_as_of == dt.date(2024, 3, 31)


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sections, self.tags, self.attrs = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)
        if tag == "section":
            self.sections.append(dict(attrs).get("id"))


def test_html_parses_holds_every_section_and_escapes_user_text(report_zh):
    text = report_bytes(report_zh, "html").decode("utf-8")
    parser = _Collector()
    parser.feed(text)
    assert parser.sections == SECTIONS
    assert "img" in parser.tags  # the charts
    # the only <img> elements are our charts (data: PNGs); the rep name is text, not an element
    assert all(v.startswith("data:image/png;base64,") for k, v in parser.attrs if k == "src")
    assert not any(k == "onerror" for k, _ in parser.attrs)
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "=HYPERLINK(&quot;http://x&quot;)" in text
    assert "<script" not in text and "http://" not in text.replace("http://x", "").replace(
        "http://www.w3.org", "")  # no external resource


def test_xlsx_user_text_is_text_and_numbers_are_numbers(report_zh, tmp_path):
    import openpyxl

    path = write_report(report_zh, tmp_path / "r.xlsx")
    book = openpyxl.load_workbook(path)
    assert len(book.sheetnames) == len(SECTIONS) and book.sheetnames[0].startswith("1 ")
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    evil = [c for c in cells if c.value in (EVIL_REP, EVIL_REASON)]
    assert {c.value for c in evil} == {EVIL_REP, EVIL_REASON}
    assert all(c.data_type == "s" for c in evil)
    assert not [c for c in cells if c.data_type == "f"]  # no formula anywhere
    # the funnel table: reached counts are ints, step conversion a ratio with a % format
    ws = book["2 阶段转化"]
    rows = list(ws.iter_rows(values_only=False))
    header = next(r for r in rows if r[0].value == "阶段" and r[1].value == "到达")
    start = rows.index(header) + 1
    first, second = rows[start], rows[start + 1]
    assert first[1].value == 6 and first[1].data_type == "n"
    assert first[2].value == "—"                                   # no step conversion into the first stage
    assert second[2].data_type == "n" and 0 <= second[2].value <= 1 and "%" in second[2].number_format
    assert ws._images, "the funnel chart is embedded as an image"


def test_pdf_embeds_the_cjk_font_and_renders(report_zh, tmp_path):
    path = write_report(report_zh, tmp_path / "r.pdf")
    data = path.read_bytes()
    assert data.startswith(b"%PDF") and b"WenQuanYi" in data and b"/FontFile2" in data
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "30", "-png", "-f", "1", "-l", "2", str(path), str(tmp_path / "p")],
                       check=True, capture_output=True, timeout=60)
        pages = sorted(tmp_path.glob("p-*.png"))  # p-1.png, or p-01.png once the PDF has 10 pages or more
        assert pages and pages[0].stat().st_size > 2000


def test_pdf_without_cjk_font_fails_loudly(report_zh, monkeypatch):
    from funnel import charts
    from funnel.report import pdf_writer

    monkeypatch.setattr(pdf_writer, "find_cjk_fonts", lambda dirs=charts.FONT_DIRS: [])
    with pytest.raises(charts.CJKFontMissingError, match="fonts-wqy-microhei"):
        report_bytes(report_zh, "pdf")


def test_english_report_and_run_report(store, tmp_path):
    out = run_report(store, M.resolve_context(store), "2024-03", None, "en", tmp_path / "report.html")
    text = out.read_text("utf-8")
    assert "Lead conversion analysis report" in text and "Suggested actions" in text
    with pytest.raises(ValueError, match=r"\.html, \.xlsx or \.pdf"):
        run_report(store, M.resolve_context(store), "2024-03", None, "en", tmp_path / "report.docx")


def test_every_action_names_its_figure(report_zh):
    actions = report_zh.actions
    assert actions and all(a.basis for a in actions)
    assert actions[0].key == "weakest_step"


def test_empty_period_still_makes_a_report(store):
    report = build_report(store, M.resolve_context(store), period="2023-01", lang="zh", now=NOW)
    kpis = {k.key: k for k in report.section("headline").kpis}
    assert kpis["leads"].value == 0 and kpis["overall_conversion"].value is None
    for fmt in ("html", "xlsx", "pdf"):
        assert report_bytes(report, fmt)


def test_frame_rows_converts_column_wise_like_cell_value():
    import numpy as np
    import pandas as pd

    from funnel.report.model import cell_value, frame_rows

    frame = pd.DataFrame({
        "at": pd.to_datetime(["2024-01-02", "2024-01-02 10:11:12", None], format="mixed"),
        "text": pd.Series(["a", None, "中文"], dtype="str"), "mixed": ["x", None, 3],
        "days": [1.5, np.nan, np.inf], "n": [1, 2, 3], "maybe_n": pd.array([1, None, 3], dtype="Int64"),
        "flag": [True, False, True], "maybe_flag": pd.array([True, None, False], dtype="boolean"),
    })
    by_value = [{k: cell_value(v) for k, v in rec.items()} for rec in frame.to_dict("records")]
    rows = frame_rows(frame)
    assert rows == by_value
    assert [[type(v) for v in r.values()] for r in rows] == [[type(v) for v in r.values()] for r in by_value]


def test_cut_for_screen_keeps_the_count_and_drops_the_rows():
    from funnel.report.model import Column, Table

    table = Table("stalled", "Stalled", [Column("lead_id", "Lead", "text")], rows=[{"lead_id": "A"}] * 40,
                  full_rows=[{"lead_id": "A"}] * 76_000)
    assert table.row_count == 76_000
    table.cut_for_screen(10)
    assert (len(table.rows), table.full_rows, table.row_count, len(table.all_rows)) == (10, None, 76_000, 10)


def test_report_with_a_list_limit_keeps_whole_counts(store):
    whole = build_report(store, M.resolve_context(store), period="2024-03", lang="en", now=NOW)
    cut = build_report(store, M.resolve_context(store), period="2024-03", lang="en", now=NOW, list_limit=1)
    assert any(t.row_count > 1 for t in whole.section("followup").tables)  # the limit really cuts a list
    for a, b in zip(whole.section("followup").tables, cut.section("followup").tables):
        assert b.row_count == a.row_count == len(a.all_rows)
        assert b.all_rows == a.all_rows[:1]
    assert [k.value for k in whole.section("followup").kpis] == [k.value for k in cut.section("followup").kpis]
    assert [x.text for x in whole.actions] == [x.text for x in cut.actions]


def test_a_young_period_says_so_and_gives_no_improvement_advice(store):
    # 2024-04 holds only Q01, acquired 04-02: age 4 days at the as-of 04-06. Median cycle of the won leads:
    # L01 19 days (03-01 -> 03-20), L06 16 (03-20 -> 04-05), P01 34 (02-03 -> 03-08) -> 19. 4 < 19: young.
    report = build_report(store, M.resolve_context(store), period="2024-04", lang="zh", now=NOW)
    assert report.maturity == {"leads": 1, "median_age_days": 4.0, "median_cycle_days": 19.0, "young": True}
    headline = report.section("headline")
    assert headline.paragraphs[0].startswith(  # \uff1a \uff0c: full-width ： ，
        "本期线索尚新\uff1a截至 2024-04-06\uff0c其获取天数中位数为 4 天\uff0c低于转化周期中位数 19 天")
    actions = report.section("actions")
    assert "不据此提出改进建议" in actions.paragraphs[0]
    assert {a.key for a in actions.actions} <= {"stalled"}       # nothing from the young cohort
    assert not any("优先改进" in a.text or "纳入销售考核" in a.text for a in report.actions)
    # its win curve is observed to day 4 only (Q01 is 4 days old): the 90- and 180-day shares carry the
    # last observed value on, so they get no arrow against March
    fw = {k.key: k for k in report.section("forecast").kpis if k.key.startswith("fw_")}
    assert set(fw) == {"fw_90", "fw_180"} and all(k.delta is None for k in fw.values())
    # March (median age 29.5 days: 36, 35, 32, 27, 25, 17) is mature and keeps its advice
    assert report_for_march(store).maturity["young"] is False
    assert any(a.key == "weakest_step" for a in report_for_march(store).actions)


def report_for_march(store):
    return build_report(store, M.resolve_context(store), period="2024-03", lang="en", now=NOW)


def test_a_previous_period_outside_the_data_shows_no_change(store):
    # the data starts 2024-02-03: January lies wholly before it, February only partly
    feb = build_report(store, M.resolve_context(store), period="2024-02", lang="en", now=NOW)
    assert feb.previous_coverage == "none"
    assert all(not k.compare and k.delta is None for k in feb.section("headline").kpis)
    assert "The previous period (January 2024) lies before the data starts (2024-02-03)" in \
        " ".join(feb.section("headline").paragraphs)
    html = report_bytes(feb, "html").decode("utf-8")
    assert "lies before the data starts" in html
    march = report_for_march(store)
    assert march.previous_coverage == "partial"
    assert all(k.delta is None for k in march.section("headline").kpis)
    assert "Only part of the previous period (February 2024)" in " ".join(march.section("headline").paragraphs)
    # April's previous period, March, is wholly inside: the change is shown (leads 1 vs 6 -> -5)
    april = build_report(store, M.resolve_context(store), period="2024-04", lang="en", now=NOW)
    assert april.previous_coverage == "full"
    assert {k.key: k.delta for k in april.section("headline").kpis}["leads"] == 1 - 6


def test_review_sections_are_the_review_functions(store, report_zh):
    """SPEC §7.6: the bridge, the changes and the attribution of the report are those of the functions."""
    from funnel.metrics.review_attribution import attribution
    from funnel.metrics.review_bridge import bridge

    ctx = M.resolve_context(store, FunnelFilter(), as_of=report_zh.as_of, grain="month")
    b = bridge(store, ctx, dt.date(2024, 3, 1))
    kpis = {k.key: k.value for k in report_zh.section("review_bridge").kpis}
    assert kpis == {k: b[k] for k in ("open_start", "new", "won", "lost", "open_end")}
    a = attribution(store, ctx, dt.date(2024, 3, 1))
    kpis = {k.key: (k.value, k.previous) for k in report_zh.section("review_attribution").kpis}
    assert kpis["won_w"] == (a["won"], a["won_previous"])
    rows = report_zh.section("review_attribution").tables[0].rows
    assert [r["contribution"] for r in rows] == [f["contribution"] for f in a["factors"]]
    # before / after hold N (a count) and step conversions (ratios) in one column: the ratios read as
    # percentages, as on the Review page (they were formatted as days: 0.512 -> "0.5")
    for row, f in zip(rows, a["factors"]):
        want = f"{f['before'] * 100:.1f}%" if f["factor"] != "leads" else f"{round(f['before']):,}"
        assert row["before"] == want or (f["before"] is None and row["before"] == "—"), (row, f)
    assert [s.number for s in report_zh.sections] == list(range(1, len(SECTIONS) + 1))


def test_forecast_section_equals_the_metric_functions(store, report_zh):
    from funnel.metrics.forecast import backtest, backtest_mae, forecast
    from funnel.metrics.win_curve import win_curve_summary

    section = next(s for s in report_zh.sections if s.key == "forecast")
    ctx = M.resolve_context(store, FunnelFilter(date_from=dt.date(2024, 3, 1), date_to=dt.date(2024, 3, 31)),
                            as_of=report_zh.as_of, grain="month")
    kpis = {k.key: k for k in section.kpis}
    assert kpis["fw_90"].value == win_curve_summary(store, ctx)["cohort"]["90"]
    assert kpis["forecast"].value == forecast(store, ctx)[-1]["expected_wins"]
    assert kpis["mae_model"].value == backtest_mae(backtest(store, ctx))["model"]
    assert {c.key for c in section.charts} >= {"cohort_triangle", "backtest"}
    assert [s.key for s in report_zh.sections][-2:] == ["forecast", "actions"]


def test_loss_by_stage_counts_are_dropped_as_on_the_dashboard(report_zh, store):
    """The leads lost at their furthest stage are 流失于此 / Dropped (SPEC §8), as on the Overview and the
    Loss page; the report's table said 流失 / Lost (found on the walk)."""
    english = build_report(store, M.resolve_context(store), period="2024-03", lang="en")
    for report, word in ((report_zh, "流失于此"), (english, "Dropped")):
        table = next(t for s in report.sections for t in s.tables if t.key == "loss_by_stage")
        assert {c.key: c.header for c in table.columns}["lost"] == word
