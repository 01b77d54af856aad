"""The generated sample dataset: deterministic, internally consistent, and data/sample/ is what the generator makes."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


def _load_generator():
    """data/ is not a package: load data/generate_sample.py by path (it makes the funnel package importable)."""
    name = "generate_sample"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "data" / "generate_sample.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


gs = _load_generator()

from funnel.stages import StageConfig  # noqa: E402  (importable once the generator is loaded)
from funnel.text import clean_person, clean_text  # noqa: E402

# The seed's section 三, written out here independently of the generator.
SEED_HEADERS = [
    "线索编号", "来源渠道", "客户名称", "联系人", "联系方式", "获取时间", "当前阶段", "进入阶段时间", "预计转化时间",
    "销售代表*", "销售经理*", "关键动作记录(时间+内容)", "结果状态(未跟进/跟进中/已成交/已流失)", "转化周期(天)",
    "流失原因(若流失)", "备注",
]
# What real exports add after the seed's 16 (SPEC §2): 金额 (amount) and 流失时间 (lost_at).
EXPORT_HEADERS = SEED_HEADERS + ["金额", "流失时间"]
STAGES = ["acquired", "screening", "discovery", "proposal", "won", "after_sales"]
ORDER = {key: i for i, key in enumerate(STAGES)}


@pytest.fixture(scope="module")
def sample() -> "gs.GeneratedData":
    return gs.generate(gs.SAMPLE_N_LEADS)


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    gs.write_sample(out)
    return out


def _planted(data, problem: str) -> set[str]:
    return set(data.problems.loc[data.problems["problem"] == problem, "lead_id"])


def _sheet(path: Path) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()


def _none(value):
    return None if pd.isna(value) else value


def _cell_date(value) -> pd.Timestamp:
    if isinstance(value, dt.date):  # a real date cell (datetime is a date too)
        return pd.Timestamp(value.year, value.month, value.day)
    if value == "-":
        return pd.NaT
    m = re.fullmatch(r"(\d{4})[-/年](\d{1,2})[-/月](\d{1,2})日?", value)
    assert m, value
    return pd.Timestamp(int(m[1]), int(m[2]), int(m[3]))


# --- determinism -----------------------------------------------------------------------------------------------
def test_generate_is_deterministic():
    a, b = gs.generate(300), gs.generate(300)
    for name in ("leads", "events", "roster", "problems"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    other = gs.generate(300, seed=7)
    assert not other.leads["lead_id"].equals(a.leads["lead_id"]) or not other.events.equals(a.events)


def test_xlsx_bytes_are_deterministic(tmp_path):
    leads = gs.generate(60).leads
    first = gs.write_template_xlsx(leads, tmp_path / "a.xlsx").read_bytes()
    second = gs.write_template_xlsx(leads, tmp_path / "b.xlsx").read_bytes()
    assert first == second


# --- invariants of the frames ----------------------------------------------------------------------------------
def test_columns(sample):
    assert list(sample.leads.columns) == [
        "lead_id", "source", "customer", "contact", "contact_info", "acquired_at", "current_stage", "stage_entered_at",
        "expected_close", "rep", "manager", "status", "cycle_days_reported", "lost_reason", "lost_at", "notes",
        "amount", "actions"]
    assert list(sample.events.columns) == ["lead_id", "stage", "entered_at"]
    assert list(sample.roster.columns) == ["rep", "manager", "team"]
    assert len(sample.roster) == 12 and sample.roster["rep"].is_unique
    assert sample.roster["manager"].nunique() == 3 and set(sample.roster["team"]) == {"华东", "华南", "华北"}


def test_lead_ids_unique_and_shaped(sample):
    leads = sample.leads
    assert leads["lead_id"].is_unique
    prefix = {"行业展会": "展会", "线上广告": "线上", "转介绍": "转介", "官网表单": "官网", "电话营销": "电销", "合作伙伴": "伙伴"}
    for lead_id, source in zip(leads["lead_id"], leads["source"]):
        assert re.fullmatch(rf"{prefix[source]}-2024-\d{{3,}}", lead_id), lead_id
    assert "展会-2024-001" in set(leads["lead_id"])


def test_events_reference_known_leads_and_stages(sample):
    assert set(sample.events["lead_id"]) <= set(sample.leads["lead_id"])
    assert set(sample.events["stage"]) == set(STAGES)
    assert set(sample.leads["current_stage"]) <= set(STAGES)
    assert set(sample.leads["status"]) == {"untouched", "active", "won", "lost"}
    assert sample.events.duplicated().sum() == 0


def test_acquired_event_on_acquired_at_except_planted_cases(sample):
    leads, events = sample.leads, sample.events
    missing = _planted(sample, "missing_acquired_at")
    assert missing and leads.loc[leads["lead_id"].isin(missing), "acquired_at"].isna().all()
    acquired = events[events["stage"] == "acquired"].set_index("lead_id")["entered_at"]
    assert acquired.index.is_unique
    dated = leads[~leads["lead_id"].isin(missing)].set_index("lead_id")["acquired_at"]
    assert dated.notna().all()
    assert acquired.reindex(dated.index).equals(dated)
    assert not set(acquired.index) & missing


def test_events_before_acquisition_are_exactly_the_planted_ones(sample):
    merged = sample.events.merge(sample.leads[["lead_id", "acquired_at"]], on="lead_id")
    early = set(merged.loc[merged["entered_at"] < merged["acquired_at"], "lead_id"])
    planted = _planted(sample, "before_acquisition")
    assert early == planted and len(planted) >= 2
    # one of them is a deal "won" before its lead was acquired
    won_early = merged[(merged["stage"] == "won") & (merged["entered_at"] < merged["acquired_at"])]
    assert len(won_early) >= 1


def test_won_leads_and_reported_cycle(sample):
    leads, events = sample.leads, sample.events
    won = leads[leads["status"] == "won"].set_index("lead_id")
    won_at = events[events["stage"] == "won"].groupby("lead_id")["entered_at"].min()
    assert set(won.index) == set(won_at.index)  # every won lead has a won event, no other lead has one
    assert won["cycle_days_reported"].notna().all()
    assert leads.loc[leads["status"] != "won", "cycle_days_reported"].isna().all()
    computed = (won_at.reindex(won.index) - won["acquired_at"]).dt.days
    gap = (won["cycle_days_reported"].astype("float") - computed).abs()
    mismatch = _planted(sample, "cycle_mismatch")
    assert (gap[list(mismatch)] > 1).all()
    agree = ~won.index.isin(mismatch | _planted(sample, "before_acquisition") | _planted(sample, "missing_acquired_at"))
    assert (gap[agree] == 0).all()


def test_current_stage_is_the_latest_logged_stage(sample):
    last = sample.events.groupby("lead_id").tail(1).set_index("lead_id")
    leads = sample.leads.set_index("lead_id")
    assert (last["stage"] == leads.loc[last.index, "current_stage"]).all()
    assert (last["entered_at"] == leads.loc[last.index, "stage_entered_at"]).all()


def test_status_rules(sample):
    leads = sample.leads
    lost, won = leads[leads["status"] == "lost"], leads[leads["status"] == "won"]
    open_ = leads[leads["status"].isin(["untouched", "active"])]
    assert lost["lost_at"].notna().all() and (lost["lost_at"] >= lost["stage_entered_at"]).all()
    assert lost["lost_reason"].notna().mean() > 0.9  # a few left empty on purpose
    assert open_["lost_at"].isna().all() and open_["lost_reason"].isna().all()
    assert won["lost_at"].isna().all() and won["current_stage"].isin(["won", "after_sales"]).all()
    untouched = leads[leads["status"] == "untouched"]
    assert (untouched["current_stage"] == "acquired").all() and untouched["actions"].isna().all()
    assert leads["stage_entered_at"].notna().all()
    amount = leads["amount"].dropna()
    assert amount.between(50_000, 2_000_000).all() and len(amount) > 0.8 * len(leads)


def test_realistic_shape(sample):
    leads, events = sample.leads, sample.events
    n = len(leads)
    won = (leads["status"] == "won").sum()
    assert 0.08 <= won / n <= 0.14  # overall lead -> won
    # reversal: a lead that entered discovery after proposal
    order = events["stage"].map(ORDER)
    back = (events["lead_id"] == events["lead_id"].shift()) & (order < order.shift())
    assert events.loc[back, "stage"].eq("discovery").sum() >= 5
    # skipped screening: reached discovery without a screening event
    at = events.groupby("stage")["lead_id"].agg(set)
    skipped = at["discovery"] - at["screening"]
    assert len(skipped) >= 5
    # open leads stalled (> 7 days without a stage event before the data's end) and past expected close
    as_of = max(leads["acquired_at"].max(), events["entered_at"].max(), leads["lost_at"].max())
    open_ = leads[leads["status"].isin(["untouched", "active"])]
    assert ((as_of - open_["stage_entered_at"]).dt.days > 7).sum() >= 20
    assert (open_["expected_close"] < as_of).sum() >= 10
    # loss reasons: the canonical seven dominate, messy variants exist
    reasons = leads["lost_reason"].dropna()
    canonical = {"价格超出预算", "决策链不清晰", "竞品优势", "需求不明确", "预算冻结", "联系不上", "交付周期太长"}
    assert reasons.isin(canonical).mean() > 0.8 and "价格太高" in set(reasons)
    assert any(r != r.strip() for r in reasons)
    # sources convert differently; so do reps
    by_source = leads.assign(w=leads["status"] == "won").groupby("source")["w"].mean()
    assert by_source["转介绍"] > by_source["电话营销"]
    assert 3 <= len(events) / n <= 4.5


def test_actions_text(sample):
    actions = sample.leads["actions"].dropna()
    assert len(actions) > 0.9 * len(sample.leads)
    for text in actions.head(200):
        for part in text.split(";"):
            assert re.fullmatch(r"\d\d-\d\d\S.*", part), part


# --- the files -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", [gs.STAGE_LOG_CSV, gs.ROSTER_CSV])
def test_sample_csv_files_are_current(written, name):
    assert (SAMPLE / name).read_bytes() == (written / name).read_bytes(), f"run python data/generate_sample.py ({name})"


def test_sample_earlier_export_is_current(written):
    name = gs.EARLIER_TEMPLATE_XLSX.format(month="2024-11")
    assert _sheet(SAMPLE / name) == _sheet(written / name), "run python data/generate_sample.py"
    # imported first on first start (the sample files are imported in name order)
    assert sorted(p.name for p in SAMPLE.glob("*.xlsx")) == [name, gs.TEMPLATE_XLSX]


def test_earlier_export_is_the_leads_as_they_stood(sample):
    cut = gs.earlier_cut(sample)
    assert cut == dt.date(2024, 11, 30)
    before = gs.export_as_of(sample, cut).set_index("lead_id")
    now = sample.leads.set_index("lead_id")
    end = pd.Timestamp("2024-12-01")
    assert (before["acquired_at"].dropna() < end).all()
    assert set(now.index[now["acquired_at"] < end]) <= set(before.index)
    assert (before["stage_entered_at"] < end).all()
    assert (before["lost_at"].dropna() < end).all() and before.loc[before["status"] == "lost", "lost_at"].notna().all()
    # a lead won or lost in December was open at the end of November
    later = now.loc[before.index]
    closed_in_dec = later["status"].isin(["won", "lost"]) & (before["status"].isin(["untouched", "active"]))
    assert closed_in_dec.sum() >= 20
    assert not ((before["status"] == "lost") & (later["status"] != "lost")).any()
    order = {key: i for i, key in enumerate(STAGES)}
    # no lead goes back from won / lost; stages move forward except the planted reversals
    back = before["current_stage"].map(order) > later["current_stage"].map(order)
    assert back.sum() <= 5
    assert (before["amount"] != later["amount"]).sum() >= 10  # some amounts changed since
    assert (before["rep"].fillna("") != later["rep"].fillna("")).sum() >= 5  # some leads reassigned since


def test_sample_xlsx_is_current(written):
    assert _sheet(SAMPLE / gs.TEMPLATE_XLSX) == _sheet(written / gs.TEMPLATE_XLSX), "run python data/generate_sample.py"
    assert (SAMPLE / gs.TEMPLATE_XLSX).stat().st_size < 1_000_000


def test_template_layout_and_cells(sample):
    rows = _sheet(SAMPLE / gs.TEMPLATE_XLSX)
    assert rows[0][0] == "销售线索转化跟踪分析表" and all(v == "" for v in rows[0][1:])
    assert rows[1] == EXPORT_HEADERS
    body = rows[2:]
    leads = sample.leads
    assert len(body) == len(leads)
    config = StageConfig()
    status_zh = {"untouched": "未跟进", "active": "跟进中", "won": "已成交", "lost": "已流失"}
    stage_texts, starred, numbers, date_kinds = set(), 0, 0, set()
    for row, lead in zip(body, leads.itertuples(index=False)):
        assert row[0] == lead.lead_id and row[1] == lead.source
        assert config.resolve(row[6]) == lead.current_stage, row[6]
        stage_texts.add(row[6])
        assert clean_person(row[9]) == _none(lead.rep) and clean_person(row[10]) == _none(lead.manager)
        starred += str(row[9]).endswith("*")
        assert row[12] == status_zh[lead.status]
        if isinstance(row[4], float):  # a phone number stored as a number
            numbers += 1
            assert f"{row[4]:.0f}" == lead.contact_info
        else:
            assert row[4] == (lead.contact_info if isinstance(lead.contact_info, str) else "-")
        for cell, value in ((row[5], lead.acquired_at), (row[7], lead.stage_entered_at), (row[8], lead.expected_close)):
            assert _cell_date(cell) is pd.NaT if pd.isna(value) else _cell_date(cell) == value
            date_kinds.add("cell" if isinstance(cell, dt.date) else re.sub(r"\d", "9", cell)[:5])
        if lead.status == "won":
            assert row[13] == lead.cycle_days_reported
        else:
            assert row[13] == "-"
        assert (row[14] == "-") if not isinstance(lead.lost_reason, str) else row[14] == lead.lost_reason
        assert clean_text(row[11]) == (clean_text(lead.actions) if isinstance(lead.actions, str) else None)
        assert (row[16] == "-") if pd.isna(lead.amount) else row[16] == lead.amount
        assert _cell_date(row[17]) is pd.NaT if pd.isna(lead.lost_at) else _cell_date(row[17]) == lead.lost_at
    assert {"需求挖掘", "方案谈判"} <= stage_texts and any(t != t.strip() for t in stage_texts)
    assert starred > 0.1 * len(body) and numbers > 0.3 * len(body)
    assert {"cell", "9999-", "9999/", "9999年"} <= date_kinds


def test_stage_log_is_gb18030(sample):
    raw = (SAMPLE / gs.STAGE_LOG_CSV).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    log = pd.read_csv(SAMPLE / gs.STAGE_LOG_CSV, encoding="gb18030", dtype=str)
    assert list(log.columns) == ["线索编号", "阶段", "进入时间"]
    config = StageConfig()
    assert log["阶段"].map(config.resolve).tolist() == sample.events["stage"].tolist()
    assert log["线索编号"].tolist() == sample.events["lead_id"].tolist()
    assert pd.to_datetime(log["进入时间"], format="%Y-%m-%d").tolist() == sample.events["entered_at"].tolist()


def test_roster_has_bom(sample):
    raw = (SAMPLE / gs.ROSTER_CSV).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    roster = pd.read_csv(SAMPLE / gs.ROSTER_CSV, encoding="utf-8-sig", dtype=str)
    assert list(roster.columns) == ["销售代表", "销售经理", "团队"] and len(roster) == 12


def test_template_csv_and_cli(tmp_path):
    assert gs.main(["--n-leads", "40", "--out", str(tmp_path)]) == 0
    assert {p.name for p in tmp_path.iterdir()} == {gs.TEMPLATE_XLSX, gs.STAGE_LOG_CSV, gs.ROSTER_CSV,
                                                   gs.EARLIER_TEMPLATE_XLSX.format(month="2024-11")}
    data = gs.generate(40)
    path = gs.write_template_csv(data.leads, tmp_path / "t.csv", title_row=True)
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("销售线索转化跟踪分析表") and lines[1].split(",")[:3] == SEED_HEADERS[:3]
    frame = pd.read_csv(path, encoding="utf-8-sig", skiprows=1, dtype=str, keep_default_na=False)
    assert list(frame.columns) == EXPORT_HEADERS and frame["线索编号"].tolist() == data.leads["lead_id"].tolist()
    timed = gs.generate(40, event_times=True).events
    assert (timed["entered_at"] != timed["entered_at"].dt.normalize()).any()
