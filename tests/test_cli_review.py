"""The command line of SPEC §7.6: metrics --period adds bridge and attribution; changes prints §7.2."""

from __future__ import annotations

import json

import pytest

from funnel.cli import main
from funnel.metrics import FunnelFilter, resolve_context
from funnel.metrics.review_attribution import attribution
from funnel.metrics.review_bridge import bridge
from funnel.store.db import connect

HEADER = "线索编号,来源渠道,客户名称,获取时间,当前阶段,进入阶段时间,预计转化时间,销售代表,结果状态,流失原因,流失时间,金额\n"
MARCH = HEADER + (
    "L1,展会,甲公司,2024-03-01,初步筛选,2024-03-05,2024-04-10,李明,跟进中,,,1000\n"
    "L2,官网,乙公司,2024-03-03,需求深度挖掘,2024-03-20,2024-03-30,王芳,跟进中,,,2000\n"
    "L3,展会,丙公司,2024-03-10,线索获取,2024-03-10,,李明,未跟进,,,\n")
APRIL = HEADER + (
    "L1,展会,甲公司,2024-03-01,方案呈现与谈判,2024-04-08,2024-05-20,李明,跟进中,,,1500\n"
    "L2,官网,乙公司,2024-03-03,需求深度挖掘,2024-03-20,2024-03-30,王芳,已流失,价格,2024-04-12,2000\n"
    "L4,转介绍,丁公司,2024-04-02,线索获取,2024-04-02,,王芳,未跟进,,,300\n")


@pytest.fixture()
def db(tmp_path):
    (tmp_path / "march.csv").write_text(MARCH, encoding="utf-8")
    (tmp_path / "april.csv").write_text(APRIL, encoding="utf-8")
    path = tmp_path / "funnel.duckdb"
    assert main(["import", str(tmp_path / "march.csv"), "--db", str(path)]) == 0
    assert main(["import", str(tmp_path / "april.csv"), "--db", str(path)]) == 0
    return path


def test_changes_json_shape_and_counts(db, capsys):
    capsys.readouterr()
    assert main(["changes", "--db", str(db), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"from", "to", "counts", "amount_change", "leads"} <= set(out)
    assert out["counts"]["appeared"] == 1 and out["leads"]["appeared"] == ["L4"]
    assert out["leads"]["vanished"] == ["L3"] and out["leads"]["advanced"] == ["L1"]
    assert out["leads"]["lost"] == ["L2"] and out["leads"]["close_pushed_out"] == ["L1"]
    assert out["amount_change"] == 500  # L1 1000 -> 1500, L2 2000 -> 2000
    assert all(len(out["leads"][g]) == n for g, n in out["counts"].items())


def test_changes_text_and_explicit_pair(db, capsys):
    capsys.readouterr()
    assert main(["changes", "--db", str(db), "--json"]) == 0
    pair = json.loads(capsys.readouterr().out)
    assert main(["changes", "--db", str(db), "--from", pair["to"], "--to", pair["from"], "--lang", "zh"]) == 0
    text = capsys.readouterr().out
    assert "两次导入对比" in text and "阶段后退" in text
    assert main(["changes", "--db", str(db), "--from", "nope"]) == 1


def test_changes_with_one_import_says_so(tmp_path, capsys):
    (tmp_path / "march.csv").write_text(MARCH, encoding="utf-8")
    path = tmp_path / "one.duckdb"
    assert main(["import", str(tmp_path / "march.csv"), "--db", str(path)]) == 0
    capsys.readouterr()
    assert main(["changes", "--db", str(path)]) == 0
    assert "Only one lead import so far" in capsys.readouterr().out


def test_metrics_json_adds_bridge_and_attribution_of_the_period(db, capsys):
    capsys.readouterr()
    assert main(["metrics", "--db", str(db), "--period", "2024-04", "--json"]) == 0
    figs = json.loads(capsys.readouterr().out)
    assert figs["schema_version"] >= 2
    b = figs["bridge"]
    assert {"period", "start", "end", "open_start", "new", "won", "lost", "open_end", "amount", "n_without_amount",
            "close_estimated", "matrix", "rows"} <= set(b)
    assert b["period"] == "2024-04"
    a = figs["attribution"]
    assert {"period", "previous", "won", "won_previous", "factors", "mix", "median_age_days",
            "median_age_days_previous"} <= set(a)
    assert a["previous"] == "2024-03"
    con = connect(db, read_only=True)
    try:
        ctx = resolve_context(con, FunnelFilter())
        assert bridge(con, ctx, "2024-04-01")["open_start"] == b["open_start"] == 3
        assert attribution(con, ctx, "2024-04-01")["won"] == a["won"]
    finally:
        con.close()


def test_metrics_period_spelling_sets_the_grain(db, capsys):
    capsys.readouterr()
    assert main(["metrics", "--db", str(db), "--period", "2024-Q2", "--json"]) == 0
    figs = json.loads(capsys.readouterr().out)
    assert figs["grain"] == "quarter" and figs["bridge"]["period"] == "2024-Q2"
    assert main(["metrics", "--db", str(db), "--period", "2024-Q2", "--grain", "month", "--json"]) == 1
