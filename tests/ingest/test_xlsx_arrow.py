"""The two ways through an XLSX file give the same sheets (funnel/ingest/xlsx.py).

The Arrow way (fastexcel: text per column, a date cell at midnight cut to its date) is taken only where nothing in
the workbook could make its text differ from the exact way's (python-calamine's values through ``cell_text``):
here every workbook is read both ways, the exact one forced by turning the Arrow way off, and the sheets (names,
grids with their dtypes, merged ranges, formulas without a saved value) must be equal, whichever way
``read_workbook`` took. Where a cell could be read otherwise (a boolean, a float Python writes with an exponent,
a time of day, a text that reads like a date at midnight) the workbook must go the exact way.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funnel.ingest import xlsx

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from tests.messy_template import messy_template_xlsx  # noqa: E402


def _both_ways(data: bytes, monkeypatch) -> tuple[xlsx.Workbook, xlsx.Workbook, bool]:
    """(read_workbook as it is, read_workbook the exact way, whether the Arrow way was taken)."""
    taken = []
    real = xlsx._arrow_sheets

    def spy(*args):
        sheets = real(*args)
        taken.append(sheets is not None)
        return sheets

    monkeypatch.setattr(xlsx, "_arrow_sheets", spy)
    book = xlsx.read_workbook(data, "f.xlsx")
    monkeypatch.setattr(xlsx, "_arrow_sheets", lambda *args: None)
    exact = xlsx.read_workbook(data, "f.xlsx")
    monkeypatch.setattr(xlsx, "_arrow_sheets", real)
    return book, exact, bool(taken and taken[0])


def _assert_same(book: xlsx.Workbook, exact: xlsx.Workbook) -> None:
    assert book.date1904 == exact.date1904
    assert [s.name for s in book.sheets] == [s.name for s in exact.sheets]
    for got, want in zip(book.sheets, exact.sheets):
        pd.testing.assert_frame_equal(got.grid, want.grid, obj=got.name)
        assert sorted(got.merged) == sorted(want.merged)
        assert got.missing_formulas == want.missing_formulas


def _xlsxwriter_book(rows: list[list], constant_memory: bool = False, merge: bool = False) -> bytes:
    """rows written cell by cell with their type (dates with a date format, as Excel saves them); constant_memory
    writes text inline in the sheet instead of in the shared strings."""
    buf = io.BytesIO()
    # (in_memory would override constant_memory: shared strings again; without it xlsxwriter uses a temp file)
    book = xlsxwriter.Workbook(buf, {"constant_memory": constant_memory, "in_memory": not constant_memory})
    sheet = book.add_worksheet("线索")
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    stamp_format = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    time_format = book.add_format({"num_format": "hh:mm:ss"})
    elapsed_format = book.add_format({"num_format": "[h]:mm"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, tuple):  # ("date format", a number): what a date column may hold
                sheet.write_number(r, c, value[1], date_format)
            elif isinstance(value, dt.timedelta):
                sheet.write_number(r, c, value / dt.timedelta(days=1), elapsed_format)
            elif isinstance(value, bool):
                sheet.write_boolean(r, c, value)
            elif isinstance(value, dt.datetime):
                sheet.write_datetime(r, c, value, stamp_format)
            elif isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_format)
            elif isinstance(value, dt.time):
                sheet.write_datetime(r, c, value, time_format)
            elif isinstance(value, str):
                sheet.write_string(r, c, value)
            else:
                sheet.write_number(r, c, value)
    if merge and rows:
        sheet.merge_range(len(rows) + 1, 0, len(rows) + 1, 2, "合并")
    book.close()
    return buf.getvalue()


def test_the_bench_like_template_goes_the_arrow_way_and_equals_the_exact_way(monkeypatch):
    # A title row merged over the header, text inline in the sheet, date cells at midnight, phone numbers and
    # amounts as numbers, '-' for empty: the Arrow way is taken and gives the exact way's grid.
    rows = [["销售线索转化跟踪分析表"], ["线索编号", "获取时间", "联系方式", "金额", "备注"]]
    rows += [[f"线上-2024-{i:03d}", dt.date(2024, 1, 1 + i % 28), 13800138000 + i, 251000.0 + i * 0.5, "-"]
             for i in range(200)]
    for inline in (True, False):
        book, exact, arrow = _both_ways(_xlsxwriter_book(rows, constant_memory=inline, merge=True), monkeypatch)
        assert arrow
        _assert_same(book, exact)
        grid = book.sheets[0].grid
        assert grid.iat[2, 1] == "2024-01-01" and grid.iat[2, 2] == "13800138000" and grid.iat[3, 3] == "251000.5"
        assert book.sheets[0].merged == [((203, 0), (203, 2))]  # the row after the one left empty below the data


@pytest.mark.parametrize("build", ["messy template", "sample workbook", "sample workbook 2024-11"])
def test_the_project_workbooks_read_alike_both_ways(monkeypatch, build):
    data = {"messy template": messy_template_xlsx,
            "sample workbook": lambda: (ROOT / "data" / "sample" / "线索跟踪表.xlsx").read_bytes(),
            "sample workbook 2024-11": lambda: (ROOT / "data" / "sample" / "线索跟踪表-2024-11.xlsx").read_bytes()}[build]()
    book, exact, _ = _both_ways(data, monkeypatch)
    _assert_same(book, exact)


def test_openpyxl_workbooks_with_merges_formulas_and_leading_empty_columns(monkeypatch):
    # openpyxl saves formulas without a result (calamine reads them empty, the scan finds them), the data starts in
    # column C and row 3 (the two empty columns to its left are put back), several sheets, a merged range.
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active["B2"] = "本表用于线索跟踪"
    ws = wb.create_sheet("线索")
    ws["C3"], ws["D3"], ws["E3"] = "线索编号", "金额", "获取时间"
    for r in range(4, 30):
        ws.cell(r, 3, f"L{r}")
        ws.cell(r, 4, "=1+2" if r in (7, 11) else r * 1000)
        ws.cell(r, 5, dt.datetime(2024, 3, r))
    ws.merge_cells("C1:E1")
    ws["C1"] = "标题"
    buf = io.BytesIO()
    wb.save(buf)
    book, exact, arrow = _both_ways(buf.getvalue(), monkeypatch)
    assert arrow
    _assert_same(book, exact)
    sheet = book.sheets[1]
    assert sheet.missing_formulas == {(6, 3), (10, 3)} and sheet.merged == [((0, 2), (0, 4))]
    assert sheet.grid.iat[3, 2] == "L4" and sheet.grid.iat[3, 0] == "" and sheet.grid.iat[3, 4] == "2024-03-04"


@pytest.mark.parametrize("cell", [True, 1e16, 1.5e-7, -0.0, dt.time(10, 30), "2024-01-05 00:00:00", "开会 00:00:00", 1 / 3,
                                  "true", dt.datetime(2024, 1, 5, 10, 30, 15, 500000), dt.date(1899, 12, 31)])
@pytest.mark.parametrize("inline", [False, True])
def test_a_cell_the_arrow_way_could_read_otherwise_sends_the_workbook_the_exact_way(monkeypatch, cell, inline):
    if cell == dt.date(1899, 12, 31):  # no such date in Excel's 1900 system: a date Python keeps before 1910
        cell = dt.date(1905, 6, 1)
    rows = [["线索编号", "值"], ["L1", cell], ["L2", dt.date(2024, 1, 5)]]
    book, exact, arrow = _both_ways(_xlsxwriter_book(rows, constant_memory=inline), monkeypatch)
    assert not arrow
    _assert_same(book, exact)


_CELLS = st.one_of(
    st.none(), st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=6),
    st.sampled_from(["中文", "-", "2024-01-05", "2024/1/5", "13800138000", " a ", "0.1"]),
    st.integers(-10**12, 10**12), st.floats(min_value=-1e12, max_value=1e12, allow_nan=False),
    st.sampled_from([0.1, 2.5, 13800138000.0, 1e15 + 0.5, 123456.789, 0.0001]),
    st.dates(min_value=dt.date(1910, 1, 1), max_value=dt.date(9999, 12, 31)),
    st.datetimes(min_value=dt.datetime(1910, 1, 1), max_value=dt.datetime(9999, 12, 31)),
    st.booleans(), st.times(), st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=40000)),
    st.tuples(st.just("date format"), st.sampled_from([13800138000, 20240105, 2958465, 2958466, 45292, 45292.5])))


@given(st.lists(st.lists(_CELLS, min_size=1, max_size=4), min_size=1, max_size=6), st.booleans())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
def test_any_workbook_reads_alike_both_ways(monkeypatch, rows, inline):
    # Whichever way read_workbook takes, its sheets are the exact way's (a time of day or a boolean sends the
    # workbook the exact way; datetimes with fractions of a second too).
    book, exact, _ = _both_ways(_xlsxwriter_book(rows, constant_memory=inline), monkeypatch)
    _assert_same(book, exact)


def _rewrite_sheet(data: bytes, change) -> bytes:
    """The workbook with its first sheet's XML passed through ``change`` (bytes -> bytes)."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            body = zin.read(item.filename)
            zout.writestr(item.filename, change(body) if item.filename == "xl/worksheets/sheet1.xml" else body)
    return out.getvalue()


