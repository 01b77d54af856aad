"""Load test of scripts/serve.sh: the same sessions as bench/load.py against 1, then 2 (...) replicas behind
nginx, back to back, with an import on the writer in the middle of each run.

    .venv/bin/python bench/load_replicas.py --replicas 1,2 --sessions 20 --duration-s 240
    .venv/bin/python bench/load_replicas.py --quick          # sample data, 3 sessions, 20 s per run

For each replica count the script starts ``scripts/serve.sh --replicas N`` on free ports with a *copy* of the
database (temporary folder, own publish folder and shared folder), drives the sessions of bench/load.py through
nginx, and samples every process (replicas, writer, nginx) from /proc. At ``--import-at`` of the duration it:

1. reads the Overview tiles of a few fixed links from every replica directly (fresh sessions): they must be
   identical across replicas ("figures identical through every replica");
2. drops a CSV with ``--import-leads`` new leads into the shared folder and clicks "Refresh" on the writer's
   Data page (through nginx, /admin/): the writer imports, commits and publishes;
3. opens one fresh session per replica right after the click returned: its first run must show the new lead
   count ("visible within one rerun"), then reads the fixed links again from every replica.

Output: a table on stdout and the raw figures as JSON (``--out``). docs/load.md holds the measured results.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.load import (DEFAULT_DB, OUT_DIR, Sampler, drive, latency_stats, log, machine, parse_mix,  # noqa: E402
                        read_proc)
from bench.load_client import StreamlitSession  # noqa: E402

LINKS = ("lang=en", "lang=en&grain=quarter", "lang=zh", "lang=en&from=2024-01-01&to=2024-03-31")
IMPORT_LINK = "lang=en&from=2024-03-01&to=2024-03-31"  # the new leads are acquired in March 2024


def free_block(n: int) -> int:
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + n >= 65535:
            continue
        socks = []
        try:
            for p in range(base, base + n):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free block of ports")


class Deployment:
    """``scripts/serve.sh --replicas N`` on a copy of the database; always stopped."""

    def __init__(self, replicas: int, db: Path | None, workdir: Path):
        self.replicas, self.workdir = replicas, workdir
        self.port = free_block(replicas + 2)
        self.shared = workdir / "shared"
        self.shared.mkdir(parents=True, exist_ok=True)
        self.db = workdir / "funnel.duckdb"
        if db is not None:
            shutil.copy2(db, self.db)
        self.run_dir = workdir / "run" / f"serve-{self.port}"
        self.out_path = workdir / "serve.out"
        self.proc: subprocess.Popen | None = None
        self.base = f"http://127.0.0.1:{self.port}"
        self.sample = db is None

    def start(self, timeout_s: float = 900) -> float:
        env = dict(os.environ, LEAD_FUNNEL_DB=str(self.db), LEAD_FUNNEL_SHARED_DIR=str(self.shared),
                   LEAD_FUNNEL_RUN_DIR=str(self.workdir / "run"), LEAD_FUNNEL_BACKUP_DIR=str(self.workdir / "bk"))
        for key in ("LEAD_FUNNEL_NO_SAMPLE", "LEAD_FUNNEL_PUBLISH_DIR", "LEAD_FUNNEL_ROLE"):
            env.pop(key, None)
        self._out = open(self.out_path, "w")
        started = time.perf_counter()
        self.proc = subprocess.Popen(["bash", "scripts/serve.sh", "--replicas", str(self.replicas), "--port",
                                      str(self.port)], cwd=ROOT, env=env, stdout=self._out,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + timeout_s
        while "Lead Funnel:" not in self.out_path.read_text(errors="replace"):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("serve.sh did not start:\n" + self.out_path.read_text()[-3000:])
            time.sleep(0.5)
        return time.perf_counter() - started

    def replica_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{self.port + 1 + i}" for i in range(self.replicas)]

    def pids(self) -> dict[str, int]:
        """name -> pid of every process serving: replica-<port>, writer, nginx master and workers."""
        out = {}
        for path in sorted(self.run_dir.glob("*.pid")):
            pid = int(path.read_text().split()[0])
            name = path.stem
            if name == "nginx":
                out["nginx"] = pid
                children = Path(f"/proc/{pid}/task/{pid}/children")
                for i, child in enumerate(children.read_text().split() if children.exists() else []):
                    out[f"nginx-worker-{i}"] = int(child)
            else:
                out[name.split("-")[0] if name.startswith("writer") else name] = pid
        return out

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
        if getattr(self, "_out", None):
            self._out.close()


class Samplers:
    """One bench.load.Sampler per process; ``phase`` is set on all of them (drive() sets it)."""

    def __init__(self, pids: dict[str, int], interval: float, t0: float):
        self.samplers = {name: Sampler(pid, interval, t0) for name, pid in pids.items()}

    @property
    def phase(self) -> str:
        return next(iter(self.samplers.values())).phase

    @phase.setter
    def phase(self, value: str) -> None:
        for s in self.samplers.values():
            s.phase = value

    def start(self) -> None:
        for s in self.samplers.values():
            s.start()

    def stop(self) -> None:
        for s in self.samplers.values():
            s.stop()


async def tiles(url: str, link: str) -> tuple[dict[str, str], bool, str]:
    s = StreamlitSession(url, timeout_s=180)
    res = await s.open("", link)
    await s.close()
    return s.metrics, res.ok, res.error


async def tiles_everywhere(urls: list[str]) -> dict:
    """The Overview tiles of every fixed link on every replica (all at once), and whether they agree."""
    seen = await asyncio.gather(*(tiles(u, link) for link in LINKS for u in urls))
    out = {}
    for i, link in enumerate(LINKS):
        row = seen[i * len(urls):(i + 1) * len(urls)]
        out[link] = {"replicas": [m for m, _, _ in row], "ok": all(ok for _, ok, _ in row),
                     "identical": all(m == row[0][0] for m, _, _ in row) and bool(row[0][0])}
    return out


async def import_during_load(dep: Deployment, check_at_s: float, import_at_s: float, n_new: int,
                             t0: float) -> dict:
    """At ``check_at_s`` (seconds since t0) compare the replicas' figures; at ``import_at_s`` (or right after
    the comparison, if that ends later) import on the writer, then read every replica's first run after."""
    await asyncio.sleep(max(0.0, check_at_s - (time.perf_counter() - t0)))
    urls = dep.replica_urls()
    before = await tiles_everywhere(urls)
    await asyncio.sleep(max(0.0, import_at_s - (time.perf_counter() - t0)))
    leads_before = [int((await tiles(u, IMPORT_LINK))[0]["Leads"].replace(",", "")) for u in urls]
    rows = "\n".join(f"REPLICA-LOAD-{i},Replica test,2024-03-{1 + i % 28:02d},线索获取,Replica Rep" for i in range(n_new))
    (dep.shared / "replica_load.csv").write_text("线索编号,来源渠道,获取时间,当前阶段,销售代表\n" + rows + "\n",
                                                  encoding="utf-8")
    w = StreamlitSession(dep.base + "/admin", timeout_s=300)
    res = await w.open("data", "lang=en")
    opened = res.ok
    t_click = time.perf_counter()
    res = await w.click("shared_refresh")
    click_s = time.perf_counter() - t_click
    await w.close()
    t_done = time.perf_counter() - t0

    async def first_run(u: str) -> dict:  # the first run of a replica after the publish
        started = time.perf_counter()
        metrics, ok, err = await tiles(u, IMPORT_LINK)
        got = int(metrics["Leads"].replace(",", "")) if ok and "Leads" in metrics else None
        return {"replica": u, "leads": got, "ok": ok, "error": err, "run_s": round(time.perf_counter() - started, 3),
                "since_publish_s": round(time.perf_counter() - t0 - t_done, 3)}

    first = list(await asyncio.gather(*(first_run(u) for u in urls)))
    after = await tiles_everywhere(urls)
    return {"at_s": round(t_done, 1), "writer_page_ok": opened, "click_ok": res.ok, "click_error": res.error,
            "import_and_publish_s": round(click_s, 3), "new_leads": n_new, "leads_before": leads_before,
            "first_run_after": first,
            "visible_in_first_run": all(f["leads"] == leads_before[0] + n_new for f in first),
            "identical_before": all(v["identical"] for v in before.values()),
            "identical_after": all(v["identical"] for v in after.values()),
            "tiles_before": before, "tiles_after": after}


