"""Lead Funnel benchmark harness (see bench/README.md).

    .venv/bin/python bench/run.py                      # 10k, 100k, 1m; 5 runs each, A/B interleaved
    .venv/bin/python bench/run.py --quick              # 10k only, 3 runs: smoke-test of the harness (~1-2 min)
    .venv/bin/python bench/run.py --sizes 5m           # the optional 5M size (minutes of generation + import)
    .venv/bin/python bench/run.py --sections metrics,cli --no-doc

Every size: generate + import once (cached in bench/out/), check ours == pandas baseline (abort with the
diff otherwise), then time. Writes bench/out/results.json and docs/performance.md (unless --no-doc).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import datasets as ds  # noqa: E402

PY = sys.executable
FILTERS = {
    "all": {},
    "q2+src": {"from": "2024-04-01", "to": "2024-06-30", "sources": ["线上广告"]},  # one quarter + one source
}
# the whole figure set: HEADLINE (what a screen or the report draws: every figure, the lead lists cut to
# their first 100 rows, their counts whole) and the CLI's JSON with the lead lists in full
HEADLINE = "figure set (figures, lists to 100 rows)"
FIGURE_SETS = {"figures_top100": HEADLINE, "figures": "figure set, full lead lists (figures)"}
BASELINE_NOTE = "1m"  # set from --baseline-max
FAMILIES = ("cohort_funnel", "time_in_stage", "cycle", "loss", "leaderboards", "followup", "trends")
DOC = ROOT / "docs" / "performance.md"
RESULTS = ds.OUT / "results.json"


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def stats(values: list[float]) -> dict:
    v = np.asarray(values, dtype=float)
    if not len(v):
        return {"median": None, "iqr": None, "n": 0}
    q1, med, q3 = np.percentile(v, [25, 50, 75])
    return {"median": float(med), "iqr": float(q3 - q1), "n": len(v), "values": [float(x) for x in v]}


def run_child(args: list[str], env: dict | None = None) -> tuple[dict, float, float]:
    """Run a Python child under bench/peak.py; return (its last JSON line, wall seconds, its own peak RSS MiB).

    (wait4's ru_maxrss would start at this harness's RSS: Linux copies the parent's high-water mark at fork.)"""
    assert args[0] == PY
    args = [PY, str(ROOT / "bench" / "peak.py"), *args[1:]]
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(ROOT),
                            env={**os.environ, **(env or {})})
    out, err = proc.stdout.read(), proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])} failed ({proc.returncode}):\n{err.decode()[-3000:]}")
    peak = [float(ln.split()[1]) for ln in err.decode().splitlines() if ln.startswith("__PEAK_MIB__")]
    lines = [ln for ln in out.decode().splitlines() if ln.strip()]
    try:
        payload = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    except json.JSONDecodeError:
        payload = {}
    return payload | {"_stdout": out.decode()}, wall, (peak[-1] if peak else usage.ru_maxrss / 1024)


