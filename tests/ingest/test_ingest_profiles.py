"""Mapping profiles (TOML): load/save round trip, mapped columns, constants, stage/status maps, conditional
fields and events; the shipped Olist and Maven profiles on the real datasets."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from funnel.ingest import load_profile, parse_files, save_profile
from ingest_helpers import check_counts, csv_text, parse, stages, write  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
DATASETS = REPO / ".." / "shared" / "datasets"
PROFILES = REPO / "data" / "profiles"

CRM_PROFILE = """
name = "crm"
[[files]]
match = "deals*.csv"
format = "template"
[files.columns]
"Deal No" = "lead_id"
Phase = ["current_stage", "status"]
Opened = "acquired_at"
[files.constants]
source = "Webinar"
[files.stages]
Qualify = "screening"
Closed = "won"
[files.statuses]
Qualify = "active"
Closed = "won"
[[files.events]]
column = "Closed On"
stage = "won"
when = { Phase = ["Closed"] }
"""


def test_profile_round_trip(tmp_path):
    path = tmp_path / "crm.toml"
    path.write_text(CRM_PROFILE, encoding="utf-8")
    profile = load_profile(path)
    save_profile(profile, tmp_path / "again.toml")
    assert load_profile(tmp_path / "again.toml") == profile
    assert profile.for_file("Deals-2024.CSV") is not None and profile.for_file("other.csv") is None


def test_mapped_file(stages, write, tmp_path):
    (tmp_path / "crm.toml").write_text(CRM_PROFILE, encoding="utf-8")
    profile = load_profile(tmp_path / "crm.toml")
    rows = [["Deal No", "Phase", "Opened", "Closed On"], ["D1", "Qualify", "2024-01-05", ""],
            ["D2", "Closed", "2024-01-06", "2024-02-01"]]
    [p] = parse_files([write("deals.csv", csv_text(rows))], stages, profile)
    check_counts(p)
    assert p.leads["current_stage"].tolist() == ["screening", "won"]
    assert p.leads["status_reported"].tolist() == ["active", "won"]
    assert p.leads["source"].tolist() == ["Webinar", "Webinar"]
    # template events: D1 acquired + screening (undated); D2 acquired, 3 undated stages, won (undated from the
    # row, no 进入阶段时间) + the rule's dated won event at Closed On
    won = p.events[(p.events["lead_id"] == "D2") & (p.events["stage"] == "won")]["entered_at"]
    assert won.isna().sum() == 1 and won.dropna().tolist() == [pd.Timestamp("2024-02-01")]
    # two events of D2 at won: not marked as one per lead and stage (the store de-duplicates them itself)
    assert not p.events_once()


def _dataset(*parts: str) -> Path:
    path = DATASETS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"dataset {path} not present")
    return path


@pytest.mark.datasets
def test_olist_profile(stages):
    mql = _dataset("olist-marketing-funnel", "olist_marketing_qualified_leads_dataset.csv")
    deals = _dataset("olist-marketing-funnel", "olist_closed_deals_dataset.csv")
    leads, won = parse_files([mql, deals], stages, load_profile(PROFILES / "olist.toml"))
    for p in (leads, won):
        check_counts(p)
        assert p.rows_rejected == 0 and len(p.warnings) == 0
    assert len(leads.leads) == 8000 and leads.leads["acquired_at"].notna().all()
    # 60 empty origins stay empty; 1,099 literal 'unknown' stay 'unknown'
    assert leads.leads["source"].isna().sum() == 60 and (leads.leads["source"] == "unknown").sum() == 1099
    assert (leads.events["stage"] == "acquired").sum() == 8000
    assert len(won.events) == 842 and set(won.events["stage"]) == {"won"} and won.events["entered_at"].notna().all()
    assert set(won.leads["status_reported"]) == {"won"} and won.leads["rep"].nunique() == 22
    assert set(won.leads["lead_id"]) <= set(leads.leads["lead_id"])


@pytest.mark.datasets
def test_maven_profile(stages):
    pipeline = _dataset("maven-crm", "sales_pipeline.csv")
    teams = _dataset("maven-crm", "sales_teams.csv")
    deals, roster = parse_files([pipeline, teams], stages, load_profile(PROFILES / "maven.toml"))
    check_counts(deals)
    check_counts(roster)
    leads = deals.leads
    assert len(leads) == 8800 and leads["acquired_at"].isna().sum() == 500  # the 500 Prospecting deals
    assert leads["status_reported"].value_counts().to_dict() == {"won": 4238, "lost": 2473, "active": 2089}
    assert leads["current_stage"].value_counts().to_dict() == {"won": 4238, "screening": 4062, "acquired": 500}
    assert leads["lost_at"].notna().sum() == 2473 and leads["amount"].notna().sum() == 4238
    dated_won = deals.events[(deals.events["stage"] == "won") & deals.events["entered_at"].notna()]
    assert len(dated_won) == 4238
    assert len(roster.roster) == 35 and roster.roster["team"].nunique() == 3
    assert roster.roster["manager"].nunique() == 6


def test_maven_style_crlf_copy(stages, write):
    """Public copies with CRLF line endings parse the same."""
    text = ("opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\r\n"
            "1C1I7A6R,Moses Frase,GTX Plus Basic,Cancity,Won,2016-10-20,2017-03-01,1054\r\n"
            "ZZZ,Moses Frase,GTXPro,,Lost,2016-10-21,2017-03-02,0\r\n")
    [p] = parse_files([write("sales_pipeline.csv", text)], stages, load_profile(PROFILES / "maven.toml"))
    check_counts(p)
    assert p.leads["amount"].tolist()[0] == 1054.0 and pd.isna(p.leads["amount"].tolist()[1])
    assert p.leads["lost_at"].tolist()[1] == pd.Timestamp("2017-03-02")
