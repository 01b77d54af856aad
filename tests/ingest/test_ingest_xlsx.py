"""XLSX: any sheet, title rows, merged header cells, numbers as text, date cells and serials (1900/1904),
formulas without saved values, WPS-style A1:A1 dimension, and files that are not usable XLSX."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import openpyxl
import pandas as pd
import pytest

from funnel.ingest import ImportError_
from ingest_helpers import SEED_ROW, TEMPLATE_HEADER, parse, stages, write  # noqa: F401


def xlsx_bytes(build, epoch_1904: bool = False) -> bytes:
    wb = openpyxl.Workbook()
    build(wb)
    if epoch_1904:
        wb.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def seed_sheet(wb):
    """Sheet 1 is a note; sheet 2 has a merged title row, then the template header, then two leads."""
    wb.active.title = "说明"
    wb.active["A1"] = "本表用于线索跟踪"
    ws = wb.create_sheet("线索")
    ws["A1"] = "销售线索转化跟踪分析表"
    ws.merge_cells("A1:P1")
    ws.append(TEMPLATE_HEADER)
    row = list(SEED_ROW)
    row[4] = 13800138000          # a phone number stored as a number
    row[5] = dt.datetime(2024, 3, 1)
    row[7] = 45356                # an unformatted serial in a date column: 2024-03-05
    ws.append(row)
    ws.append(["展会-2024-002", "转介绍", "B公司", "李总", None, dt.date(2024, 3, 2), "成交", "2024/4/1",
               None, "李明", "王芳", None, "已成交", 30, None, None])


def test_title_row_other_sheet_numbers_and_dates(parse):
    p = parse(("leads.xlsx", xlsx_bytes(seed_sheet)))
    assert p.rows_read == 2 and p.rows_accepted == 2
    first = p.leads.iloc[0]
    assert first["contact_info"] == "13800138000"  # never 1.38e10 or 13800138000.0
    assert first["acquired_at"] == pd.Timestamp("2024-03-01")
    assert first["stage_entered_at"] == pd.Timestamp("2024-03-05")  # 1899-12-30 + 45356 days
    assert p.leads["cycle_days_reported"].tolist()[1] == 30.0
    assert any("'线索'" in n for n in p.notes) and any("header found on row 2" in n for n in p.notes)
    # row numbers as seen in Excel: title row 1, header row 2, data rows 3 and 4
    assert p.activities["lead_id"].tolist() == ["展会-2024-001"] * 2


def test_1904_workbook_serial_in_date_column(parse):
    def build(wb):
        ws = wb.active
        ws.append(["线索编号", "获取时间", "进入阶段时间"])
        ws.append(["L1", dt.datetime(2024, 3, 1), 43890])  # 1904 serial 43890 = 1904-01-01 + 43890 d = 2024-03-01
    p = parse(("mac.xlsx", xlsx_bytes(build, epoch_1904=True)))
    lead = p.leads.iloc[0]
    assert lead["acquired_at"] == pd.Timestamp("2024-03-01")
    assert lead["stage_entered_at"] == pd.Timestamp("2024-03-01")
    assert any("1904" in n for n in p.notes)


def test_merged_group_header_over_sub_headers(parse):
    def build(wb):
        ws = wb.active
        ws.append(["线索编号", "客户信息", None, "获取时间"])
        ws.append([None, "客户名称", "联系方式", None])
        ws.merge_cells("A1:A2")
        ws.merge_cells("B1:C1")
        ws.merge_cells("D1:D2")
        ws.append(["L1", "A公司", "010-12345678", "2024-03-01"])
    p = parse(("merged.xlsx", xlsx_bytes(build)))
    lead = p.leads.iloc[0]
    assert (lead["lead_id"], lead["customer"], lead["contact_info"]) == ("L1", "A公司", "010-12345678")
    assert lead["acquired_at"] == pd.Timestamp("2024-03-01")
    assert p.rows_read == 1


def test_empty_merged_cells_right_of_and_below_the_data(parse):
    # Merged but empty ranges outside the cells with values (a formatted area beside the table, a merged footer
    # line): calamine's grid ends at the last value, so the ranges start outside it. They change nothing; the
    # import used to stop with an IndexError.
    def build(wb):
        ws = wb.active
        ws.append(["线索跟踪表"])
        ws.merge_cells("A1:C1")
        ws.merge_cells("F1:H1")  # empty, right of the data
        ws.append(["线索编号", "客户名称", "获取时间"])
        ws.append(["L1", "A公司", "2024-03-01"])
        ws.merge_cells("A6:C6")  # empty, below the data
    p = parse(("merged_outside.xlsx", xlsx_bytes(build)))
    lead = p.leads.iloc[0]
    assert (lead["lead_id"], lead["customer"]) == ("L1", "A公司")
    assert lead["acquired_at"] == pd.Timestamp("2024-03-01")
    assert p.rows_read == 1 and p.warnings.empty and p.rejects.empty


def test_formula_without_cached_value_is_empty_and_warned(parse):
    def build(wb):
        ws = wb.active
        ws.append(["线索编号", "金额"])
        ws.append(["L1", "=1+2"])        # openpyxl saves no cached result
    p = parse(("f.xlsx", xlsx_bytes(build)))
    assert pd.isna(p.leads["amount"].iloc[0])
    assert p.warnings["problem"].str.contains("formula").tolist() == [True]
    assert p.warnings["row_number"].tolist() == [2]


def test_formula_scan_finds_a_tag_split_across_inflated_chunks(monkeypatch):
    from funnel.ingest import xlsx

    def build(wb):
        ws = wb.active
        ws.append(["线索编号", "金额", "备注"])
        for i in range(30):
            ws.append([f"L{i}", "=1+2" if i in (7, 23) else i, "x" * (i % 5)])
    data = xlsx_bytes(build)
    part = "xl/worksheets/sheet1.xml"
    whole = xlsx._missing_formula_cells(data, part)
    assert whole == {(8, 1), (24, 1)}
    for size in (1, 2, 3, 7, 64):  # every split of "<f" between two chunks occurs at some size
        monkeypatch.setattr(xlsx, "_CHUNK_BYTES", size)
        assert xlsx._missing_formula_cells(data, part) == whole


def test_wps_dimension_a1_still_reads_all_cells(parse):
    def build(wb):
        ws = wb.active
        ws.append(["线索编号", "客户名称"])
        for i in range(5):
            ws.append([f"L{i}", f"C{i}"])
    data = xlsx_bytes(build)
    zin, buf = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zout:
        for name in zin.namelist():
            part = zin.read(name)
            if name.startswith("xl/worksheets/"):
                part = re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:A1"', part)
            zout.writestr(name, part)
    p = parse(("wps.xlsx", buf.getvalue()))
    assert p.rows_accepted == 5 and p.leads["customer"].tolist()[-1] == "C4"


def test_blank_rows_and_total_row_in_xlsx(parse):
    def build(wb):
        ws = wb.active
        ws.append(["线索编号", "客户名称", "金额"])
        ws.append(["L1", "A", 100])
        ws.append([None, None, None])
        ws.append(["L2", "B", 200])
        ws.append(["总计", None, 300])
    p = parse(("total.xlsx", xlsx_bytes(build)))
    # 4 data rows: 2 leads, 1 blank, 1 totals row (counted with the blank rows)
    assert (p.rows_read, p.rows_accepted, p.rows_blank) == (4, 2, 2)
    assert p.leads["amount"].tolist() == [100.0, 200.0]


@pytest.mark.parametrize("name,data,message", [
    ("broken.xlsx", b"PK\x03\x04" + b"garbage" * 20, "damaged"),
    ("locked.xlsx", bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 64 + "EncryptionInfo".encode("utf-16-le")
     + b"\0" * 64, "password-protected"),
    ("old.xlsx", bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 64 + "Workbook".encode("utf-16-le") + b"\0" * 64,
     ".xls"),
    ("text.xlsx", "线索编号\nL1\n".encode("utf-8"), "not one"),
])
def test_unusable_workbooks_are_clear_errors(parse, name, data, message):
    with pytest.raises(ImportError_) as err:
        parse((name, data))
    assert name in str(err.value) and message in str(err.value)


def test_workbook_without_known_header(parse):
    def build(wb):
        wb.active.append(["Kundennummer", "Kunde"])
        wb.active.append(["1", "A"])
    with pytest.raises(ImportError_, match="mapping profile"):
        parse(("de.xlsx", xlsx_bytes(build)))
