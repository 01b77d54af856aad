"""A/B of ``refresh_derived``: an older revision of funnel/store/derived.py against the working tree, on copies
of one store, alternating, each run in a fresh process (begin, refresh, commit, checkpoint), with the step
timings and the process CPU time (steadier than wall time when other jobs share the cores); then every
derived table and view of the two copies compared (column types and rows, EXCEPT ALL both ways).

    .venv/bin/python bench/derived_ab.py bench/out/n1000000_s20240101/funnel.duckdb --old main --repeat 3
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _module(source: Path):
    spec = importlib.util.spec_from_file_location("derived_under_test", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_once(db: str, source: str) -> None:
    """One refresh in this process; prints a JSON line with the total and the step timings."""
    sys.path.insert(0, str(ROOT))
    import duckdb

    derived = _module(Path(source))
    con = duckdb.connect(db)
    timings: dict = {}
    t0, c0 = time.perf_counter(), time.process_time()
    con.execute("begin")
    derived.refresh_derived(con, timings)
    t1 = time.perf_counter()
    con.execute("commit")
    t2 = time.perf_counter()
    con.execute("checkpoint")
    t3, c3 = time.perf_counter(), time.process_time()
    print(json.dumps({"cpu_s": c3 - c0, "refresh_s": t1 - t0, "commit_s": t2 - t1, "checkpoint_s": t3 - t2,
                      "total_s": t3 - t0,
                      "steps": timings}))


def compare(db_a: str, db_b: str) -> list[str]:
    """The derived tables / views whose column types or rows differ between the two stores."""
    sys.path.insert(0, str(ROOT))
    import duckdb

    from funnel.store.derived import DERIVED_TABLES

    con = duckdb.connect()
    con.execute(f"attach '{db_a}' as a (read_only)")
    con.execute(f"attach '{db_b}' as b (read_only)")
    diffs = []
    for name in DERIVED_TABLES:
        types_a = con.execute(f"select column_name, column_type from (describe a.{name})").fetchall()
        types_b = con.execute(f"select column_name, column_type from (describe b.{name})").fetchall()
        if types_a != types_b:
            diffs.append(f"{name}: types {types_a} != {types_b}")
            continue
        n = con.execute(f"select count(*) from a.{name}").fetchone()[0]
        only_a, only_b = (con.execute(f"select count(*) from (select * from {x}.{name} except all "
                                      f"select * from {y}.{name})").fetchone()[0] for x, y in (("a", "b"), ("b", "a")))
        print(f"  {name}: {n} rows, only old {only_a}, only new {only_b}")
        if only_a or only_b:
            diffs.append(f"{name}: {only_a} rows only in old, {only_b} only in new")
    return diffs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("db", nargs="?")
    ap.add_argument("--old", default="main", help="git revision of the old derived.py, or a file")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--run-once", nargs=2, metavar=("DB", "SOURCE"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.run_once:
        run_once(*a.run_once)
        return
    work = Path(tempfile.mkdtemp(prefix="derived_ab_", dir=str(ROOT / "bench" / "out")))
    try:
        old_src = work / "derived_old.py"
        old_src.write_text(Path(a.old).read_text() if Path(a.old).is_file() else subprocess.run(
            ["git", "show", f"{a.old}:funnel/store/derived.py"], cwd=ROOT, check=True, capture_output=True,
            text=True).stdout)
        sides = {"old": (work / "old.duckdb", old_src),
                 "new": (work / "new.duckdb", ROOT / "funnel/store/derived.py")}
        for db, _ in sides.values():
            shutil.copyfile(a.db, db)
        results = {"old": [], "new": []}
        order = ["old", "new"]
        for i in range(a.repeat):
            for side in (order if i % 2 == 0 else order[::-1]):
                db, src = sides[side]
                out = subprocess.run([sys.executable, __file__, "--run-once", str(db), str(src)],
                                     check=True, capture_output=True, text=True).stdout
                r = json.loads(out.strip().splitlines()[-1])
                r["load1"] = os.getloadavg()[0]
                results[side].append(r)
                steps = " ".join(f"{k}={v:.2f}" for k, v in r["steps"].items())
                print(f"{side} run {i + 1}: total {r['total_s']:.2f} s, CPU {r['cpu_s']:.2f} s (refresh "
                      f"{r['refresh_s']:.2f}, commit {r['commit_s']:.2f}, checkpoint {r['checkpoint_s']:.2f}) "
                      f"load {r['load1']:.2f} | {steps}",
                      flush=True)
        for side, runs in results.items():
            med = statistics.median(r["total_s"] for r in runs)
            cpu = statistics.median(r["cpu_s"] for r in runs)
            steps = {k: statistics.median(r["steps"][k] for r in runs) for k in runs[0]["steps"]}
            print(f"{side}: median total {med:.2f} s, CPU {cpu:.2f} s; step medians "
                  + " ".join(f"{k}={v:.2f}" for k, v in sorted(steps.items(), key=lambda kv: -kv[1])))
        diffs = compare(str(sides["old"][0]), str(sides["new"][0]))
        print("EQUAL" if not diffs else "DIFFERENT:\n" + "\n".join(diffs))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
