"""CSV decoding, separators, quoting, ragged rows, row accounting (blank, totals, duplicates, superseded)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from funnel.ingest import ImportError_
from ingest_helpers import SEED_ROW, TEMPLATE_HEADER, csv_text, parse, stages, write  # noqa: F401


@pytest.mark.parametrize("encoding,prefix", [("utf-8", b""), ("utf-8-sig", b""), ("gbk", b""), ("gb18030", b""),
                                             ("utf-16", b"")])
def test_encodings_decode_to_the_same_lead(parse, write, encoding, prefix):
    text = csv_text([TEMPLATE_HEADER, SEED_ROW])
    p = parse(write(f"seed-{encoding}.csv", prefix + text.encode(encoding)))
    # one data row, accepted; the Chinese cells survive every encoding
    assert (p.rows_read, p.rows_accepted) == (1, 1)
    lead = p.leads.iloc[0]
    assert lead["lead_id"] == "展会-2024-001" and lead["source"] == "行业展会" and lead["rep"] == "李明"
    assert lead["current_stage"] == "discovery"  # 需求挖掘 (short form) -> discovery


def test_utf16_big_endian_with_bom(parse, write):
    text = csv_text([["lead_id", "stage", "entered_at"], ["L1", "成交", "2024-03-01"]])
    p = parse(write("be.csv", b"\xfe\xff" + text.encode("utf-16-be")))
    assert p.format == "events" and p.events["stage"].tolist() == ["won"]


def test_undecodable_file_names_what_was_tried(parse, write):
    with pytest.raises(ImportError_) as err:
        parse(write("bad.csv", b"lead_id,stage\n\x80\xff\x81\xfe\x00\x00"))
    assert "bad.csv" in str(err.value) and "UTF-8" in str(err.value) and "GB18030" in str(err.value)


@pytest.mark.parametrize("sep", [";", "\t", "|", ","])
def test_separators_and_quoted_separators(parse, write, sep):
    rows = [["线索编号", "客户名称", "备注"], ["L1", "A, B; C|D", "x"], ["L2", "E", "y"]]
    p = parse(write("sep.csv", csv_text(rows, sep)))
    assert p.leads["customer"].tolist() == ["A, B; C|D", "E"]


def test_crlf_and_lf_give_the_same_result(parse, write):
    text = csv_text([TEMPLATE_HEADER, SEED_ROW])
    lf = parse(write("lf.csv", text))
    crlf = parse(write("crlf.csv", text.replace("\n", "\r\n")))
    pd.testing.assert_frame_equal(lf.leads, crlf.leads)
    pd.testing.assert_frame_equal(lf.activities, crlf.activities)


def test_ragged_rows_short_padded_long_warned(parse, write):
    text = "线索编号,客户名称,备注\nL1,A\nL2,B,n,EXTRA\nL3,C,z\n"
    p = parse(write("ragged.csv", text))
    # 3 rows: L1 short (padded: 备注 empty), L2 long (extra cell warned), L3 normal
    assert p.rows_accepted == 3
    assert p.leads.set_index("lead_id").loc["L1", "notes"] is None
    extra = p.warnings[p.warnings["raw_value"] == "EXTRA"]
    assert extra["row_number"].tolist() == [3]  # header = row 1, L1 = row 2, L2 = row 3


def test_empty_file_is_a_clear_error(parse, write):
    with pytest.raises(ImportError_, match="empty"):
        parse(write("empty.csv", b""))


def test_header_only_file_gives_zero_rows(parse, write):
    p = parse(write("header.csv", csv_text([TEMPLATE_HEADER])))
    assert (p.rows_read, p.rows_accepted, len(p.leads), len(p.events)) == (0, 0, 0, 0)


def test_file_over_size_limit_refused_before_reading(parse, write):
    path = write("big.csv", "线索编号\n" + "L1\n" * 100)
    with pytest.raises(ImportError_, match="over the limit"):
        parse(path, max_bytes=50)
    with pytest.raises(ImportError_, match="over the limit"):
        parse(("upload.csv", path.read_bytes()), max_bytes=50)


def test_upload_tuple_source(parse):
    p = parse(("upload.csv", csv_text([TEMPLATE_HEADER, SEED_ROW]).encode("utf-8")))
    assert p.file_name == "upload.csv" and p.rows_accepted == 1 and len(p.sha256) == 64


def test_blank_rows_totals_row_and_title_row(parse, write):
    rows = [["销售线索转化跟踪分析表"], TEMPLATE_HEADER, SEED_ROW, [""] * 16,
            ["展会-2024-002"] + SEED_ROW[1:], ["-"] * 16, ["合计"] + [""] * 15]
    p = parse(write("t.csv", csv_text(rows)))
    # 5 data rows after the header (row 2): 2 leads, 2 blank (empty, all '-'), 1 totals row (skipped as blank)
    assert (p.rows_read, p.rows_accepted, p.rows_blank, p.rows_rejected) == (5, 2, 3, 0)
    assert any("totals row" in n and "row 7" in n for n in p.notes)
    assert any("header found on row 2" in n for n in p.notes)


def test_exact_duplicate_counts_once_and_conflict_supersedes(parse, write):
    other = ["展会-2024-001"] + SEED_ROW[1:12] + ["已成交"] + SEED_ROW[13:]
    rows = [TEMPLATE_HEADER, SEED_ROW, SEED_ROW, other, ["", "x"] + [""] * 14]
    p = parse(write("dup.csv", csv_text(rows)))
    # rows 2..5: row 3 is an exact copy of row 2 (duplicate), row 4 has the same ID with another status
    # (it wins, row 2 is superseded), row 5 has no lead ID (rejected)
    assert (p.rows_read, p.rows_accepted, p.rows_duplicate, p.rows_rejected) == (4, 1, 1, 2)
    assert p.leads["status_reported"].tolist() == ["won"]
    reasons = dict(zip(p.rejects["row_number"], p.rejects["reason"]))
    assert reasons[2].startswith("superseded by row 4")
    assert "no lead ID" in reasons[5]
    raw = json.loads(p.rejects.set_index("row_number").loc[2, "raw_values"])
    assert raw["线索编号"] == "展会-2024-001" and raw["结果状态(未跟进/跟进中/已成交/已流失)"] == "跟进中"


def test_duplicate_header_names_keep_first_and_warn(parse, write):
    text = "线索编号,客户名称,Customer,客户名称\nL1,A,B,C\n"
    p = parse(write("duph.csv", text))
    assert p.leads["customer"].tolist() == ["A"]
    assert any("客户名称" in n and "Customer" in n and "first is used" in n for n in p.notes)
    assert len(p.warnings[p.warnings["problem"].str.startswith("duplicate column")]) == 2


def test_unknown_headers_listed_and_foreign_header_refused(parse, write):
    p = parse(write("x.csv", "线索编号,Farbe\nL1,rot\n"))
    assert any("Farbe" in n for n in p.notes)
    with pytest.raises(ImportError_) as err:
        parse(write("de.csv", "Kundennummer,Kunde,Datum\n1,A,2024-01-01\n"))
    assert "lead_id" in str(err.value) and "mapping profile" in str(err.value)