class Server:
    """A long-lived worker (bench.worker serve) answering one timing request per line."""

    def __init__(self, side: str, db: Path):
        self.proc = subprocess.Popen([PY, "-m", "bench.worker", "serve", side, str(db)], cwd=str(ROOT),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ready = json.loads(self.proc.stdout.readline())
        self.base_mib = ready["peak_mib"]

    def ask(self, fig: str, flt: dict) -> dict:
        self.proc.stdin.write(json.dumps({"fig": fig, "filter": flt}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"worker died on {fig}")
        return json.loads(line)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def row(section, figure, size, ours, base=None, ours_rss=None, base_rss=None, note="") -> dict:
    o, b = stats(ours), stats(base or [])
    ratio = (b["median"] / o["median"]) if (b["median"] and o["median"]) else None
    return {"section": section, "figure": figure, "size": size, "ours": o, "base": b, "ratio": ratio,
            "ours_rss_mib": ours_rss, "base_rss_mib": base_rss, "note": note}


# ------------------------------------------------------------------------------------------------ sections
def check_correctness(n: int, seed: int) -> None:
    import duckdb

    from bench.check import check_db
    from bench.worker import filter_from

    db = ds.ensure_db(n, seed, log=log)
    con = duckdb.connect(str(db), read_only=True)
    diffs = check_db(con, [(k, filter_from(v)) for k, v in FILTERS.items()])
    con.close()
    if diffs:
        log(f"CORRECTNESS CHECK FAILED at {n:,} leads: ours != pandas baseline ({len(diffs)} differences)")
        for d in diffs[:60]:
            log("  " + d)
        raise SystemExit(2)
    log(f"  correctness: ours == pandas baseline at {n:,} leads (filters: {', '.join(FILTERS)})")


def bench_metrics(n: int, seed: int, repeat: int, baseline: bool = True) -> list[dict]:
    db = ds.ensure_db(n, seed, log=log)
    label = ds.size_label(n)
    ours = Server("ours", db)
    base = Server("pandas", db) if baseline else None
    sides = ((ours, 0), (base, 1)) if baseline else ((ours, 0),)
    out = []
    try:
        jobs = [(f, k) for k in FILTERS for f in FAMILIES] + [(f, k) for f in FIGURE_SETS for k in FILTERS]
        for fig, k in jobs:  # warm-up (the DuckDB file's pages, the pandas frames are already in memory)
            for srv, idx in sides:
                if not (idx == 1 and fig == "figures_top100"):
                    srv.ask(fig, FILTERS[k])
        res = {j: ([], [], [], []) for j in jobs}
        der = ([], [])
        for i in range(repeat):
            for j in jobs:
                for srv, idx in (sides if i % 2 == 0 else sides[::-1]):
                    if idx == 1 and j[0] == "figures_top100":
                        continue  # pandas computes the same whole lists for both figure sets: timed once
                    r = srv.ask(j[0], FILTERS[j[1]])
                    res[j][idx].append(r["s"])
                    res[j][2 + idx].append(r["peak_mib"])
            if baseline:
                r = base.ask("derive", {})
                der[0].append(r["s"])
                der[1].append(r["peak_mib"])
        for k in FILTERS:  # the baseline of the capped figure set is the pandas figure set's own run
            res[("figures_top100", k)][1][:] = res[("figures", k)][1]
            res[("figures_top100", k)][3][:] = res[("figures", k)][3]
        note_base = "" if baseline else f"no pandas baseline above {BASELINE_NOTE}"
        for (fig, k), (o, b, orss, brss) in res.items():
            name = FIGURE_SETS.get(fig, fig)
            note = note_base or ("pandas: derivation from raw tables included (one run serves both figure sets)"
                                 if fig in FIGURE_SETS
                                 else "pandas: on frames derived once (derivation excluded)")
            out.append(row("metrics", f"{name} [{k}]", label, o, b or None, max(orss),
                           max(brss) if brss else None, note))
        if baseline:
            out.append(row("metrics", "pandas: derive per-lead facts + intervals", label, der[0], None,
                           max(der[1]), note="baseline only: the per-lead layout pandas rebuilds per figure set"))
    finally:
        ours.close()
        if base is not None:
            base.close()
    return out


def bench_cli(n: int, seed: int, repeat: int, baseline: bool = True) -> list[dict]:
    from bench.check import compare
    from bench import pandas_figures as pf  # noqa: F401

    db = ds.ensure_db(n, seed, log=log)
    ours_cmd = [PY, "-m", "funnel", "metrics", "--db", str(db), "--json"]
    if not baseline:
        ot, orss = [], []
        for _ in range(repeat):
            _, wall, mr = run_child(ours_cmd)
            ot.append(wall)
            orss.append(mr)
        return [row("cli", "CLI metrics --json, whole process (vs pandas script on Parquet)", ds.size_label(n), ot,
                    None, max(orss), note=f"no pandas baseline above {BASELINE_NOTE}")]
    pq = ds.ensure_parquet(n, seed, log=log)
    base_cmd = [PY, str(ROOT / "bench" / "pandas_cli.py"), str(pq)]
    # correctness of the two processes' outputs first
    o, _, _ = run_child(ours_cmd)
    b, _, _ = run_child(base_cmd)
    diffs = compare(json.loads(o["_stdout"]), json.loads(b["_stdout"]))
    if diffs:
        log("CLI OUTPUTS DIFFER:\n  " + "\n  ".join(diffs[:40]))
        raise SystemExit(2)
    ot, bt, orss, brss = [], [], [], []
    for i in range(repeat):
        order = ((ours_cmd, ot, orss), (base_cmd, bt, brss))
        for cmd, times, rss in (order if i % 2 == 0 else order[::-1]):
            _, wall, mr = run_child(cmd)
            times.append(wall)
            rss.append(mr)
    return [row("cli", "CLI metrics --json, whole process (vs pandas script on Parquet)", ds.size_label(n), ot, bt,
                max(orss), max(brss))]


def bench_import(n: int, seed: int, repeat: int, xlsx: bool) -> list[dict]:
    f = ds.ensure_files(n, seed, xlsx=xlsx, log=log)
    label = ds.size_label(n)
    out = []
    sets = [("import template CSV + UTF-8 stage log + roster (derived incl.)",
             [f["template_csv"], ds.ensure_utf8_stage_log(n, seed, log=log), f["roster"]]),
            ("import template CSV + GB18030 stage log + roster (derived incl.)",
             [f["template_csv"], f["stage_log"], f["roster"]])]
    if xlsx:
        sets.insert(0, ("import template XLSX (derived incl.)", [f["template_xlsx"]]))
    for name, paths in sets:
        ot, bt, orss, brss, derived = [], [], [], [], []
        for i in range(repeat):
            order = (("ours", ot, orss), ("pandas", bt, brss))
            for side, times, rss in (order if i % 2 == 0 else order[::-1]):
                payload, _, mr = run_child([PY, "-m", "bench.worker", "import", side, *map(str, paths)])
                times.append(payload["s"])
                rss.append(mr)
                if "derived_s" in payload:
                    derived.append(payload["derived_s"])
            log(f"    {name} {label} run {i + 1}: ours {ot[-1]:.2f} s, pandas {bt[-1]:.2f} s")
        out.append(row("import", name, label, ot, bt, max(orss), max(brss),
                       f"refresh_derived median {np.median(derived):.2f} s; baseline: the files read (pandas "
                       "read_csv, dates parsed / python-calamine), nothing validated or stored"))
    return out


def bench_dashboard(db: Path, label: str, repeat: int) -> list[dict]:
    tmp = ds.OUT / f"dash_{label}.duckdb"
    shutil.copy(db, tmp)
    try:
        payload, _, mr = run_child([PY, "-m", "bench.worker", "dashboard", str(tmp), str(repeat)])
    finally:
        for p in (tmp, Path(str(tmp) + ".wal")):
            p.unlink(missing_ok=True)
    return [row("dashboard", "dashboard filter change, cache miss (AppTest, Overview)", label, payload["miss"],
                ours_rss=mr, note=f"first run (startup) {payload['first_s']:.2f} s"),
            row("dashboard", "dashboard filter change, cache hit (AppTest, Overview)", label, payload["hit"],
                ours_rss=mr)]


def sample_db() -> Path:
    """The 2,000-lead sample of data/sample/ imported through the loader (the 'sample data' target)."""
    from funnel.store.bootstrap import sample_files
    from funnel.store.db import connect
    from funnel.store.loader import import_files

    path = ds.OUT / "sample" / "funnel.duckdb"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        con = connect(path)
        import_files(con, sample_files(), who="bench")
        con.execute("checkpoint")
        con.close()
    return path


# ------------------------------------------------------------------------------------------------ output
def fmt(x, digits=3):
    return "—" if x is None else f"{x:.{digits}f}"


def table(rows: list[dict]) -> str:
    head = ("| figure | size | median s | IQR s | baseline median s | ratio baseline/ours | peak RSS MiB "
            "(ours / baseline) |\n|---|---|---:|---:|---:|---:|---:|")
    lines = [head]
    for r in rows:
        rss = fmt(r["ours_rss_mib"], 0) + (f" / {fmt(r['base_rss_mib'], 0)}" if r["base_rss_mib"] else "")
        lines.append(f"| {r['figure']} | {r['size']} | {fmt(r['ours']['median'])} | {fmt(r['ours']['iqr'])} | "
                     f"{fmt(r['base']['median'])} | {fmt(r['ratio'], 1)} | {rss} |")
    return "\n".join(lines)


def find(rows, section, size, prefix):
    for r in rows:
        if r["section"] == section and r["size"] == size and r["figure"].startswith(prefix):
            return r
    return None


def targets(rows: list[dict]) -> list[tuple[str, str, str]]:
    """(target, measured, verdict) for every target of the issue that this run measured."""
    out = []

    def add(name, r, limit, kind="lt", value=None):
        if r is None and value is None:
            out.append((name, "not measured in this run", "—"))
            return
        v = value if value is not None else r["ours"]["median"]
        ok = v < limit if kind == "lt" else v >= limit
        if kind == "lt":
            how = f"{v:.3f} s vs < {limit} s: " + ("met" if ok else f"MISSED by {v - limit:.3f} s ({v / limit:.1f}x)")
        else:
            how = f"{v:.1f}x vs >= {limit}x: " + ("met" if ok else f"MISSED ({v / limit:.2f} of the target)")
        out.append((name, how, "met" if ok else "missed"))

    add("1M warm: whole figure set unfiltered < 0.3 s", find(rows, "metrics", "1m", f"{HEADLINE} [all]"), 0.3)
    add("1M warm: whole figure set filtered < 0.15 s", find(rows, "metrics", "1m", f"{HEADLINE} [q2"), 0.15)
    add("5M: whole figure set < 1.5 s", find(rows, "metrics", "5m", f"{HEADLINE} [all]"), 1.5)
    r = find(rows, "dashboard", "5m", "dashboard filter change, cache miss")
    if r:
        ok = r["ours_rss_mib"] < 4096
        out.append(("5M: dashboard RSS < 4 GiB", f"{r['ours_rss_mib']:.0f} MiB", "met" if ok else "missed"))

    def within(name, r, times):
        """ours <= times x the baseline (ratio baseline/ours >= 1/times)."""
        if r is None or not r["ratio"]:
            out.append((name, "not measured in this run", "—"))
            return
        x = 1 / r["ratio"]
        ok = x <= times
        out.append((name, f"ours {r['ours']['median']:.2f} s, baseline {r['base']['median']:.2f} s: {x:.2f}x" +
                    ("" if ok else f", MISSED by {x / times:.1f}x"), "met" if ok else "missed"))

    within("import 1M leads + UTF-8 stage log <= 2x pandas reading the same files (derived incl.)",
           find(rows, "import", "1m", "import template CSV + UTF-8"), 2)
    within("import 1M leads + GB18030 stage log <= 2x pandas reading the same files (derived incl.)",
           find(rows, "import", "1m", "import template CSV + GB18030"), 2)
    within("import 100k-row template XLSX <= 2x python-calamine reading the sheet",
           find(rows, "import", "100k", "import template XLSX"), 2)
    r = find(rows, "import", "5m", "import template CSV")
    out.append(("import 5M timed", f"{r['ours']['median']:.1f} s" if r else "not measured in this run",
                "met" if r else "—"))
    within("CLI metrics --json whole process on 1M <= 0.34x the idiomatic pandas script",
           find(rows, "cli", "1m", "CLI"), 0.34)
    add("dashboard filter change < 0.5 s on cache miss (sample data)",
        find(rows, "dashboard", "sample", "dashboard filter change, cache miss"), 0.5)
    return out


def machine() -> dict:
    import pandas as pd
    import pyarrow

    from bench.machine import machine as base

    return base() | {"pandas": pd.__version__, "pyarrow": pyarrow.__version__, "numpy": np.__version__,
                     "load_avg": os.getloadavg()}


MARK_BEGIN, MARK_END = "<!-- analysis:begin -->", "<!-- analysis:end -->"


def _conditions(info: dict) -> str:
    """How busy the machine was, from the load average at the end of the run (more than one runnable task per core:
    something else ran beside the harness)."""
    load = ", ".join(f"{x:.1f}" for x in info["load_avg"])
    busy = "The machine was shared and noisy" if max(info["load_avg"]) > info["nproc"] else "The machine was quiet"
    return f"{busy} (load average at the end of the run: {load} on {info['nproc']} cores)"


def write_doc(rows: list[dict], info: dict, args) -> None:
    old = DOC.read_text() if DOC.exists() else ""
    analysis = ""
    if MARK_BEGIN in old and MARK_END in old:
        analysis = old[old.index(MARK_BEGIN) + len(MARK_BEGIN):old.index(MARK_END)].strip("\n")
    # What follows the analysis (sections other scripts keep, e.g. bench/review.py's table) stays as it is.
    tail = old[old.index(MARK_END) + len(MARK_END):] if MARK_END in old else "\n"
    sizes = ", ".join(sorted({r["size"] for r in rows}, key=lambda s: ds.parse_size(s) if s[0].isdigit() else 0))
    tgt = "\n".join(f"| {a} | {b} | {c} |" for a, b, c in targets(rows))
    text = f"""# Performance

Measured by `bench/run.py` (see `bench/README.md`) on {info['date']}: sizes {sizes}, {args.repeat} runs per
figure, A/B interleaved (ours and the baseline alternate, the order flipping every run), median and IQR.

**Machine**: {info['nproc']} cores, {info['ram_gib']} GiB RAM, {info['cpu']}; Python {info['python']},
DuckDB {info['duckdb']}, pandas {info['pandas']}, pyarrow {info['pyarrow']}, numpy {info['numpy']}.
{_conditions(info)}: compare the ratios (measured interleaved) more than the absolute seconds.

Data: `data/generate_sample.py` (seed {args.seed}), about 3.2 stage events and 5 activities per lead; the
template CSV (UTF-8 with BOM), the stage log (GB18030) and the roster imported through
`funnel.store.loader.import_files` (so the derived tables exist). Before any timing the harness checks that
`funnel.metrics.figures` equals the pandas baseline (`bench/pandas_figures.py`) on the key figures, with and
without the filter, and that the CLI's JSON equals the pandas script's; it aborts with the diff otherwise.

Filters: `[all]` = no filter; `[q2+src]` = acquired 2024-04-01..2024-06-30 and source 线上广告 (one quarter +
one source). Peak RSS: for in-process figures the peak of the worker process during the call (VmHWM reset via
`/proc/self/clear_refs`; it includes what the process already holds: DuckDB's buffer pool, or the pandas
frames); for whole processes (import, CLI, dashboard) the child's own VmHWM at exit (`bench/peak.py`; not
`wait4`, whose ru_maxrss starts at the parent's RSS on Linux).

## Results

{table(rows)}

Notes per row: {"; ".join(f"{r['figure']} ({r['size']}): {r['note']}" for r in rows if r['note'] and r['section'] != 'metrics') or "—"}.
Metric families: the pandas column is the family on frames already derived once (derivation excluded), so
the family ratios are conservative; the `figure set` rows include pandas' derivation from the raw tables
(that is what a pandas user must do per figure set), and the `pandas: derive` row shows its cost alone.

## Targets of the issue

| target | measured | verdict |
|---|---|---|
{tgt}

{MARK_BEGIN}
{analysis or "_(analysis: see the reply of the benchmark run)_"}
{MARK_END}"""
    DOC.write_text(text + tail)
    log(f"wrote {DOC}")


# ------------------------------------------------------------------------------------------------ main
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10k,100k,1m", help="comma list, e.g. 10k,100k,1m (5m optional)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="10k only, 3 runs: smoke-test the harness")
    ap.add_argument("--seed", type=int, default=ds.DEFAULT_SEED)
    ap.add_argument("--sections", default="metrics,cli,dashboard,import")
    ap.add_argument("--xlsx-size", default="100k", help="size at which the template XLSX import is timed")
    ap.add_argument("--import-max", default="100k",
                    help="largest size whose import is timed --repeat times; above it the one cached build "
                         "(bench/out/.../meta.json db_build_s) is reported (1 run)")
    ap.add_argument("--import-repeat", type=int, default=None,
                    help="runs per import figure (default: --repeat); imports are the slow part")
    ap.add_argument("--large-import-repeat", type=int, default=3,
                    help="runs per timed import at 1M leads and above (each takes a minute or more)")
    ap.add_argument("--baseline-max", default="1m",
                    help="largest size given the pandas baseline and the correctness gate (above it the pandas "
                         "frames alone outgrow the machine: ~4 GiB per 1M leads); larger sizes time ours only")
    ap.add_argument("--no-doc", action="store_true", help="do not write docs/performance.md")
    ap.add_argument("--merge", action="store_true", help="keep rows of bench/out/results.json not re-measured")
    ap.add_argument("--doc-only", action="store_true",
                    help="rewrite docs/performance.md (and print the table) from bench/out/results.json")
    args = ap.parse_args(argv)
    if args.doc_only:
        saved = json.loads(RESULTS.read_text())
        print(table(saved["rows"]))
        for a, b, c in targets(saved["rows"]):
            print(f"- {a}: {b} [{c}]")
        write_doc(saved["rows"], saved["machine"], args)
        return 0
    if args.quick:
        args.sizes, args.repeat, args.xlsx_size = "10k", min(args.repeat, 3), "10k"
    sizes = [ds.parse_size(s) for s in args.sizes.split(",") if s.strip()]
    sections = set(args.sections.split(","))
    xlsx_n = ds.parse_size(args.xlsx_size)
    import_max = ds.parse_size(args.import_max)
    baseline_max = ds.parse_size(args.baseline_max)
    global BASELINE_NOTE
    BASELINE_NOTE = ds.size_label(baseline_max)

    log("preparing data and checking correctness ...")
    for n in sizes:
        ds.ensure_files(n, args.seed, xlsx=(n == xlsx_n and "import" in sections), log=log)
        ds.ensure_db(n, args.seed, log=log)
        if n <= baseline_max:
            check_correctness(n, args.seed)
        else:
            log(f"  {ds.size_label(n)}: above --baseline-max, no pandas baseline and no correctness gate "
                f"(the same code passed it at {BASELINE_NOTE})")

    rows: list[dict] = []
    for n in sizes:
        label = ds.size_label(n)
        if "metrics" in sections:
            log(f"metrics {label} ...")
            rows += bench_metrics(n, args.seed, args.repeat, baseline=n <= baseline_max)
        if "cli" in sections:
            log(f"cli {label} ...")
            rows += bench_cli(n, args.seed, args.repeat, baseline=n <= baseline_max)
        if "dashboard" in sections:
            log(f"dashboard {label} ...")
            rows += bench_dashboard(ds.ensure_db(n, args.seed, log=log), label, args.repeat)
    if "dashboard" in sections:
        log("dashboard sample ...")
        rows += bench_dashboard(sample_db(), "sample", args.repeat)
    if "import" in sections:
        for n in sizes:
            if n <= import_max:
                log(f"import {ds.size_label(n)} ...")
                reps = args.import_repeat or args.repeat
                if n >= 1_000_000:
                    reps = min(reps, args.large_import_repeat)
                rows += bench_import(n, args.seed, reps, xlsx=(n == xlsx_n))
            elif ds.meta(n, args.seed).get("db_build_s"):
                m = ds.meta(n, args.seed)
                rows.append(row("import", "import template CSV + GB18030 stage log + roster (derived incl.)",
                                ds.size_label(n), [m["db_build_s"]],
                                note=f"1 run: the cached build of bench/out ({m['rows']['stage_events']:,} events, "
                                     f"{m['rows']['activities']:,} activities); rerun with --import-max to repeat"))

    if args.merge and RESULTS.exists():
        old = json.loads(RESULTS.read_text())["rows"]
        seen = {(r["section"], r["figure"], r["size"]) for r in rows}
        rows = [r for r in old if (r["section"], r["figure"], r["size"]) not in seen] + rows
    order = {"import": 0, "metrics": 1, "cli": 2, "dashboard": 3}
    size_order = lambda s: (0, 0) if s == "sample" else (1, ds.parse_size(s))  # noqa: E731
    rows.sort(key=lambda r: (order[r["section"]], size_order(r["size"])))
    info = machine()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"machine": info, "rows": rows}, indent=1, ensure_ascii=False))
    print(table(rows))
    print()
    for a, b, c in targets(rows):
        print(f"- {a}: {b} [{c}]")
    if not args.no_doc:
        write_doc(rows, info, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
