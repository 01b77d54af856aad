"""The command line of SPEC §5: `python -m funnel import | metrics | report`, its exit codes and the JSON
shape other tools rely on (keys may be added, never renamed or dropped)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from funnel.cli import main
from funnel.metrics.figures import forecast_figures
from funnel.metrics import figures, resolve_context
from funnel.metrics.figures import review_figures
from funnel.store.db import connect

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
SAMPLE_FILES = [str(SAMPLE / name) for name in ("线索跟踪表.xlsx", "阶段记录.csv", "销售团队.csv")]

STAGE_KEYS = {"key", "name", "reached", "step_conversion", "dropped", "open", "in_progress", "time_in_stage_days"}
REP_KEYS = {"rep", "leads", "won", "lost", "open", "conversion", "conversion_ci", "win_rate", "median_cycle_days",
            "stalled"}


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("cli") / "funnel.duckdb"
    assert main(["import", *SAMPLE_FILES, "--db", str(db)]) == 0
    return db


def test_import_prints_counts_and_reimport_changes_nothing(sample_db, capsys):
    assert main(["import", *SAMPLE_FILES, "--db", str(sample_db)]) == 0
    out = capsys.readouterr().out
    assert "unchanged since its last import" in out


def test_metrics_json_has_the_spec_shape_and_the_functions_figures(sample_db, capsys):
    assert main(["metrics", "--db", str(sample_db), "--json"]) == 0
    figs = json.loads(capsys.readouterr().out)
    assert {"as_of", "cohort", "overall_conversion", "win_rate", "stages", "cycle_days", "loss_reasons", "reps",
            "sources", "stalled"} <= set(figs)
    assert set(figs["cohort"]) >= {"leads", "won", "lost", "open", "undated"}
    assert figs["stages"][0]["step_conversion"] is None
    assert all(STAGE_KEYS <= set(stage) for stage in figs["stages"])
    assert set(figs["cycle_days"]) >= {"n", "n_reported", "q1", "median", "q3", "mean"}
    assert all({"reason", "count", "share", "cumulative_share"} <= set(r) for r in figs["loss_reasons"])
    assert all(REP_KEYS <= set(r) for r in figs["reps"])
    assert all({"source", "leads", "won", "conversion"} <= set(r) for r in figs["sources"])
    assert all({"lead_id", "rep", "stage", "idle_days"} <= set(r) for r in figs["stalled"])
    idle = [r["idle_days"] for r in figs["stalled"]]
    assert idle == sorted(idle, reverse=True) and len(idle) == figs["stalled_count"]  # complete, longest first
    con = connect(sample_db)
    try:
        ctx = resolve_context(con)
        direct = figures(con, ctx)
        review = review_figures(con, ctx)  # the review keys of SPEC §7.6, made by their own functions
        direct.update(forecast_figures(con, ctx))  # SPEC §7.4–7.5's keys, beside §5's
    finally:
        con.close()
    assert {k: figs[k] for k in direct} == json.loads(json.dumps(direct, ensure_ascii=False))
    assert {k: figs[k] for k in review} == json.loads(json.dumps(review, ensure_ascii=False))


def test_metrics_json_adds_the_win_curve_forecast_and_backtest(sample_db, capsys):
    assert main(["metrics", "--db", str(sample_db), "--json"]) == 0
    figs = json.loads(capsys.readouterr().out)
    curve = figs["win_curve"]
    assert set(curve["cohort"]) >= {"30", "60", "90", "180"} and set(curve) >= {"by_source", "by_rep", "curve"}
    assert all({"source", "30", "60", "90", "180"} <= set(r) for r in curve["by_source"])
    assert all({"rep", "30", "60", "90", "180"} <= set(r) for r in curve["by_rep"])
    points = curve["curve"]
    assert [p["t"] for p in points] == list(range(len(points)))
    assert all(abs(p["f_w"] + p["f_l"] + p["s"] - 1) < 1e-9 for p in points)
    assert all({"period", "leads", "cells"} <= set(r) for r in figs["cohort_triangle"])
    assert all([c["days"] for c in r["cells"]] == [30, 60, 90, 120, 150, 180] for r in figs["cohort_triangle"])
    assert [f["horizon_days"] for f in figs["forecast"]] == [30, 60, 90]
    for f in figs["forecast"]:
        assert {"expected_wins", "low", "high", "expected_amount", "open_leads", "by_stage"} <= set(f)
        assert 0 <= f["low"] <= f["expected_wins"] <= f["high"] <= f["open_leads"]
        assert [r["stage"] for r in f["by_stage"]] == ["acquired", "screening", "discovery", "proposal"]
    assert len(figs["backtest"]) == 6
    assert all({"period", "forecast", "low", "high", "actual", "naive"} <= set(r) for r in figs["backtest"])
    assert set(figs["backtest_mae"]) >= {"model", "naive"}


def test_metrics_filters_narrow_the_cohort(sample_db, capsys):
    assert main(["metrics", "--db", str(sample_db), "--json"]) == 0
    everyone = json.loads(capsys.readouterr().out)
    source = everyone["sources"][0]["source"]
    assert main(["metrics", "--db", str(sample_db), "--json", "--source", source, "--from", "2024-01-01",
                 "--to", "2024-03-31"]) == 0
    narrowed = json.loads(capsys.readouterr().out)
    assert 0 < narrowed["cohort"]["leads"] < everyone["cohort"]["leads"]
    assert [s["source"] for s in narrowed["sources"]] == [source]
    assert narrowed["filter"]["sources"] == [source]


def test_bad_arguments_say_what_is_wrong(sample_db, tmp_path, capsys):
    assert main(["metrics", "--db", str(sample_db), "--from", "2024-05-01", "--to", "2024-04-01"]) == 1
    assert "after" in capsys.readouterr().err
    assert main(["metrics", "--db", str(tmp_path / "none.duckdb")]) == 1
    assert "import files first" in capsys.readouterr().err
    assert main(["import", str(tmp_path / "missing.csv"), "--db", str(tmp_path / "x.duckdb")]) == 1
    assert "no such file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["metrics", "--from", "30/06/2024"])
    assert usage.value.code == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_size_limit_is_settable_and_named_in_the_message(tmp_path, capsys):
    db = tmp_path / "limit.duckdb"
    assert main(["import", *SAMPLE_FILES, "--db", str(db), "--max-mb", "0"]) == 1
    err = capsys.readouterr().err
    assert "over the limit" in err and "--max-mb" in err
    assert main(["import", *SAMPLE_FILES, "--db", str(db), "--max-mb", "5"]) == 0


def test_report_writes_the_file(sample_db, tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["report", "--db", str(sample_db), "--period", "2024-03", "--lang", "en", "--out", str(out)]) == 0
    assert "report written" in capsys.readouterr().out
    assert out.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")


def test_report_without_period_takes_the_last_whole_month(sample_db, tmp_path, capsys, monkeypatch):
    """Found on the walk: `report` without --period stopped with argparse's bare "required". It now takes the
    period the Overview's download opens on: the last whole month before the as-of date. As-of 2024-06-14:
    June has not ended, so May (2024-05); the file name and the stderr note say which."""
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--db", str(sample_db), "--as-of", "2024-06-14", "--lang", "en"]) == 0
    captured = capsys.readouterr()
    assert "2024-05" in captured.err and "last whole month" in captured.err
    assert (tmp_path / "lead-funnel-report-2024-05.html").exists()
    assert main(["report", "--db", str(sample_db), "--as-of", "2024-06-14", "--grain", "quarter",
                 "--out", str(tmp_path / "q.html")]) == 0
    assert "2024-Q1" in capsys.readouterr().err   # Q2 ends 2024-06-30, after the as-of date


def test_import_notes_count_one_lead_in_the_singular(tmp_path, capsys):
    """Found on the walk: the messy template's import printed "1 leads had no acquisition date"."""
    sys.path.insert(0, str(ROOT / "tests"))
    from messy_template import messy_files

    paths = []
    for name, data in messy_files():
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    main(["import", "--db", str(tmp_path / "m.duckdb"), *paths])
    out = capsys.readouterr().out
    assert "1 lead had no acquisition date" in out and "1 leads" not in out


