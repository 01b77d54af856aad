"""Speed check: derivation and the whole figure set on a synthetic store (not collected by pytest).

    python tests/metrics/bench_metrics.py [--leads 1000000] [--db /tmp/lead_funnel_bench.duckdb] [--reference]

Builds the synthetic dataset once (tests/metrics/synthetic.py) into a database file, then times
refresh_derived (inside a transaction, as the loader runs it) and figures(), reporting wall and CPU seconds
(medians). With --reference also the pandas reference implementation (the idiomatic-pandas baseline).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE)]

from funnel.metrics import figures, resolve_context  # noqa: E402
from funnel.store.db import connect  # noqa: E402
from funnel.store.derived import refresh_derived  # noqa: E402
from synthetic import make_synthetic  # noqa: E402


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def timed(fn, repeat: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(repeat):
        c0, t0 = cpu(), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(cpu() - c0)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--leads", type=int, default=1_000_000)
    ap.add_argument("--db", default="/tmp/lead_funnel_bench.duckdb")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reference", action="store_true")
    args = ap.parse_args()
    path = Path(args.db)
    fresh = not path.exists()
    con = connect(path)
    con.execute(f"set threads = {int(args.threads)}")
    if fresh or con.execute("select count(*) from leads").fetchone()[0] != args.leads:
        for table in ("leads", "stage_events", "activities", "roster"):
            con.execute(f"delete from {table}")
        print("generated", make_synthetic(con, args.leads))

    def derive():
        con.execute("begin")
        refresh_derived(con)
        con.execute("commit")

    wall, c = timed(derive, 3)
    print(f"refresh_derived: wall {wall:.2f} s, cpu {c:.2f} s (median of 3)")
    ctx = resolve_context(con)
    for limit in (100, None):
        wall, c = timed(lambda: figures(con, ctx, list_limit=limit), 5)
        print(f"figures(list_limit={limit}): wall {wall:.3f} s, cpu {c:.3f} s (median of 5)")
    if args.reference:
        from reference_pandas import load_frames, reference_figures

        wall, c = timed(lambda: reference_figures(load_frames(con)), 1)
        print(f"pandas reference (reached, time in stage, cycle only): wall {wall:.2f} s, cpu {c:.2f} s")


if __name__ == "__main__":
    main()
