"""Load / soak test of the dashboard: N concurrent browser-like sessions against a local Streamlit server.

    .venv/bin/python bench/load.py                      # 20 sessions, 180 s, the 1M-lead dataset
    .venv/bin/python bench/load.py --duration-s 300 --doc   # ... and write docs/load.md (+ docs/load_rss.png)
    .venv/bin/python bench/load.py --quick              # 3 sessions, 20 s, the sample data (smoke test)

The script starts its own server (``streamlit run app.py`` on 127.0.0.1 and a free port, on a *copy* of the
database in a temporary folder), always stops it (also on Ctrl-C / SIGTERM), and refuses any host but
127.0.0.1 / localhost. Each session is a websocket client speaking Streamlit's protocol (bench/load_client.py):
it opens a link (random page + filters in the query string), then, for the duration, switches pages,
changes a sidebar filter, or now and then opens a new link (a new server session), with a think time
between actions; every action is timed until the server reports the script run finished. A sampler reads
the server's VmRSS / VmHWM / CPU time from /proc/<pid>/ every ``--sample-s`` seconds, before, during and
after the load. Output: a table on stdout, the raw samples as JSON (``--out``), and with ``--doc``
docs/load.md (which explains the method and the figures).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.load_client import LOCAL_HOSTS, StreamlitSession, check_local  # noqa: E402

PY = sys.executable
OUT_DIR = ROOT / "bench" / "out"
DOC = ROOT / "docs" / "load.md"
PNG = ROOT / "docs" / "load_rss.png"
DEFAULT_DB = OUT_DIR / "n1000000_s20240101" / "funnel.duckdb"
ACTIONS = ("open", "page", "filter")
FILTER_KEYS = ("w_sources", "w_reps", "w_managers", "w_teams", "w_dates", "w_grain", "w_stalled")
BROWSER_META: dict = {}  # the observer's Chromium CPU time
MARK_BEGIN, MARK_END = "<!-- analysis:begin -->", "<!-- analysis:end -->"


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


# ------------------------------------------------------------------------------------------------ server
class Server:
    """``streamlit run app.py`` on a copy of the database; owned by this process and always stopped."""

    def __init__(self, host: str, port: int, db: Path | None, workdir: Path, probe: bool = False,
                 tracemalloc: bool = False):
        if host not in LOCAL_HOSTS:
            raise SystemExit(f"refusing host {host!r}: the load test runs against this machine only")
        self.host, self.port, self.workdir = host, port, workdir
        (workdir / "shared").mkdir(parents=True, exist_ok=True)
        self.db = workdir / "funnel.duckdb"
        self.source_db = db
        if db is not None:  # the server opens the file read-write: never hand it the original
            shutil.copy2(db, self.db)
            if Path(str(db) + ".wal").exists():
                shutil.copy2(str(db) + ".wal", str(self.db) + ".wal")
        self.log_path = workdir / "server.log"
        self.probe_path = workdir / "probe.jsonl" if probe else None
        self.tracemalloc = tracemalloc
        self.proc: subprocess.Popen | None = None
        self.base = f"http://{host}:{port}"

    def start(self, timeout_s: float = 120) -> float:
        env = dict(os.environ, LEAD_FUNNEL_DB=str(self.db), LEAD_FUNNEL_SHARED_DIR=str(self.workdir / "shared"),
                   LEAD_FUNNEL_BACKUP_DIR=str(self.workdir / "backups"))
        env.pop("LEAD_FUNNEL_NO_SAMPLE", None)  # an empty database (--sample) gets data/sample/ on first start
        env.setdefault("MALLOC_ARENA_MAX", "2")  # as scripts/run.sh starts the server
        if self.probe_path is not None:  # bench/probe/sitecustomize.py: allocator figures every 10 s
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "bench" / "probe"), env.get("PYTHONPATH")]))
            env["LEAD_FUNNEL_PROBE_OUT"] = str(self.probe_path)
            if self.tracemalloc:
                env["LEAD_FUNNEL_PROBE_TRACEMALLOC"] = "1"
        self._log = open(self.log_path, "w")
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            [PY, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(self.port),
             "--server.address", self.host, "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited during start:\n" + self.log_path.read_text()[-3000:])
            try:
                with urllib.request.urlopen(self.base + "/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        return time.perf_counter() - started
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("server did not become healthy:\n" + self.log_path.read_text()[-3000:])

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if getattr(self, "_log", None):
            self._log.close()

    def log_problems(self) -> list[str]:
        """Lines of the server log that report a failure (tracebacks, errors, 'page failed')."""
        if not self.log_path.exists():
            return []
        keys = ("Traceback", "ERROR", "Error", "Exception", "page failed", "Rejecting", "WARNING")
        return [ln.rstrip() for ln in self.log_path.read_text(errors="replace").splitlines()
                if any(k in ln for k in keys)]


# ----------------------------------------------------------------------------------------------- sampler
def read_proc(pid: int) -> dict | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    out = {}
    for line in status.splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            out[key] = int(value.split()[0]) / 1024  # kB -> MiB
        elif key == "Threads":
            out["threads"] = int(value)
    fields = stat[stat.rindex(")") + 2:].split()
    out["cpu_s"] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    return out


CACHE_LINE = re.compile(r'^cache_memory_bytes\{(?P<labels>[^}]*)\}\s+(?P<value>[0-9.eE+]+)')


def read_cache_bytes(base: str) -> dict[str, float] | None:
    """Streamlit's own accounting of what its caches and session states hold (``/_stcore/metrics``), in MiB
    by ``cache_type:cache`` (see ``parse_cache_bytes``). None when the server does not answer in 5 s."""
    try:
        with urllib.request.urlopen(base + "/_stcore/metrics?families=cache_memory_bytes", timeout=5) as resp:
            return parse_cache_bytes(resp.read().decode())
    except OSError:
        return None


def parse_cache_bytes(text: str) -> dict[str, float]:
    """The ``cache_memory_bytes`` lines of an OpenMetrics text, summed in MiB by ``cache_type:cache``
    (st_cache_data entries are counted by their pickled size, st_session_state per key)."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        m = CACHE_LINE.match(line)
        if not m:
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m["labels"]))
        key = f"{labels.get('cache_type', '?')}:{labels.get('cache', '?')}"
        out[key] = out.get(key, 0.0) + float(m["value"]) / 2**20
    return {k: round(v, 3) for k, v in sorted(out.items())}