def proc_stats(rows: list[dict], load_start: float, load_end: float) -> dict:
    load = [r for r in rows if load_start <= r["t"] <= load_end and "VmRSS" in r]
    if not load:
        return {}
    rss = [r["VmRSS"] for r in load]
    return {"rss_median_mib": float(np.median(rss)), "rss_peak_mib": max(rss),
            "cpu_s": load[-1]["cpu_s"] - load[0]["cpu_s"]}


def run_one(n: int, db: Path | None, args) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"lead_funnel_replicas{n}_"))
    dep = Deployment(n, db, workdir)
    samplers = None
    info = {"replicas": n, "load_avg_start": os.getloadavg()}
    try:
        log(f"[{n} replica(s)] starting scripts/serve.sh on {dep.base} ...")
        t0 = time.perf_counter()
        info["start_s"] = round(dep.start(), 1)
        pids = dep.pids()
        samplers = Samplers(pids, args.sample_s, t0)
        samplers.start()

        async def both():
            begin = time.perf_counter() - t0 + args.ramp_s  # about when the last session has started
            imp = asyncio.create_task(import_during_load(dep, begin + args.duration_s * args.check_at,
                                                         begin + args.duration_s * args.import_at,
                                                         args.import_leads, t0))
            result = await drive(dep.base, args, samplers, t0)
            return result, await imp

        (cold, results, _browser, load_start, load_end), imported = asyncio.run(both())
        samplers.phase = "after"
        time.sleep(args.cooldown_s)
        samplers.stop()
    finally:
        if samplers is not None:
            samplers.stop()
        dep.stop()
        problems = []
        for log_path in sorted(dep.run_dir.glob("*.log")):
            if log_path.name.startswith("nginx-access"):
                continue
            problems += [f"{log_path.name}: {ln}" for ln in log_path.read_text(errors="replace").splitlines()
                         if any(k in ln for k in ("Traceback", "ERROR", "Error", "Exception", "page failed",
                                                  "[error]", "[crit]", "[alert]", "[emerg]"))]
        shutil.rmtree(workdir, ignore_errors=True)
    info["load_avg_end"] = os.getloadavg()
    stats = latency_stats(results, load_end)
    span = load_end - load_start
    procs = {name: proc_stats(s.rows, load_start, load_end) for name, s in samplers.samplers.items()}
    imported["during_load"] = load_start <= imported["at_s"] <= load_end
    return info | {"cold": cold, "load_start_s": load_start, "load_end_s": load_end,
                   "throughput_per_s": stats["by_action"]["all"]["count"] / span if span else None,
                   "latency": stats, "processes": procs, "import": imported, "log_problems": problems[:200],
                   "samples": results}


