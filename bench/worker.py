"""Child processes of the harness (each measures its own wall time and peak RSS).

    python -m bench.worker serve ours|pandas DB       # line protocol on stdin/stdout: one JSON command per line
    python -m bench.worker import ours|pandas FILE... # one import into a fresh DB file, prints {"s": ...}
    python -m bench.worker dashboard DB N             # AppTest: N filter changes, cache miss and hit

Peak RSS of one call: /proc/self/clear_refs ("5" resets VmHWM) before, VmHWM from /proc/self/status after.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def peak_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def filter_from(spec: dict):
    from funnel.metrics import FunnelFilter

    return FunnelFilter(date_from=dt.date.fromisoformat(spec["from"]) if spec.get("from") else None,
                        date_to=dt.date.fromisoformat(spec["to"]) if spec.get("to") else None,
                        sources=tuple(spec.get("sources", ())))


# ------------------------------------------------------------------------------------------------ metrics
OUR_FAMILIES = ("cohort_funnel", "time_in_stage", "cycle", "loss", "leaderboards", "followup", "trends")


def _ours(con, name: str, flt):
    from funnel import metrics as m

    ctx = m.resolve_context(con, flt)
    if name == "figures":  # the lead lists in full, as `metrics --json` prints them
        return m.figures(con, ctx)
    if name == "figures_top100":  # the lead lists to their first 100 rows (counts stay whole), as a screen shows them
        return m.figures(con, ctx, list_limit=100)
    if name == "cohort_funnel":
        return m.cohort_summary(con, ctx), m.stage_funnel(con, ctx)
    if name == "time_in_stage":
        return m.time_in_stage(con, ctx)
    if name == "cycle":
        return m.cycle_summary(con, ctx), m.time_to_loss(con, ctx)
    if name == "loss":
        return m.loss_reasons(con, ctx), m.loss_by_stage(con, ctx)
    if name == "leaderboards":
        return m.leaderboards(con, ctx)
    if name == "followup":
        return (m.stalled_leads(con, ctx), m.overdue_leads(con, ctx), m.past_expected_close(con, ctx))
    if name == "trends":
        return m.trends(con, ctx)
    raise ValueError(name)


def serve(side: str, db: str) -> None:
    """Answer {"fig": name, "filter": {...}} lines with {"s": seconds, "peak_mib": MiB}."""
    import duckdb

    from bench import pandas_figures as pf
    from bench.check import to_pandas_filter

    con = duckdb.connect(db, read_only=True)
    state: dict = {}
    if side == "pandas":
        state["frames"] = pf.load_frames_duckdb(con)
        state["derived"] = pf.derive(state["frames"])
    print(json.dumps({"ready": True, "peak_mib": peak_mib()}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        flt = filter_from(cmd.get("filter") or {})
        name = cmd["fig"]
        reset_peak()
        t0 = time.perf_counter()
        if side == "ours":
            _ours(con, name, flt)
        else:
            pflt = pf.Filter(date_from=flt.date_from, date_to=flt.date_to, sources=flt.sources)
            if name in ("figures", "figures_top100"):
                pf.figures(state["frames"], pflt)  # derivation from the raw tables included
            elif name == "derive":
                pf.derive(state["frames"])
            else:
                pf.family(state["derived"], name, pflt)
        elapsed = time.perf_counter() - t0
        print(json.dumps({"s": elapsed, "peak_mib": peak_mib()}), flush=True)
    _ = to_pandas_filter


# ------------------------------------------------------------------------------------------------ import
DATE_COLUMNS = ("获取时间", "进入阶段时间", "预计转化时间", "进入时间")


def read_baseline(path: str) -> int:
    """The floor of an import: read one file the plain way, dates parsed; returns its rows.

    XLSX: python-calamine reads the sheet into Python rows (what pandas' calamine engine starts from).
    CSV: ``pd.read_csv`` (the stage log in GB18030 unless its name says UTF-8), text columns as text, the
    date columns parsed with ``pd.to_datetime(format="%Y-%m-%d", errors="coerce")``: the dominant spelling
    only, other spellings become NaT. No validation, no other spelling, no store: a floor, not an import.
    """
    import pandas as pd

    name = Path(path).name
    if path.endswith(".xlsx"):
        from python_calamine import CalamineWorkbook

        return len(CalamineWorkbook.from_path(path).get_sheet_by_index(0).to_python()) - 2
    encoding = "gb18030" if ("阶段" in name and "utf8" not in name) else "utf-8-sig"
    frame = pd.read_csv(path, encoding=encoding, dtype=str)
    for col in DATE_COLUMNS:
        if col in frame.columns:
            frame[col] = pd.to_datetime(frame[col], format="%Y-%m-%d", errors="coerce")
    return len(frame)


def run_import(side: str, paths: list[str]) -> None:
    import duckdb

    tmp = Path(tempfile.mkdtemp(prefix="bench_import_", dir=str(ROOT / "bench" / "out")))
    db = tmp / "import.duckdb"
    timings: dict = {}
    try:
        if side == "ours":
            from bench.datasets import MAX_BYTES
            from funnel.store import derived
            from funnel.store import db as store_db
            from funnel.store.loader import import_files

            con = store_db.connect(db)
            if hasattr(store_db, "keep_block_memory"):  # as `python -m funnel import` opens the store (older code: none)
                store_db.keep_block_memory(con)
            original = derived.refresh_derived

            def timed_refresh(c, timings_=None):
                t = time.perf_counter()
                original(c, timings_)
                timings["derived_s"] = time.perf_counter() - t

            import funnel.store.loader as loader
            loader.refresh_derived = timed_refresh
            t0 = time.perf_counter()
            report = import_files(con, [Path(p) for p in paths], who="bench", max_bytes=MAX_BYTES)
            con.execute("checkpoint")
            elapsed = time.perf_counter() - t0
            rows = report.rows_accepted
        else:
            import pandas  # noqa: F401  (imported before the clock starts, like the import side's modules)
            import python_calamine  # noqa: F401

            con = None
            t0 = time.perf_counter()
            rows = sum(read_baseline(p) for p in paths)
            elapsed = time.perf_counter() - t0
        if con is not None:
            con.close()
    finally:
        for p in tmp.iterdir():
            p.unlink()
        tmp.rmdir()
    print(json.dumps({"s": elapsed, "rows": rows, **timings}), flush=True)


# ------------------------------------------------------------------------------------------------ dashboard
def dashboard(db: str, repeats: int) -> None:
    """AppTest on the Overview page: the first run (startup), then per repeat a filter change to a source not
    seen before (cache miss: every metric query runs) and back to the previous filter (cache hit)."""
    shared = Path(tempfile.mkdtemp(prefix="bench_shared_", dir=str(ROOT / "bench" / "out")))
    os.environ["LEAD_FUNNEL_DB"] = db
    os.environ["LEAD_FUNNEL_NO_SAMPLE"] = "1"
    os.environ["LEAD_FUNNEL_SHARED_DIR"] = str(shared)
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    t0 = time.perf_counter()
    at.run()
    first = time.perf_counter() - t0
    if at.exception:
        raise SystemExit(f"app failed: {at.exception}")
    ms = at.sidebar.multiselect(key="w_sources")
    options = list(ms.options)
    miss, hit = [], []
    current: list = []
    for i in range(repeats):
        new = [options[i % len(options)]] if i < len(options) else options[: (i % len(options)) + 1][:2]
        t0 = time.perf_counter()
        at.sidebar.multiselect(key="w_sources").set_value(new).run()
        miss.append(time.perf_counter() - t0)
        if at.exception:
            raise SystemExit(f"app failed: {at.exception}")
        charts = len(at.get("arrow_vega_lite_chart")) + len(at.get("vega_lite_chart"))
        t0 = time.perf_counter()
        at.sidebar.multiselect(key="w_sources").set_value(current).run()
        hit.append(time.perf_counter() - t0)
        at.sidebar.multiselect(key="w_sources").set_value(new).run()  # back to new: next change leaves it
        current = new
    shared.rmdir()
    print(json.dumps({"first_s": first, "miss": miss, "hit": hit, "charts": charts, "peak_mib": peak_mib()}),
          flush=True)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "serve":
        serve(sys.argv[2], sys.argv[3])
    elif cmd == "import":
        run_import(sys.argv[2], sys.argv[3:])
    elif cmd == "dashboard":
        dashboard(sys.argv[2], int(sys.argv[3]))
    else:
        raise SystemExit(f"unknown command {cmd}")