def _prefixed(xml: bytes) -> bytes:
    """The sheet's elements written with a namespace prefix (x:), as .NET (OpenXML SDK) writers do."""
    import re

    xml = xml.replace(b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
                      b'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"')
    return re.sub(rb"<(/?)(?!\?)([A-Za-z]+)", rb"<\1x:\2", xml)


@pytest.mark.parametrize("case", ["number past 9999 in a date format", "phone number in a date format",
                                  "duration of years", "prefixed sheet XML", "merge in single quotes",
                                  "midnight time behind a character reference"])
def test_what_review_found_goes_the_exact_way(monkeypatch, case):
    # Each of these read otherwise on the Arrow way before the checks that now send the workbook the exact way: a
    # date-formatted number past the year 9999 (+10000-01-01 00:00:00) or far past it (no text at all), an elapsed
    # time of 36530 days (a date in 2000), a sheet whose elements carry a prefix (merges and decimals unseen), a
    # merge in single quotes (lost), inline text "2024-01-05&#32;00:00:00" (cut to its date).
    rows = [["线索编号", "值"], ["L1", "a"]]
    buf = io.BytesIO()
    inline = case.startswith("midnight")  # the text inline in the sheet's XML (constant_memory, no in_memory)
    book = xlsxwriter.Workbook(buf, {"in_memory": not inline, "constant_memory": inline})
    sheet = book.add_worksheet("线索")
    for r, row in enumerate(rows):
        sheet.write_row(r, 0, row)
    if case == "number past 9999 in a date format":
        sheet.write_number(2, 1, 2958466, book.add_format({"num_format": "yyyy-mm-dd"}))
    elif case == "phone number in a date format":
        sheet.write_number(2, 1, 13800138000, book.add_format({"num_format": "yyyy-mm-dd"}))
    elif case == "duration of years":
        sheet.write_number(2, 1, 36530.25, book.add_format({"num_format": "[h]:mm"}))
    elif case == "prefixed sheet XML":
        sheet.merge_range(3, 0, 3, 1, "合并")
        sheet.write_number(2, 1, 0.1234567890123)
    elif case == "merge in single quotes":
        sheet.merge_range(3, 0, 3, 1, "合并")
    else:
        sheet.write_string(2, 1, "2024-01-05 00:00:00")
    book.close()
    data = buf.getvalue()
    if case == "prefixed sheet XML":
        data = _rewrite_sheet(data, _prefixed)
    elif case == "merge in single quotes":
        data = _rewrite_sheet(data, lambda xml: xml.replace(b'<mergeCell ref="A4:B4"/>', b"<mergeCell ref='A4:B4'/>"))
    elif case.startswith("midnight"):
        data = _rewrite_sheet(data, lambda xml: xml.replace(b"2024-01-05 00:00:00", b"2024-01-05&#32;00:00:00"))
    book_read, exact, arrow = _both_ways(data, monkeypatch)
    assert not arrow
    _assert_same(book_read, exact)
    if case == "merge in single quotes":
        assert exact.sheets[0].merged == [((3, 0), (3, 1))]
