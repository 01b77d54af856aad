"""Format detection and the four formats: template events, event log, wide stage dates, roster; several files."""

from __future__ import annotations

import pandas as pd
import pytest

from funnel.ingest import detect_format, parse_files
from ingest_helpers import SEED_ROW, TEMPLATE_HEADER, check_counts, csv_text, parse, stages, write  # noqa: F401

NaT = pd.NaT


@pytest.mark.parametrize("header,expected", [
    (TEMPLATE_HEADER, "template"),
    (["Lead ID", "Source", "Customer", "Phone", "Acquired At", "Stage", "Entered At", "Sales Rep"], "template"),
    (["lead_id", "stage", "entered_at"], "events"),
    (["Lead ID", "Stage", "Entered At", "Sales Rep", "Source"], "events"),
    (["Lead ID", "Source", "Date entered Screening", "Date entered Won", "成交时间"], "wide"),
    (["线索编号", "初步筛选时间", "需求挖掘时间"], "wide"),
    (["Sales Rep", "Manager", "Team"], "roster"),
    (["销售代表", "销售经理"], "roster"),
    (["Farbe", "Größe"], None),
])
def test_detect_format(header, expected):
    assert detect_format(header) == expected


def test_template_events_with_unknown_dates_between(parse, write):
    won = ["展会-2024-002", "转介绍", "B", "", "", "2024-03-02", "售后", "2024-05-01", "", "李明", "王芳", "",
           "已成交", "60", "", ""]
    p = parse(write("t.csv", csv_text([TEMPLATE_HEADER, SEED_ROW, won])))
    ev = p.events
    lead1 = ev[ev["lead_id"] == "展会-2024-001"]
    # acquired 03-01, screening reached on an unknown date, discovery (需求挖掘) entered 03-05
    assert lead1["stage"].tolist() == ["acquired", "screening", "discovery"]
    assert lead1["entered_at"].tolist()[0] == pd.Timestamp("2024-03-01") and pd.isna(lead1["entered_at"].iloc[1])
    lead2 = ev[ev["lead_id"] == "展会-2024-002"]
    # after-sales implies won was reached (stage strictly between), on an unknown date
    assert lead2["stage"].tolist() == ["acquired", "screening", "discovery", "proposal", "won", "after_sales"]
    assert lead2["entered_at"].isna().tolist() == [False, True, True, True, True, False]
    # a template's own events: one per lead row and stage, marked so (the store writes them without a DISTINCT)
    assert p.events_once() and not p.events.duplicated(["lead_id", "stage"]).any()
    assert p.events_of_lead_rows() and set(p.events["lead_id"]) <= set(p.leads["lead_id"])
    p.events = p.events  # a frame assigned anew: not known any more
    assert not p.events_once() and not p.events_of_lead_rows()


def test_event_log_rejects_and_last_attribute_wins(parse, write):
    rows = [["Lead ID", "Stage", "Entered At", "Sales Rep", "Source"],
            ["L1", "线索获取", "2024-03-01", "李明*", "展会"],
            ["L1", "初步筛选", "2024/3/5 10:00", "", "官网"],
            ["L1", "初步筛选", "2024/3/5 10:00", "", "官网"],      # exact duplicate
            ["L2", "火星阶段", "2024-03-02", "王芳", ""],            # unknown stage -> rejected
            ["", "成交", "2024-03-03", "", ""],                      # no lead ID -> rejected
            ["L2", "成交签约", "2024-13-45", "", ""],                # bad date: event kept undated, warned
            ["L1", "需求挖掘", "2024-03-08", "", ""]]                # same lead again: not superseded
    p = parse(write("ev.csv", csv_text(rows)))
    # 7 data rows: 4 accepted events, 2 rejected, 1 duplicate
    assert (p.rows_read, p.rows_accepted, p.rows_rejected, p.rows_duplicate) == (7, 4, 2, 1)
    assert p.events["stage"].tolist() == ["acquired", "screening", "won", "discovery"]
    assert p.events["entered_at"].tolist()[1] == pd.Timestamp("2024-03-05 10:00") and pd.isna(p.events["entered_at"][2])
    reasons = dict(zip(p.rejects["row_number"], p.rejects["reason"]))
    assert "unknown stage '火星阶段'" in reasons[5] and "no lead ID" in reasons[6]
    leads = p.leads.set_index("lead_id")
    # L1: rep from its first row (later rows empty), source from the last non-empty (官网)
    assert (leads.loc["L1", "rep"], leads.loc["L1", "source"]) == ("李明", "官网")
    assert leads.loc["L2", "rep"] is None or leads.loc["L2", "rep"] != "王芳"  # the 王芳 row was rejected
    assert p.warnings[["row_number", "raw_value", "problem"]].values.tolist() == [[7, "2024-13-45", "impossible date"]]
    # every event is a lead row's (the store's first import then looks for no lead only the events name)
    assert p.events_of_lead_rows() and set(p.events["lead_id"]) == set(p.leads["lead_id"])
    p.leads = p.leads
    assert not p.events_of_lead_rows()


