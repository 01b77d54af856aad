"""Smoke test of the benchmark harness: its correctness gate (funnel.metrics.figures == the pandas baseline
of bench/pandas_figures.py, unfiltered and with a quarter + source filter) on 2,000 generated leads imported
through the loader. No timing is asserted."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for p in (str(ROOT), str(ROOT / "data")):
    if p not in sys.path:
        sys.path.insert(0, p)

import generate_sample as gen  # noqa: E402

from bench.check import check_db, compare  # noqa: E402
from funnel.metrics import FunnelFilter  # noqa: E402
from funnel.store.db import connect  # noqa: E402
from funnel.store.loader import import_files  # noqa: E402


def test_harness_correctness_gate_2k(tmp_path):
    data = gen.generate(2000, seed=gen.DEFAULT_SEED)
    files = [gen.write_template_csv(data.leads, tmp_path / gen.TEMPLATE_CSV),
             gen.write_stage_log_csv(data.events, tmp_path / gen.STAGE_LOG_CSV),
             gen.write_roster_csv(data.roster, tmp_path / gen.ROSTER_CSV)]
    con = connect(None)
    import_files(con, files, who="test")
    filters = [("all", FunnelFilter()),
               ("q2+src", FunnelFilter(dt.date(2024, 4, 1), dt.date(2024, 6, 30), sources=("线上广告",)))]
    assert check_db(con, filters) == []


def test_compare_reports_a_difference():
    ours = {"as_of": "2024-12-31", "cohort": {k: 1 for k in ("leads", "won", "lost", "open", "undated")},
            "overall_conversion": 0.5, "win_rate": None, "stages": [], "cycle_days": dict.fromkeys(
                ("n", "n_reported", "q1", "median", "q3", "mean"), 1),
            "time_to_loss_days": dict.fromkeys(("n", "median", "mean", "n_unknown"), 1), "loss_reasons": [],
            "loss_by_stage": [], "reps": [], "sources": [], "managers": [], "teams": [], "stalled": [],
            "stalled_count": 0, "overdue_count": 0, "past_expected_close_count": 0, "trends": []}
    ref = {**ours, "cohort": {**ours["cohort"], "won": 2}, "overall_conversion": 0.5 + 1e-6}
    diffs = compare(ours, ref)
    assert any("cohort.won" in d for d in diffs) and any("overall_conversion" in d for d in diffs)
    assert compare(ours, ours) == []


def test_harness_doc_keeps_the_analysis_and_what_follows_it(tmp_path, monkeypatch):
    import bench.run as run

    doc = tmp_path / "performance.md"
    doc.write_text(f"# old\n\n{run.MARK_BEGIN}\nkept analysis\n{run.MARK_END}\n\n## Review figures\n\nkept tail\n")
    monkeypatch.setattr(run, "DOC", doc)

    class Args:
        repeat, sizes, seed = 1, "10k", 20240101

    run.write_doc([], run.machine(), Args())
    text = doc.read_text()
    assert "# old" not in text and "kept analysis" in text  # regenerated above the block, the block kept
    assert text.endswith(f"{run.MARK_END}\n\n## Review figures\n\nkept tail\n")
