"""The figure set on Spark beside DuckDB, end to end through the command line (issue 17, part 2; docs/spark.md).

    .venv/bin/python bench/spark_bench.py --size 1m                 # local[2], driver memory 6g
    .venv/bin/python bench/spark_bench.py --size 100k --master 'local[2]' --memory 4g

Steps, each one process of ``python -m funnel``, timed from outside (wall clock) with its peak RSS (the JVM's
included, as the children's maximum): ``import`` of the bench dataset's files (bench/datasets.py, generated
and cached) into a new database, ``export-lake``, ``metrics --json`` on DuckDB, ``metrics --engine spark
--json`` on the lake. The two JSON outputs must be identical byte for byte (exit 2 otherwise). Results go to
``bench/out/spark_<size>.json``; nothing is asserted on time (benchmarks are not tests).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import threading
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import datasets  # noqa: E402


def tree_rss_mib(root: int) -> float:
    """RSS of ``root`` and every descendant (the JVM pyspark starts is one), from /proc, in MiB."""
    parents, rss = {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            rss[int(entry.name)] = int((entry / "statm").read_text().split()[1]) * resource.getpagesize()
        except (OSError, IndexError, ValueError):
            continue
    tree, todo = set(), [root]
    while todo:
        pid = todo.pop()
        tree.add(pid)
        todo += [child for child, parent in parents.items() if parent == pid and child not in tree]
    return sum(rss.get(pid, 0) for pid in tree) / 2 ** 20


def run(step: str, args: list[str], out: Path | None = None) -> dict:
    """One ``python -m funnel`` process: wall seconds, peak RSS of its process tree (MiB, sampled every
    0.5 s), stderr's notes."""
    started = time.perf_counter()
    peak = 0.0
    with open(out, "wb") if out else open(os.devnull, "wb") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "funnel", *args], cwd=ROOT, stdout=sink,
                                stderr=subprocess.PIPE)
        err = []
        reader = threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True)
        reader.start()
        while proc.poll() is None:
            peak = max(peak, tree_rss_mib(proc.pid))
            time.sleep(0.5)
        reader.join()
    seconds = time.perf_counter() - started
    stderr = b"".join(err).decode(errors="replace")
    notes = [line for line in stderr.splitlines() if line.startswith("note:")]
    if proc.returncode != 0:
        raise SystemExit(f"{step} failed ({proc.returncode}): {stderr[-2000:]}")
    row = {"step": step, "seconds": round(seconds, 1), "peak_rss_mib": round(peak), "notes": notes}
    print(json.dumps(row, ensure_ascii=False), flush=True)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="1m")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--memory", default="6g", help="Spark driver memory (the machine is shared: keep it capped)")
    args = parser.parse_args()
    n = datasets.parse_size(args.size)
    files = datasets.ensure_files(n)
    work = datasets.dataset_dir(n, datasets.DEFAULT_SEED) / "spark"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db, lake = work / "funnel.duckdb", work / "lake"
    rows = [
        run("import", ["import", "--db", str(db), "--max-mb", "4096", str(files["template_csv"]),
                       str(files["stage_log"]), str(files["roster"])]),
        run("export-lake", ["export-lake", "--db", str(db), str(lake)]),
        run("metrics duckdb", ["metrics", "--db", str(db), "--json"], work / "duckdb.json"),
        run(f"metrics spark {args.master}", ["metrics", "--engine", "spark", "--lake", str(lake), "--spark-master",
                                             args.master, "--spark-memory", args.memory, "--json"], work / "spark.json"),
    ]
    same = (work / "duckdb.json").read_bytes() == (work / "spark.json").read_bytes()
    lake_mib = sum(p.stat().st_size for p in lake.rglob("*") if p.is_file()) / 2 ** 20
    result = {"leads": n, "master": args.master, "driver_memory": args.memory, "steps": rows,
              "identical_json": same, "lake_mib": round(lake_mib), "cores": os.cpu_count(),
              "load_average_after": os.getloadavg()}
    (ROOT / "bench" / "out" / f"spark_{datasets.size_label(n)}.json").write_text(json.dumps(result, indent=1))
    print(json.dumps({k: v for k, v in result.items() if k != "steps"}))
    return 0 if same else 2


if __name__ == "__main__":
    raise SystemExit(main())