def test_wide_stage_dates(parse, write):
    rows = [["Lead ID", "Acquired At", "Date entered Screening", "Date entered Proposal", "成交签约时间"],
            ["W1", "2024-01-02", "2024-01-05", "", "2024-02-01"],
            ["W2", "2024-01-03", "2024-01-09", "2024-01-20", ""]]
    p = parse(write("wide.csv", csv_text(rows)))
    assert p.format == "wide"
    assert not p.events_once() and p.events_of_lead_rows()
    got = sorted((r.lead_id, r.stage, str(r.entered_at.date())) for r in p.events.itertuples())
    # one event per non-empty date column, plus acquired at Acquired At
    assert got == [("W1", "acquired", "2024-01-02"), ("W1", "screening", "2024-01-05"), ("W1", "won", "2024-02-01"),
                   ("W2", "acquired", "2024-01-03"), ("W2", "proposal", "2024-01-20"),
                   ("W2", "screening", "2024-01-09")]


def test_roster(parse, write):
    rows = [["销售代表", "销售经理", "团队"], ["李明*", "王芳", "华东"], ["", "王芳", "华东"], ["赵六", "王芳", "华南"],
            ["李明", "孙七", "华北"]]
    p = parse(write("roster.csv", csv_text(rows)))
    # 4 rows: 2 reps accepted, one without rep, one 李明 superseded by the later 李明 row
    assert (p.format, p.rows_accepted, p.rows_rejected) == ("roster", 2, 2)
    assert p.roster.values.tolist() == [["赵六", "王芳", "华南"], ["李明", "孙七", "华北"]]


def test_three_files_in_one_call(stages, write):
    template = write("leads.csv", csv_text([TEMPLATE_HEADER, SEED_ROW]))
    log = write("log.csv", csv_text([["lead_id", "stage", "entered_at"], ["展会-2024-001", "初步筛选", "2024-03-03"]]))
    roster = write("team.csv", csv_text([["Sales Rep", "Manager", "Team"], ["李明", "王芳", "East"]]))
    results = parse_files([template, log, roster], stages)
    for p in results:
        check_counts(p)
    assert [p.format for p in results] == ["template", "events", "roster"]
    assert [p.file_name for p in results] == ["leads.csv", "log.csv", "team.csv"]
    assert results[1].events["entered_at"].tolist() == [pd.Timestamp("2024-03-03")]
    assert results[2].roster["team"].tolist() == ["East"]


def test_format_forced(parse, write):
    p = parse(write("f.csv", csv_text([["线索编号", "阶段", "进入时间"], ["L1", "成交", "2024-03-01"]])), fmt="template")
    assert p.format == "template" and p.leads["current_stage"].tolist() == ["won"]


def test_required_field_star_in_header_is_ignored():
    # The seed's section 三 writes 销售代表* and 销售经理*: the * marks a required field, not part of the name.
    from funnel.ingest.headers import match_header

    assert (match_header("销售代表*"), match_header("销售经理＊"), match_header(" Sales Rep * ")) == (
        "rep", "manager", "rep")
