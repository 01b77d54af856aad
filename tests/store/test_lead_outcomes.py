"""Import outcomes in a manager's terms (issue 12): new / changed / unchanged leads, rejects once per content,
a header-only file is not a success."""

from __future__ import annotations

import io

import pandas as pd

from funnel.store.db import connect
from funnel.store.loader import import_files
from funnel.store.queries import imports_history, rejects_of
from tests.messy_template import LEADS, messy_files, messy_template_xlsx


def _gbk_csv_of_the_sheet() -> bytes:
    """The messy sheet saved as CSV by Chinese Excel: GBK, same title row, same cells."""
    from openpyxl import load_workbook

    import csv

    sheet = load_workbook(io.BytesIO(messy_template_xlsx())).active
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in sheet.iter_rows(values_only=True):
        writer.writerow(["" if v is None else str(v) for v in row])
    return out.getvalue().encode("gbk")


def test_first_import_then_a_re_export_of_the_same_sheet(tmp_path):
    con = connect(tmp_path / "o.duckdb")
    first = import_files(con, messy_files(), who="t")
    # 8 leads in the sheet, all new; the stage log only names leads of the sheet
    assert (first.leads.new, first.leads.changed, first.leads.unchanged) == (LEADS, 0, 0)
    again = import_files(con, [("线索跟踪表.csv", _gbk_csv_of_the_sheet())], who="t")
    assert not again.all_unchanged  # another file (another sha256) ...
    # ... with the same content: "8 leads: 0 new, 0 changed, 8 unchanged"
    assert (again.leads.new, again.leads.changed, again.leads.unchanged) == (0, 0, LEADS)
    # the ID-less row was rejected by both imports: listed once
    assert len(rejects_of(con)) == 1 and len(con.execute("select * from rejects").fetchall()) == 2


def test_a_newer_export_changes_some_leads(tmp_path):
    con = connect(tmp_path / "o.duckdb")
    import_files(con, messy_files(), who="t")
    text = _gbk_csv_of_the_sheet().decode("gbk")
    # 转介绍-2024-008 moves on (new action), 官网-2024-006's row is dropped, 新-2024-009 arrives
    text = text.replace("06-05 拜访;06-20 筛选", "06-05 拜访;06-20 筛选;06-27 报价")
    assert "06-27 报价" in text
    lines = [ln for ln in text.splitlines() if not ln.startswith("官网-2024-006")]
    lines.append("新-2024-009,官网,癸公司,,,2024-06-27,线索获取,2024-06-27,,李明,王芳,,未跟进,,,")
    report = import_files(con, [("线索跟踪表-7月.csv", ("\n".join(lines) + "\n").encode("gbk"))], who="t")
    # 7 leads in the file: 1 new (009), 1 changed (008's action), 6 unchanged... minus 006 (not in the file)
    assert (report.leads.new, report.leads.changed, report.leads.unchanged) == (1, 1, LEADS - 2)


def test_a_header_only_file_is_not_a_success(tmp_path):
    con = connect(tmp_path / "o.duckdb")
    header = "线索编号,来源渠道,客户名称,获取时间,当前阶段\n".encode("utf-8")
    report = import_files(con, [("空.csv", header)], who="t")
    assert report.no_data and report.rows_accepted == 0 and not report.import_ids
    assert imports_history(con).empty  # not recorded: importing it again later is not "nothing changed"
    assert report.leads.leads == 0


def test_reimport_with_a_header_only_file_beside_changes_nothing(tmp_path):
    # the fuzz test's case: a header-only roster and an event log, imported twice
    con = connect(tmp_path / "o.duckdb")
    files = [("r.csv", b"rep,manager\n"), ("e.csv", "lead_id,stage,entered_at\nL1,线索获取,2009-01-18\n".encode())]
    first = import_files(con, files, who="t")
    assert not first.all_unchanged and first.leads.new == 1
    again = import_files(con, files, who="t")
    assert again.all_unchanged and not again.import_ids