def table(runs: list[dict]) -> str:
    lines = ["| replicas | actions | errors | actions/s | p50 s | p95 s | first load s | import+publish s "
             "| import during load | new leads in first run | identical figures |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|"]
    for r in runs:
        a = r["latency"]["by_action"]["all"]
        imp = r["import"]
        lines.append(f"| {r['replicas']} | {a['count']} | {a['errors']} | {r['throughput_per_s']:.2f} | "
                     f"{a.get('p50', float('nan')):.2f} | {a.get('p95', float('nan')):.2f} | {r['cold']['s']:.2f} | "
                     f"{imp['import_and_publish_s']:.2f} | {'yes' if imp.get('during_load') else 'no'} | "
                     f"{'yes' if imp['visible_in_first_run'] else 'NO'} | "
                     f"{'yes' if imp['identical_before'] and imp['identical_after'] else 'NO'} |")
    lines += ["", "| replicas | process | RSS median MiB | RSS peak MiB | CPU s |", "|---:|---|---:|---:|---:|"]
    for r in runs:
        for name, p in r["processes"].items():
            if p:
                lines.append(f"| {r['replicas']} | {name} | {p['rss_median_mib']:.0f} | {p['rss_peak_mib']:.0f} | "
                             f"{p['cpu_s']:.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--replicas", default="1,2", help="comma-separated replica counts, run back to back")
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--duration-s", type=float, default=240)
    ap.add_argument("--db", type=Path, default=None, help=f"database to copy (default {DEFAULT_DB.relative_to(ROOT)})")
    ap.add_argument("--sample", action="store_true", help="an empty database: serve.sh imports data/sample/")
    ap.add_argument("--seed", type=int, default=20240101)
    ap.add_argument("--think-s", type=float, default=1.0)
    ap.add_argument("--ramp-s", type=float, default=10.0)
    ap.add_argument("--mix", type=parse_mix, default=parse_mix("page=0.5,filter=0.4,open=0.1"))
    ap.add_argument("--timeout-s", type=float, default=120.0)
    ap.add_argument("--sample-s", type=float, default=2.0)
    ap.add_argument("--cooldown-s", type=float, default=5.0)
    ap.add_argument("--check-at", type=float, default=0.2,
                    help="fraction of the duration when the replicas' figures are compared")
    ap.add_argument("--import-at", type=float, default=0.5, help="fraction of the duration when the import runs")
    ap.add_argument("--import-leads", type=int, default=25)
    ap.add_argument("--out", type=Path, default=OUT_DIR / "load_replicas.json")
    ap.add_argument("--quick", action="store_true", help="sample data, 3 sessions, 20 s per run")
    args = ap.parse_args(argv)
    args.browser_observer = False
    if args.quick:
        args.sessions, args.sample, args.duration_s = min(args.sessions, 3), True, min(args.duration_s, 20)
        args.ramp_s, args.think_s, args.cooldown_s = 2, 0.5, 1
    db = None if args.sample else (args.db or DEFAULT_DB)
    if db is not None and not db.exists():
        ap.error(f"{db} does not exist (bench/datasets.py 1m builds it), or use --sample")

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    runs = []
    for n in (int(x) for x in args.replicas.split(",")):
        runs.append(run_one(n, db, args))
        log(table(runs[-1:]))
    report = {"machine": machine(), "argv": argv, "dataset": "sample data" if db is None else str(db),
              "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}, "runs": runs}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False, default=str))
    print(table(runs))
    bad = [r for r in runs if r["latency"]["by_action"]["all"]["errors"] or not r["import"]["visible_in_first_run"]
           or not (r["import"]["identical_before"] and r["import"]["identical_after"])]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
