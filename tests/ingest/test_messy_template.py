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
    from funnel.metrics.followup import stalled_count
    from funnel.store.db import connect
    from funnel.store.loader import import_files

    con = connect(tmp_path / "messy.duckdb")
    import_files(con, messy_files(), who="test")
    ctx = metrics.resolve_context(con)
    assert ctx.as_of.isoformat() == AS_OF
    assert stalled_count(con, ctx) == STALLED
