"""Speed of the review figures (SPEC §7.1–7.3) at 1M leads, warm; run apart from the test suite.

    .venv/bin/python bench/review.py [--leads 1000000] [--db /tmp/lead_funnel_review_bench.duckdb] [--repeat 5]

Builds once (cached in the database file) the synthetic store of tests/metrics/synthetic.py (about 4 stage
events per lead, a roster, amounts), its derived tables, and two lead snapshots a month apart (the second
moves 10% of the leads a stage on, changes 5% of the amounts and drops 1% of the leads; their differences
stored as the loader stores them), then times each
review function after one warm-up run: the median and IQR of ``--repeat`` runs, wall seconds, all leads and
with a source filter. Prints a Markdown table (docs/performance.md keeps the last one).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "metrics")]

from funnel.metrics import FunnelFilter, resolve_context  # noqa: E402
from funnel.metrics.review_attribution import attribution, attribution_leads  # noqa: E402
from funnel.metrics.review_bridge import bridge, bridge_leads  # noqa: E402
from funnel.metrics.review_changes import upload_change_leads, upload_changes  # noqa: E402
from funnel.store.db import connect  # noqa: E402
from funnel.store.derived import refresh_derived  # noqa: E402


def build(path: Path, n: int) -> None:
    from synthetic import make_synthetic

    con = connect(path)
    try:
        if con.execute("select count(*) from leads").fetchall()[0][0] == n:
            if not con.execute("select count(*) from lead_snapshot_diffs").fetchall()[0][0]:  # older cache
                from funnel.store.snapshots import pair_sql

                con.execute("insert into lead_snapshot_diffs select 'A', 'B', * from (" + pair_sql() + ")", ["A", "B"])
            return
        make_synthetic(con, n)
        con.execute("begin")
        refresh_derived(con)
        con.execute("""insert into imports (import_id, file_name, format, started_at, status)
                       values ('A', 'march.xlsx', 'template', timestamp '2024-12-01', 'ok'),
                              ('B', 'april.xlsx', 'template', timestamp '2025-01-01', 'ok')""")
        con.execute("""insert into lead_snapshots select 'A', lead_id, status, current_stage, amount,
                              expected_close, rep from lead_facts""")
        con.execute("""insert into lead_snapshots
                       select 'B', lead_id,
                              case when hash(lead_id) % 50 = 0 then 'lost' else status end,
                              case when hash(lead_id) % 10 = 1 then 'proposal' else current_stage end,
                              case when hash(lead_id) % 20 = 2 then amount * 1.1 else amount end,
                              case when hash(lead_id) % 15 = 3 then expected_close + interval 40 day
                                   else expected_close end,
                              rep
                       from lead_facts where hash(lead_id) % 100 <> 4""")
        from funnel.store.snapshots import pair_sql

        con.execute("insert into lead_snapshot_diffs select 'A', 'B', * from (" + pair_sql() + ")", ["A", "B"])
        con.execute("commit")
        con.execute("checkpoint")
    finally:
        con.close()


def timed(fn, repeat: int) -> dict:
    fn()  # warm-up
    walls = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t0)
    q = statistics.quantiles(walls, n=4) if len(walls) > 1 else [walls[0]] * 3
    return {"median": statistics.median(walls), "iqr": q[2] - q[0]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/lead_funnel_review_bench.duckdb"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    build(args.db, args.leads)
    print(f"store ready in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    con = connect(args.db, read_only=True)
    period = dt.date(2024, 6, 1)
    rows = []
    for label, flt in (("all", FunnelFilter()), ("src", FunnelFilter(sources=("转介绍",)))):
        ctx = resolve_context(con, flt, as_of=dt.date(2024, 12, 31))
        cases = {
            "bridge (buckets + matrix)": lambda: bridge(con, ctx, period),
            "bridge_leads (won, whole list)": lambda: bridge_leads(con, ctx, period, bucket="won"),
            "attribution (factors + mix)": lambda: attribution(con, ctx, period),
            "attribution_leads (cohort, whole list)": lambda: attribution_leads(con, ctx, period),
            "upload_changes (counts)": lambda: upload_changes(con, ctx, "A", "B"),
            "upload_change_leads (advanced, whole list)": lambda: upload_change_leads(con, ctx, "A", "B",
                                                                                   "advanced"),
        }
        for name, fn in cases.items():
            r = timed(fn, args.repeat)
            rows.append((name, label, r["median"], r["iqr"]))
            print(f"{name} [{label}]: {r['median']:.3f} s", file=sys.stderr)
    con.close()
    print(f"| figure ({args.leads:,} leads, warm) | filter | median s | IQR s |")
    print("|---|---|---|---|")
    for name, label, med, iqr in rows:
        print(f"| {name} | {label} | {med:.3f} | {iqr:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