def test_python_dash_m_funnel_runs_as_a_process(tmp_path):
    done = subprocess.run([sys.executable, "-m", "funnel", "metrics", "--input", *SAMPLE_FILES, "--json"],
                          cwd=ROOT, capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["cohort"]["leads"] > 0


def test_report_honours_stalled_days_and_skip_rule(sample_db, tmp_path, capsys, monkeypatch):
    # The report's figures come from the one resolved context: --stalled-days and --skip-rule reach them.
    import funnel.report as report_module

    written = []
    real_write = report_module.write_report
    monkeypatch.setattr(report_module, "write_report", lambda report, out: written.append(report) or
                        real_write(report, out))
    out = tmp_path / "r.html"
    assert main(["report", "--db", str(sample_db), "--period", "2024-03", "--lang", "en", "--out", str(out),
                 "--stalled-days", "3", "--skip-rule", "strict"]) == 0
    html = out.read_text(encoding="utf-8")
    assert "more than 3 days" in html and "more than 7 days" not in html
    (report,) = written
    assert report.figures["stalled_days"] == 3 and report.figures["skip_rule"] == "strict"
    assert report.previous_figures["skip_rule"] == "strict"


def test_metrics_default_as_of_is_the_dashboards_on_the_messy_template(tmp_path, capsys):
    # issue 12: the messy template's data ends 2024-06-28 (tests/messy_template.py), 4 stalled leads;
    # the command line and the dashboard share data_end()
    from tests.messy_template import AS_OF, STALLED, messy_files

    paths = []
    for name, data in messy_files():
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    assert main(["metrics", "--input", *paths, "--json"]) == 0
    figs = json.loads(capsys.readouterr().out)
    assert figs["as_of"] == AS_OF and len(figs["stalled"]) == STALLED
    assert main(["metrics", "--input", *paths, "--json", "--as-of", "1900-01-01"]) == 0
    assert "--as-of 1900-01-01 is before the first date in the data (2024-03-01)" in capsys.readouterr().err


def test_import_lang_zh_translates_notes_and_keeps_the_count_lines(tmp_path, capsys):
    from tests.messy_template import messy_files

    paths = []
    for name, data in messy_files():
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    assert main(["import", *paths, "--db", str(tmp_path / "z.duckdb"), "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    # the count line tools read is unchanged; 8 leads, all new; the notes and reasons in Chinese
    assert "线索跟踪表-导出.xlsx [template]: read 11, accepted 8, rejected 1, warned 1, blank 1, duplicate 1" in out
    assert "leads: 8 (8 new, 0 changed, 0 unchanged)" in out
    assert "表头在第 2 行" in out and "没有线索编号" in out and "header found" not in out


def test_metrics_engine_spark_needs_a_lake_and_only_spark_reads_one(tmp_path, capsys):
    """The Spark engine's options (docs/spark.md) are checked before anything starts: no JVM needed."""
    assert main(["metrics", "--engine", "spark", "--json"]) == 1
    assert "--lake" in capsys.readouterr().err
    assert main(["metrics", "--lake", str(tmp_path), "--json"]) == 1
    assert "--engine spark" in capsys.readouterr().err


def test_metrics_out_writes_the_printed_json(tmp_path, capsys):
    from funnel.store.bootstrap import sample_files

    out = tmp_path / "figures.json"
    assert main(["metrics", "--input", *map(str, sample_files()), "--json", "--out", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(capsys.readouterr().out)


def test_spark_note_names_the_connect_url_and_the_servers_master(monkeypatch):
    # The stderr note of metrics --engine spark said "Spark local[2]" for a Spark Connect run: the Connect URL
    # asked for was nowhere. It names what was asked for, and for sc:// also the server's own master.
    from argparse import Namespace

    from funnel.cli import _spark_where

    monkeypatch.delenv("SPARK_REMOTE", raising=False)
    assert _spark_where(Namespace(spark_master="sc://localhost:8611"), "local[2]") == \
        "sc://localhost:8611 (server master local[2])"
    assert _spark_where(Namespace(spark_master="local[2]"), "local[2]") == "local[2]"
    assert _spark_where(Namespace(spark_master=None), "local[*]") == "local[*]"
    monkeypatch.setenv("SPARK_REMOTE", "sc://spark.example:15002")
    assert _spark_where(Namespace(spark_master=None), None) == "sc://spark.example:15002"


def test_import_and_input_keep_duckdb_block_memory_and_the_dashboard_store_does_not(tmp_path, monkeypatch, capsys):
    """`import` and `--input` (processes that close the database after the import) let DuckDB's block allocator
    keep its freed blocks (funnel.store.db.IMPORT_BLOCK_MEMORY_SHARE); the dashboard's Store keeps DuckDB's 0."""
    import funnel.cli as cli
    from funnel.store import db as store_db

    seen = []

    def recording(con, *args):
        store_db.keep_block_memory(con, *args)
        seen.append(con.execute("select current_setting('block_allocator_memory')").fetchone()[0])

    monkeypatch.setattr(cli, "keep_block_memory", recording)
    assert main(["import", *SAMPLE_FILES, "--db", str(tmp_path / "f.duckdb")]) == 0
    assert main(["metrics", "--input", *SAMPLE_FILES, "--json"]) == 0
    capsys.readouterr()
    assert len(seen) == 2 and "0 bytes" not in seen, seen
    store = store_db.Store(tmp_path / "dashboard.duckdb")
    try:
        assert store.cursor().execute("select current_setting('block_allocator_memory')").fetchone()[0] == "0 bytes"
    finally:
        store.close()
    con = connect(tmp_path / "other.duckdb")
    try:
        store_db.keep_block_memory(con, 0.01)
        kept = con.execute("select current_setting('block_allocator_memory')").fetchone()[0]
        assert kept != "0 bytes"
        store_db.keep_block_memory(con, 0.001)  # DuckDB refuses to lower it: nothing changes, nothing raised
        assert con.execute("select current_setting('block_allocator_memory')").fetchone()[0] == kept
    finally:
        con.close()
