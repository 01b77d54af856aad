"""Issue 12: a messy seed-template export (tests/messy_template.py) imported as a new user would.

Reproduces the eleven-month jump of the default as-of date: yearless action dates of a lead whose
acquisition date is unreadable were placed on or after its stage date, so 05-12 and 05-18 landed in 2025.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from funnel.ingest import parse_files
from funnel.stages import StageConfig
from tests.messy_template import AS_OF, LEADS, STALLED, messy_files


def _parsed():
    return parse_files(messy_files(), StageConfig())


def test_messy_template_counts_and_the_one_warning():
    template, log = _parsed()
    # rows 3-13: 8 leads, row 10 without ID, row 9 blank, row 8 a duplicate of row 4
    assert (template.rows_read, template.rows_accepted, template.rows_rejected, template.rows_blank,
            template.rows_duplicate) == (11, LEADS, 1, 1, 1)
    assert list(template.rejects["row_number"]) == [10]
    warnings = template.warnings
    bad = warnings[warnings["raw_value"] == "2024-13-45"]
    assert list(bad["row_number"]) == [7] and list(bad["column_name"]) == ["获取时间"]
    assert log.rows_accepted == 12


def test_yearless_actions_stay_near_the_leads_own_dates():
    template, _ = _parsed()
    acts = template.activities
    lead5 = acts[acts["lead_id"] == "展会-2024-005"].sort_values("at")
    # base is the 2024-05-24 stage date (no acquisition date): 2024 is the nearest year for each action
    assert [d.date() for d in lead5["at"]] == [dt.date(2024, 5, 12), dt.date(2024, 5, 18), dt.date(2024, 5, 24)]
    # nothing lands after the file's latest full date (2024-06-28)
    assert acts["at"].max() <= pd.Timestamp("2024-06-28")


def test_messy_import_default_as_of_and_stalled(tmp_path):
    import funnel.metrics as metrics
    from funnel.metrics.followup import followup_counts
    from funnel.store.db import connect
    from funnel.store.loader import import_files

    con = connect(tmp_path / "messy.duckdb")
    import_files(con, messy_files(), who="test")
    ctx = metrics.resolve_context(con)
    assert ctx.as_of.isoformat() == AS_OF
    assert followup_counts(con, ctx)["stalled"] == STALLED


def test_a_date_far_outside_the_rest_is_a_warning_and_kept():
    # the messy sheet with 官网-2024-006's 获取时间 typed 2042-04-10: the other leads' dates span
    # 2024-03-01 .. 2024-06-28 (5+ leads, m = 1), 2042 is decades beyond -> warned on row 11, kept
    from openpyxl import load_workbook
    import io
    from tests.messy_template import messy_template_xlsx

    book = load_workbook(io.BytesIO(messy_template_xlsx()))
    sheet = book.active
    assert sheet["A11"].value == "官网-2024-006"
    sheet["F11"] = "2042-04-10"
    out = io.BytesIO()
    book.save(out)
    (parsed,) = parse_files([("typo.xlsx", out.getvalue())], StageConfig())
    far = parsed.warnings[parsed.warnings["problem"].str.contains("far outside")]
    # its yearless actions 04-12 / 04-20 follow the acquisition date into 2042: warned as well
    assert list(zip(far["row_number"], far["column_name"], far["raw_value"])) == [
        (11, "获取时间", "2042-04-10"), (11, "关键动作记录(时间+内容)", "2042-04-12 电话"),
        (11, "关键动作记录(时间+内容)", "2042-04-20 筛选通过")]
    lead = parsed.leads.set_index("lead_id").loc["官网-2024-006"]
    assert lead["acquired_at"] == pd.Timestamp("2042-04-10")  # kept as written


def test_the_clean_messy_sheet_has_no_far_dates():
    template, log = _parsed()
    assert not template.warnings["problem"].str.contains("far outside").any()
    assert not log.warnings["problem"].str.contains("far outside").any() if len(log.warnings) else True
