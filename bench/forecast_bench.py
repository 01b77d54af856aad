"""Speed of the win curves, cohort triangle, forecast and backtest (SPEC §7.4–7.5), apart from the suite.

    .venv/bin/python bench/forecast_bench.py [--leads 1000000] [--repeat 5] [--db bench/out/forecast_1m.duckdb]

Builds the synthetic store of ``tests/metrics/synthetic.py`` once (about 4 stage events per lead, 24% open)
into a database file, then times, warm (after one run), each figure and the four together as the
Forecast page and ``metrics --json`` compute them: wall seconds, median and min of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "metrics")]

from funnel.metrics import (backtest, cohort_triangle, forecast, forecast_leads, resolve_context,  # noqa: E402
                            stage_model, win_curve_summary, win_curves)
from funnel.metrics.figures import forecast_figures  # noqa: E402
from funnel.store.db import connect  # noqa: E402
from funnel.store.derived import refresh_derived  # noqa: E402
from synthetic import make_synthetic  # noqa: E402


def build(path: Path, n: int) -> None:
    if path.exists():
        return
    con = connect(path)
    t0 = time.perf_counter()
    make_synthetic(con, n)
    con.execute("begin")
    refresh_derived(con)
    con.execute("commit")
    con.execute("checkpoint")
    con.close()
    print(f"built {n:,} leads in {time.perf_counter() - t0:.1f} s", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--leads", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--db", type=Path, default=None)
    args = ap.parse_args()
    path = args.db or ROOT / "bench" / "out" / f"forecast_{args.leads}.duckdb"
    path.parent.mkdir(parents=True, exist_ok=True)
    build(path, args.leads)
    con = connect(path)
    ctx = resolve_context(con)
    leads, open_ = con.execute("select count(*), count(*) filter (where is_open) from lead_facts").fetchone()
    print(f"as-of {ctx.as_of}, leads {leads:,}, open {open_:,}")

    def curves():
        c = win_curves(con, ctx)
        win_curve_summary(con, ctx, curves=c)

    def everything():  # as metrics --json computes them (funnel.metrics.figures.forecast_figures)
        forecast_figures(con, ctx)

    steps = {"win curves (cohort, by source, by rep)": curves, "cohort triangle": lambda: cohort_triangle(con, ctx),
             "stage model fit": lambda: stage_model(con, ctx), "forecast 30/60/90 (fit included)": lambda: forecast(con, ctx),
             "open-lead list, top 200": lambda: forecast_leads(con, ctx, limit=200),
             "backtest, 6 periods": lambda: backtest(con, ctx), "ALL: curves + triangle + forecast + backtest": everything}
    for name, fn in steps.items():
        fn()  # warm
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        print(f"{name:48s} median {statistics.median(times):6.3f} s   min {min(times):6.3f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