class Sampler(threading.Thread):
    """Reads the server's memory and CPU time every ``interval`` seconds; ``phase`` tags each sample."""

    def __init__(self, pid: int, interval: float, t0: float, base: str | None = None, caches_every_s: float = 10.0):
        super().__init__(daemon=True)
        self.pid, self.interval, self.t0 = pid, interval, t0
        self.base, self.caches_every_s, self._caches_at = base, caches_every_s, -1e9
        self.phase = "startup"
        self.rows: list[dict] = []
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(self.interval)

    def sample(self) -> None:
        info = read_proc(self.pid)
        if info is None:
            return
        now = time.perf_counter()
        if self.base and now - self._caches_at >= self.caches_every_s:
            self._caches_at = now
            caches = read_cache_bytes(self.base)
            if caches is not None:
                info["caches_mib"] = caches
        self.rows.append({"t": round(now - self.t0, 3), "phase": self.phase, "load1": os.getloadavg()[0], **info})

    def stop(self) -> None:
        if self._halt.is_set():
            return
        self._halt.set()
        self.join(timeout=5)
        self.sample()


# ---------------------------------------------------------------------------------------------- sessions
class Options:
    """What the links and filters are drawn from (read off the sidebar of the first session)."""

    def __init__(self, session: StreamlitSession):
        w = session.widgets
        self.slugs = sorted(session.pages) or [""]
        self.values = {k: list(w[k].options) for k in ("w_sources", "w_reps", "w_managers", "w_teams") if k in w}
        self.grains = list(w["w_grain"].options) if "w_grain" in w else []
        low = w["w_dates"].min.replace("/", "-") if "w_dates" in w else ""
        high = w["w_dates"].max.replace("/", "-") if "w_dates" in w else ""
        self.low = dt.date.fromisoformat(low) if low else None
        self.high = dt.date.fromisoformat(high) if high else None

    def date_range(self, rng: random.Random) -> tuple[str, str] | None:
        """None (all dates), or one month or one quarter inside the data's range."""
        if self.low is None or self.high is None:
            return None
        kind = rng.choice(("all", "month", "quarter"))
        if kind == "all":
            return None
        months = [(y, m) for y in range(self.low.year, self.high.year + 1) for m in range(1, 13)
                  if dt.date(y, m, 1) >= self.low.replace(day=1) and dt.date(y, m, 1) <= self.high]
        y, m = rng.choice(months)
        if kind == "quarter":
            m = (m - 1) // 3 * 3 + 1
        span = 3 if kind == "quarter" else 1
        start = max(dt.date(y, m, 1), self.low)
        ny, nm = (y + (m + span - 1) // 12, (m + span - 1) % 12 + 1)
        end = min(dt.date(ny, nm, 1) - dt.timedelta(days=1), self.high)
        return start.isoformat(), end.isoformat()

    def link(self, rng: random.Random) -> str:
        """A query string as a copied link carries: language, and some filters."""
        params: list[tuple[str, str]] = [("lang", rng.choice(("zh", "en")))]
        rangeq = self.date_range(rng)
        if rangeq:
            params += [("from", rangeq[0]), ("to", rangeq[1])]
        for key, param, p in (("w_sources", "source", 0.4), ("w_teams", "team", 0.2), ("w_reps", "rep", 0.15),
                              ("w_managers", "manager", 0.1)):
            if self.values.get(key) and rng.random() < p:
                params.append((param, rng.choice(self.values[key])))
        if rng.random() < 0.3:
            params.append(("grain", rng.choice(("week", "quarter"))))
        if rng.random() < 0.15:
            params.append(("stalled", str(rng.choice((3, 10, 14, 30)))))
        return urlencode(params)

    def filter_change(self, session: StreamlitSession, rng: random.Random) -> tuple[str, object, str] | None:
        keys = [k for k in FILTER_KEYS if k in session.widgets]
        if not keys:
            return None
        key = rng.choice(keys)
        w = session.widgets[key]
        if key == "w_dates":
            r = self.date_range(rng) or (self.low.isoformat(), self.high.isoformat())
            return key, list(r), f"dates={r[0]}..{r[1]}"
        if key == "w_grain":
            value = rng.choice(w.options)
            return key, value, f"grain={value}"
        if key == "w_stalled":
            value = rng.choice((3, 5, 7, 10, 14, 30))
            return key, value, f"stalled={value}"
        count = rng.choice((0, 1, 1, 2)) if key in ("w_sources", "w_reps") else rng.choice((0, 1))
        value = rng.sample(list(w.options), min(count, len(w.options)))
        return key, value, f"{key[2:]}={'+'.join(value) or 'all'}"


async def run_session(idx: int, base: str, opts: Options, args, t0: float, deadline: float,
                      results: list[dict]) -> None:
    rng = random.Random(args.seed * 1000 + idx)
    await asyncio.sleep(idx * args.ramp_s / max(args.sessions, 1))
    session = StreamlitSession(base, locale=rng.choice(("zh-CN", "en-US")), timeout_s=args.timeout_s)
    weights = [args.mix[a] for a in ACTIONS]
    try:
        while time.perf_counter() < deadline:
            action = "open" if session.ws is None else rng.choices(ACTIONS, weights)[0]
            started = time.perf_counter() - t0
            if action == "page" or (action == "filter" and not any(k in session.widgets for k in FILTER_KEYS)):
                here = session.current_slug()
                choices = [s for s in session.pages if s != here] or [here]
                res = await session.switch_page(rng.choice(choices))
            elif action == "filter":
                key, value, label = opts.filter_change(session, rng)
                res = await session.set_widget(key, value, label)
            else:
                res = await session.open(rng.choice(opts.slugs), opts.link(rng))
            results.append({"session": idx, "t": round(started, 3), "action": res.action,
                            "page": res.page or "overview", "detail": res.detail, "s": round(res.seconds, 4),
                            "ok": res.ok, "error": res.error, "messages": res.messages, "bytes": res.bytes,
                            "refs": res.refs, "warnings": res.warnings[:3]})
            if not res.ok:
                log(f"  session {idx}: {res.action} {res.page} failed after {res.seconds:.1f} s: {res.error}")
            if args.think_s > 0:
                await asyncio.sleep(args.think_s * rng.uniform(0.5, 1.5))
    finally:
        await session.close()


async def drive(base: str, args, sampler: Sampler, t0: float) -> tuple[dict, list[dict], list[dict], float, float]:
    """The first (cold) page load, then the sessions (and the browser observer) for ``args.duration_s``.
    Returns (cold load, session samples, browser samples, load start, load end) in seconds since t0."""
    probe = StreamlitSession(base, locale="zh-CN", timeout_s=args.timeout_s)
    sampler.phase = "first load"
    res = await probe.open("", "lang=zh")
    await probe.close()
    if not res.ok:
        raise RuntimeError(f"the first page load failed: {res.error}")
    cold = {"s": round(res.seconds, 3), "bytes": res.bytes}
    opts = Options(probe)
    log(f"first page load (cold caches): {res.seconds:.2f} s; pages: {', '.join(s or 'overview' for s in opts.slugs)}")
    results: list[dict] = []
    browser: list[dict] = []
    sampler.phase = "load"
    start = time.perf_counter()
    deadline = start + args.duration_s
    tasks = [asyncio.create_task(run_session(i, base, opts, args, t0, deadline, results))
             for i in range(args.sessions)]
    if args.browser_observer:
        from bench.load_browser import observe

        tasks.append(asyncio.create_task(observe(base, t0, deadline, browser, args.seed, args.timeout_s,
                                                 max(args.think_s, 0.5), BROWSER_META)))
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    end = time.perf_counter()
    sampler.phase = "after"
    return cold, results, browser, start - t0, end - t0


# ----------------------------------------------------------------------------------------------- figures
def percentiles(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    v = np.asarray(values, dtype=float)
    p = np.percentile(v, [50, 90, 95, 99])
    return {"n": len(v), "p50": float(p[0]), "p90": float(p[1]), "p95": float(p[2]), "p99": float(p[3]),
            "max": float(v.max()), "mean": float(v.mean())}


def latency_stats(results: list[dict], load_end: float, actions: tuple[str, ...] = ACTIONS) -> dict:
    counted = [r for r in results if r["t"] <= load_end]
    out = {"by_action": {}, "by_page": {}}
    for action in actions + ("all",):
        rows = [r for r in counted if action == "all" or r["action"] == action]
        ok = [r["s"] for r in rows if r["ok"]]
        out["by_action"][action] = percentiles(ok) | {"errors": sum(not r["ok"] for r in rows), "count": len(rows),
                                                      "mib_median": (float(np.median([r["bytes"] for r in rows]))
                                                                     / 2**20 if rows else None)}
    for page in sorted({r["page"] for r in counted}):
        rows = [r for r in counted if r["page"] == page]
        out["by_page"][page] = percentiles([r["s"] for r in rows if r["ok"]]) | {
            "errors": sum(not r["ok"] for r in rows),
            "mib_max": max(r["bytes"] for r in rows) / 2**20}
    return out


def memory_stats(rows: list[dict], load_start: float, load_end: float) -> dict:
    """RSS during the load in thirds (by time), the slope of the last two thirds, and a verdict."""
    load = [r for r in rows if load_start <= r["t"] <= load_end and "VmRSS" in r]
    before = [r for r in rows if r["t"] < load_start and "VmRSS" in r]
    after = [r for r in rows if r["t"] > load_end and "VmRSS" in r]
    if len(load) < 6:
        return {"verdict": "too few samples", "n": len(load)}
    span = load_end - load_start
    thirds = [[r["VmRSS"] for r in load if load_start + i * span / 3 <= r["t"] <= load_start + (i + 1) * span / 3]
              for i in range(3)]
    med = [float(np.median(t)) if t else None for t in thirds]
    tail = [r for r in load if r["t"] >= load_start + span / 3]
    slope = float(np.polyfit([r["t"] / 60 for r in tail], [r["VmRSS"] for r in tail], 1)[0]) if len(tail) > 2 else None
    last_half = [r for r in load if r["t"] >= load_start + span / 2]
    slope_half = (float(np.polyfit([r["t"] / 60 for r in last_half], [r["VmRSS"] for r in last_half], 1)[0])
                  if len(last_half) > 2 else None)
    growth = med[2] - med[1] if None not in med else None
    # Levels off: the last third's median RSS is within max(3 %, 30 MiB) of the middle third's, and the
    # last half's trend is under 10 MiB/min (a steady leak of that size would double a 1 GiB server in ~2 h).
    limit = max(0.03 * med[1], 30.0) if med[1] else 30.0
    flat = growth is not None and growth <= limit and (slope_half is None or slope_half <= 10.0)
    return {
        "n": len(load), "before_mib": before[-1]["VmRSS"] if before else None,
        "thirds_median_mib": med, "growth_last_vs_middle_mib": growth, "growth_limit_mib": limit,
        "slope_last_two_thirds_mib_per_min": slope, "slope_last_half_mib_per_min": slope_half,
        "peak_rss_mib": max(r["VmRSS"] for r in load), "vmhwm_mib": max(r.get("VmHWM", 0) for r in rows),
        "after_mib": after[-1]["VmRSS"] if after else None,
        "verdict": "levels off" if flat else "climbs",
    }


def machine() -> dict:
    import streamlit

    from bench.machine import machine as base

    return base() | {"streamlit": streamlit.__version__}


def print_table(stats: dict, mem: dict, cold: dict, info: dict) -> None:
    print(f"\nfirst page load (cold caches): {cold['s']:.2f} s")
    print(f"{'action':<8} {'n':>6} {'err':>4} {'p50 s':>7} {'p90 s':>7} {'p95 s':>7} {'p99 s':>7} {'max s':>7}")
    for action, s in stats["by_action"].items():
        if not s.get("n"):
            print(f"{action:<8} {s['count']:>6} {s['errors']:>4}")
            continue
        print(f"{action:<8} {s['count']:>6} {s['errors']:>4} {s['p50']:7.2f} {s['p90']:7.2f} {s['p95']:7.2f} "
              f"{s['p99']:7.2f} {s['max']:7.2f}")
    print("\nRSS MiB: before {b}, thirds of the load (median) {t}, last third - middle {g:+.0f} (limit {lim:.0f}), "
          "slope of the last half {sl:+.1f} MiB/min, peak {p:.0f}, after {a} -> {v}".format(
              b=f"{mem['before_mib']:.0f}" if mem.get("before_mib") else "—",
              t=" / ".join(f"{x:.0f}" for x in mem.get("thirds_median_mib", []) if x is not None),
              g=mem.get("growth_last_vs_middle_mib") or 0, lim=mem.get("growth_limit_mib") or 0,
              sl=mem.get("slope_last_half_mib_per_min") or 0, p=mem.get("peak_rss_mib", 0),
              a=f"{mem['after_mib']:.0f}" if mem.get("after_mib") else "—", v=mem["verdict"]))
    print(f"load average at the end: {', '.join(f'{x:.2f}' for x in info['load_avg_end'])}")


# ------------------------------------------------------------------------------------------------- doc
def rss_chart(rows: list[dict], load_start: float, load_end: float, path: Path) -> bool:
    """A small PNG of RSS over time (altair + vl-convert, both dashboard dependencies); False if unavailable."""
    try:
        import altair as alt
        import pandas as pd
        import vl_convert as vlc
    except ImportError:
        return False
    df = pd.DataFrame([{"t (s)": r["t"] - load_start, "RSS (MiB)": r["VmRSS"], "phase": r["phase"]}
                       for r in rows if "VmRSS" in r])
    line = alt.Chart(df).mark_line().encode(
        x=alt.X("t (s):Q", title="seconds since the load started", scale=alt.Scale(nice=False)),
        y=alt.Y("RSS (MiB):Q", title="server RSS (MiB)", scale=alt.Scale(zero=True)),
        color=alt.Color("phase:N", title=None))
    rule = alt.Chart(pd.DataFrame({"x": [0, load_end - load_start]})).mark_rule(strokeDash=[4, 3], color="gray").encode(x="x:Q")
    chart = (line + rule).properties(width=560, height=220, title="Streamlit server RSS during the load test")
    path.write_bytes(vlc.vegalite_to_png(chart.to_json(), scale=1.0))
    return True


def memory_breakdown(rss: list[dict], probe: list[dict], load_start: float, every_s: float = 60.0) -> list[dict]:
    """Where the server's heap (RssAnon) is, about every ``every_s`` seconds: the probe's allocator figures
    (bench/probe/sitecustomize.py) beside the nearest RSS sample and Streamlit's cache accounting. The probe's
    clock starts with the server's Python, a few seconds before the harness's t0; the nearest RSS sample at or
    after it is used. ``other`` = RssAnon minus pymalloc's arenas and glibc's heap: mostly DuckDB's own allocator
    (jemalloc, linked into DuckDB; its accounted memory included), Arrow's pool, thread stacks."""
    rows, next_t = [], None
    with_rss = [r for r in rss if "RssAnon" in r]
    for p in probe:
        if "pymalloc_arenas_mib" not in p or (next_t is not None and p["t"] < next_t):
            continue
        after = [r for r in with_rss if r["t"] >= p["t"]]
        if not after:
            break
        r = after[0]
        caches = next((x["caches_mib"] for x in with_rss if x["t"] >= p["t"] and "caches_mib" in x), {})
        glibc = p.get("malloc_arena_mib", 0.0) + p.get("malloc_mmapped_mib", 0.0)
        rows.append({"t": r["t"] - load_start, "phase": r["phase"], "rss_anon": r["RssAnon"],
                     "pymalloc": p["pymalloc_arenas_mib"], "pymalloc_live": p["pymalloc_in_use_mib"],
                     "glibc": glibc, "glibc_live": p.get("malloc_in_use_mib", 0.0) + p.get("malloc_mmapped_mib", 0.0),
                     "duckdb": p.get("duckdb_mib"), "other": r["RssAnon"] - p["pymalloc_arenas_mib"] - glibc,
                     "caches": sum(v for k, v in caches.items() if k.startswith("st_cache_data"))})
        next_t = p["t"] + every_s
    return rows


def write_doc(report: dict, args, argv: list[str]) -> None:
    old = DOC.read_text() if DOC.exists() else ""
    analysis = ""
    if MARK_BEGIN in old and MARK_END in old:
        analysis = old[old.index(MARK_BEGIN) + len(MARK_BEGIN):old.index(MARK_END)].strip("\n")
    info, stats, mem, cfg = report["machine"], report["latency"], report["memory"], report["config"]
    cpu_srv = report["server_cpu_s_load"]
    load_start, load_end = report["load_start_s"], report["load_end_s"]

    def f(x, digits=2):
        return "—" if x is None else f"{x:.{digits}f}"

    act_rows = []
    names = {"open": "open a link (new session)", "page": "switch page", "filter": "change a sidebar filter",
             "all": "all actions"}
    for action, s in stats["by_action"].items():
        act_rows.append(f"| {names[action]} | {s['count']} | {s['errors']} | {f(s.get('p50'))} | {f(s.get('p90'))} | "
                        f"{f(s.get('p95'))} | {f(s.get('p99'))} | {f(s.get('max'))} | {f(s.get('mib_median'), 3)} |")
    page_rows = [f"| {p} | {s.get('n', 0)} | {s['errors']} | {f(s.get('p50'))} | {f(s.get('p95'))} | {f(s.get('max'))} | "
                 f"{f(s['mib_max'], 2)} |" for p, s in stats["by_page"].items()]
    rows = report["rss"]
    step = max(1, round(15 / cfg["sample_s"]))
    picked = rows[::step] + ([rows[-1]] if rows and (len(rows) - 1) % step else [])
    rss_rows = [f"| {r['t'] - load_start:+.0f} | {r['phase']} | {r['VmRSS']:.0f} | {r.get('RssAnon', 0):.0f} | "
                f"{r.get('threads', 0)} | {r['load1']:.2f} |" for r in picked if "VmRSS" in r]
    chart = f"![server RSS over time]({PNG.name})\n\n" if report.get("chart") else ""
    breakdown = memory_breakdown(rows, report.get("probe") or [], load_start)
    breakdown_text = "" if not breakdown else """
### Where the memory is (`--probe`)

Every 60 s, in MiB: the heap part of RSS, and what each allocator holds against what its live objects use
(`bench/probe/sitecustomize.py` in the server process): Python's object allocator (pymalloc arenas / bytes in
live blocks), glibc malloc (heap and mmapped / in use), DuckDB's own accounting (`duckdb_memory()`), the rest
of RssAnon (mostly DuckDB's allocator, jemalloc: the accounted memory plus what it keeps beyond it; also Arrow's
pool and thread stacks), and what Streamlit counts in the `st.cache_data` caches (pickled results).

| t s | phase | RssAnon | pymalloc held / live | glibc held / live | DuckDB accounted | rest | st.cache_data |
|---:|---|---:|---:|---:|---:|---:|---:|
""" + "\n".join(f"| {b['t']:+.0f} | {b['phase']} | {b['rss_anon']:.0f} | {b['pymalloc']:.0f} / {b['pymalloc_live']:.0f} | "
               f"{b['glibc']:.0f} / {b['glibc_live']:.0f} | {f(b['duckdb'], 0)} | {b['other']:.0f} | {b['caches']:.1f} |"
               for b in breakdown) + "\n"
    browser_text = ""
    if "browser" in stats:
        bs = stats["browser"]["by_action"]
        brows = "\n".join(f"| {a} | {s['count']} | {s['errors']} | {f(s.get('p50'))} | {f(s.get('p90'))} | "
                          f"{f(s.get('p95'))} | {f(s.get('max'))} |" for a, s in bs.items() if a != "all")
        berr = [r for r in report["browser_samples"] if not r["ok"]]
        browser_text = f"""
### Seen from a real browser

During the same window one headless Chromium tab (Playwright, `bench/load_browser.py`) clicked through the
sidebar's page links (English, no filter), each timed until the new page's heading was drawn and the app's
script state was back to `notRunning` (rendering included), {cfg['think_s']:.1f} s × U(0.5, 1.5) apart. It is an extra
client on top of the {cfg['sessions']} sessions, and its Chromium runs on the same {info['nproc']} cores: this one tab used
{f(report.get('chromium_cpu_s'), 0)} CPU-seconds over the run (all Chromium processes), against {f(cpu_srv, 0)} for the server.

| browser action | count | errors | p50 | p90 | p95 | max |
|---|---:|---:|---:|---:|---:|---:|
{brows}

Browser errors: {"none" if not berr else "; ".join(f"{e['page']}: {e['error']}" for e in berr[:5])}.
"""
    problems = report["server_log_problems"]
    errors = [r for r in report["samples"] if not r["ok"]]
    groups: dict[tuple[str, str], list[str]] = {}
    for e in errors:
        groups.setdefault((e["page"], e["error"]), []).append(e["action"])
    err_text = ("none" if not errors else "; ".join(
        f"{len(acts)} × on {page} ({', '.join(f'{acts.count(a)} {a}' for a in ACTIONS if a in acts)}): {msg}"
        for (page, msg), acts in sorted(groups.items(), key=lambda kv: -len(kv[1]))))
    kinds: dict[str, int] = {}
    for line in problems:
        if re.match(r"^[\w.]+(Error|Exception|Warning)\b", line):
            kinds[line[:240]] = kinds.get(line[:240], 0) + 1
    tracebacks = sum(line.startswith("Traceback") for line in problems)
    log_text = (f"{tracebacks} tracebacks" + ("; exception lines: " + "; ".join(f"{n} × `{k}`" for k, n in kinds.items())
                                             if kinds else "") if problems else "none")
    thirds = mem.get("thirds_median_mib") or []
    verdict = mem["verdict"]
    text = f"""# Load / soak test

Measured by `bench/load.py` on {info['date']}: {cfg['sessions']} concurrent sessions for
{cfg['duration_s']:.0f} s against one Streamlit server on this machine, on the {report['dataset']}.

**Command**: `{' '.join(['.venv/bin/python', 'bench/load.py', *argv])}` (the server runs with
`MALLOC_ARENA_MAX={os.environ.get('MALLOC_ARENA_MAX', '2')}`, as `scripts/run.sh` starts it)

**Machine**: {info['nproc']} cores, {info['ram_gib']} GiB RAM, {info['cpu']}, Linux {info['kernel']}; Python {info['python']},
Streamlit {info['streamlit']}, DuckDB {info['duckdb']}. The machine is shared with other jobs: load average
{', '.join(f'{x:.2f}' for x in info['load_avg_start'])} before the run and {', '.join(f'{x:.2f}' for x in info['load_avg_end'])}
at its end (1, 5, 15 min) on {info['nproc']} cores.

## What runs

The script starts `streamlit run app.py` itself (127.0.0.1, a free port, the project's `.streamlit/config.toml`),
on a copy of the database in a temporary folder, and stops it at the end (also on Ctrl-C). Each session is a
websocket client that speaks Streamlit's own protocol (`streamlit.proto` BackMsg / ForwardMsg on
`/_stcore/stream`, `bench/load_client.py`), the way the browser's frontend does: it opens a link (a random page,
language and filters in the query string: a month or quarter, a source, team, rep, manager, grain, stalled
days), then loops: switch to another page ({cfg['mix']['page']:.0%}), change one sidebar filter ({cfg['mix']['filter']:.0%}: sources, reps,
managers, teams, date range, grain, stalled days, with the widget ids the server drew), or open a new link,
which is a new server session ({cfg['mix']['open']:.0%}), with a think time of {cfg['think_s']:.1f} s × U(0.5, 1.5) between actions
(seeded RNG, seed {cfg['seed']}); sessions start spread over {cfg['ramp_s']:.0f} s. Like the frontend it sends the hashes of
the large elements it already holds, so unchanged ones come back as references. An action is timed from
sending the request to the server's `script_finished` message: server time plus transfer, without the
browser's rendering. An action fails on an exception element, an error alert, the "database busy" /
"reconnected" warnings, a finish status other than success, a timeout ({cfg['timeout_s']:.0f} s) or a lost connection.
Before the sessions start, one session loads the default page once ("first load", cold caches); it is
reported apart. The server's memory (VmRSS, from `/proc/<pid>/status`) and CPU time are sampled every
{cfg['sample_s']:.0f} s before, during and {cfg['cooldown_s']:.0f} s after the load.

## Latency per action

First page load after the server started (cold caches, one session alone): {report['cold']['s']:.2f} s.

Seconds, successful actions only (errors counted apart); actions started during the {cfg['duration_s']:.0f} s window;
throughput {stats['by_action']['all']['count'] / cfg['duration_s']:.2f} actions/s. MiB = median bytes the server sent per action.

| action | count | errors | p50 | p90 | p95 | p99 | max | MiB |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
{chr(10).join(act_rows)}

Per page (every action that ended on the page):

| page | n | errors | p50 | p95 | max | max MiB sent |
|---|---:|---:|---:|---:|---:|---:|
{chr(10).join(page_rows)}

Errors: {err_text}.
Server log: {log_text}.
{browser_text}
CPU: the server used {cpu_srv:.0f} CPU-seconds in the {load_end - load_start:.0f} s of load ({cpu_srv / max(load_end - load_start, 1):.2f} cores
on average, of {info['nproc']}); the load client used {report['client_cpu_s']:.0f} CPU-seconds for the whole run.

## Memory

{chart}Server RSS in MiB: {f(mem.get('before_mib'), 0)} before the load, medians of the load's thirds (by time)
{' / '.join(f(x, 0) for x in thirds)}, peak {f(mem.get('peak_rss_mib'), 0)} (VmHWM {f(mem.get('vmhwm_mib'), 0)}),
{f(mem.get('after_mib'), 0)} after the sessions closed. Last third minus middle third:
{f(mem.get('growth_last_vs_middle_mib'), 0)} MiB (the bar for "levels off": at most {f(mem.get('growth_limit_mib'), 0)} MiB = max(3 %, 30 MiB));
linear trend of RSS over the last two thirds {f(mem.get('slope_last_two_thirds_mib_per_min'), 1)} MiB/min, over the last half
{f(mem.get('slope_last_half_mib_per_min'), 1)} MiB/min (bar: 10 MiB/min). **Verdict: memory {verdict}.**

Every {step * cfg['sample_s']:.0f} s (t = seconds since the load started; RssAnon = the heap part of RSS):

| t s | phase | RSS MiB | RssAnon MiB | threads | load avg 1 min |
|---:|---|---:|---:|---:|---:|
{chr(10).join(rss_rows)}
{breakdown_text}
{MARK_BEGIN}
{analysis or "_(analysis: see the reply of the load-test run)_"}
{MARK_END}
"""
    DOC.write_text(text)
    log(f"wrote {DOC}")


# ------------------------------------------------------------------------------------------------- main
def parse_mix(text: str) -> dict[str, float]:
    mix = {a: 0.0 for a in ACTIONS}
    for part in text.split(","):
        key, _, value = part.partition("=")
        if key.strip() not in mix:
            raise argparse.ArgumentTypeError(f"unknown action {key!r} (open, page, filter)")
        mix[key.strip()] = float(value)
    total = sum(mix.values())
    if total <= 0:
        raise argparse.ArgumentTypeError("the mix must have a positive weight")
    return {k: v / total for k, v in mix.items()}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--duration-s", type=float, default=180)
    ap.add_argument("--db", type=Path, default=None,
                    help=f"database to copy and serve (default: {DEFAULT_DB.relative_to(ROOT)}; the original is "
                         "never opened by the server)")
    ap.add_argument("--sample", action="store_true", help="serve an empty database: the app imports data/sample/")
    ap.add_argument("--host", default="127.0.0.1", help="127.0.0.1 or localhost only")
    ap.add_argument("--port", type=int, default=0, help="0 = a free port")
    ap.add_argument("--seed", type=int, default=20240101)
    ap.add_argument("--think-s", type=float, default=1.0, help="mean pause between a session's actions")
    ap.add_argument("--ramp-s", type=float, default=10.0, help="sessions start spread over this many seconds")
    ap.add_argument("--mix", type=parse_mix, default=parse_mix("page=0.5,filter=0.4,open=0.1"))
    ap.add_argument("--timeout-s", type=float, default=120.0, help="an action slower than this is an error")
    ap.add_argument("--sample-s", type=float, default=2.0, help="RSS sampling interval")
    ap.add_argument("--cooldown-s", type=float, default=20.0, help="RSS sampling after the sessions closed")
    ap.add_argument("--out", type=Path, default=OUT_DIR / "load.json", help="raw samples (JSON)")
    ap.add_argument("--doc", action="store_true", help=f"write {DOC.relative_to(ROOT)} (+ {PNG.name})")
    ap.add_argument("--probe", action="store_true",
                    help="record the server's allocator figures every 10 s (bench/probe/sitecustomize.py)")
    ap.add_argument("--tracemalloc", action="store_true",
                    help="--probe plus the ten source lines holding the most Python memory (slows the server)")
    ap.add_argument("--quick", action="store_true", help="3 sessions, 20 s, the sample data (smoke test)")
    ap.add_argument("--browser-observer", action="store_true",
                    help="also click through the pages in one headless Chromium tab (Playwright) during the load")
    ap.add_argument("--from-json", type=Path, default=None,
                    help="no run: print the table and (with --doc) rewrite the doc from a saved --out file")
    args = ap.parse_args(argv)
    if args.from_json:
        report = json.loads(args.from_json.read_text())
        print_table(report["latency"], report["memory"], report["cold"], report["machine"])
        if args.doc:
            report["chart"] = rss_chart(report["rss"], report["load_start_s"], report["load_end_s"], PNG)
            write_doc(report, args, report["argv"])
        return 0
    if args.quick:
        args.sessions, args.sample = min(args.sessions, 3), True
        args.duration_s = min(args.duration_s, 20)
        args.ramp_s, args.cooldown_s = min(args.ramp_s, 2), min(args.cooldown_s, 2)
        args.think_s = min(args.think_s, 0.5)
    if args.host not in LOCAL_HOSTS:
        ap.error(f"refusing host {args.host!r}: only 127.0.0.1 / localhost")
    db = None if args.sample else (args.db or DEFAULT_DB)
    if db is not None and not db.exists():
        ap.error(f"{db} does not exist (bench/datasets.py 1m builds it), or use --sample")

    def on_term(signum, frame):  # SIGTERM: unwind through the finally blocks like Ctrl-C
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    info = machine() | {"load_avg_start": os.getloadavg()}
    workdir = Path(tempfile.mkdtemp(prefix="lead_funnel_load_"))
    server = Server(args.host, args.port or free_port(args.host), db, workdir, probe=args.probe or args.tracemalloc,
                    tracemalloc=args.tracemalloc)
    check_local(server.base)
    sampler = None
    try:
        log(f"starting the server on {server.base} ({'sample data' if db is None else db}) ...")
        t0 = time.perf_counter()
        server.start()
        sampler = Sampler(server.proc.pid, args.sample_s, t0, server.base)
        sampler.start()
        time.sleep(min(4.0, args.sample_s * 2))  # a few samples of the idle server
        log(f"{args.sessions} sessions for {args.duration_s:.0f} s ...")
        cpu_before = read_proc(server.proc.pid)["cpu_s"]
        cold, results, browser, load_start, load_end = asyncio.run(drive(server.base, args, sampler, t0))
        cpu_load = read_proc(server.proc.pid)["cpu_s"] - cpu_before
        sampler.phase = "after"
        time.sleep(args.cooldown_s)
        sampler.stop()
        alive = server.proc.poll() is None
    except KeyboardInterrupt:
        log("interrupted: stopping the server")
        return 130
    finally:
        if sampler is not None:
            sampler.stop()
        server.stop()
        problems = server.log_problems()
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        if server.log_path.exists():
            shutil.copy2(server.log_path, OUT_DIR / "load_server.log")
        probe_rows = ([json.loads(ln) for ln in server.probe_path.read_text().splitlines() if ln.strip()]
                      if server.probe_path is not None and server.probe_path.exists() else [])
        shutil.rmtree(workdir, ignore_errors=True)

    info["load_avg_end"] = os.getloadavg()
    stats = latency_stats(results, load_end)
    if browser:
        stats["browser"] = latency_stats(browser, load_end, ("browser open", "browser page"))
    mem = memory_stats(sampler.rows, load_start, load_end)
    ru = resource.getrusage(resource.RUSAGE_SELF)
    report = {
        "machine": info, "argv": argv,
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "dataset": ("sample data (data/sample/, imported by the app on first start)" if db is None else
                    f"database {db.relative_to(ROOT) if db.is_relative_to(ROOT) else db}"),
        "cold": cold, "load_start_s": load_start, "load_end_s": load_end, "server_alive_at_end": alive,
        "server_cpu_s_load": cpu_load, "client_cpu_s": ru.ru_utime + ru.ru_stime,
        "chromium_cpu_s": BROWSER_META.get("chromium_cpu_s"),
        "latency": stats, "memory": mem, "server_log_problems": problems[:2000],
        "samples": results, "browser_samples": browser, "rss": sampler.rows,
        "probe": probe_rows,
    }
    if db is not None and "n1000000" in str(db):
        report["dataset"] = f"1M-lead dataset ({report['dataset']}, bench/datasets.py, seed 20240101)"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False, default=str))
    log(f"wrote {args.out} ({len(results)} actions, {len(sampler.rows)} RSS samples)")
    print_table(stats, mem, cold, info)
    if args.doc:
        report["chart"] = rss_chart(sampler.rows, load_start, load_end, PNG)
        write_doc(report, args, argv)
    errors = stats["by_action"]["all"]["errors"] + (stats["browser"]["by_action"]["all"]["errors"] if browser else 0)
    return 0 if errors == 0 and alive else 1


if __name__ == "__main__":
    raise SystemExit(main())
