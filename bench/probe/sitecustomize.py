"""Memory probe for the load test's server (``bench/load.py --probe``); never part of the app.

``bench/load.py --probe`` puts this folder first on the server's PYTHONPATH, so Python imports this module
at start-up. It starts one daemon thread that appends a JSON line to $LEAD_FUNNEL_PROBE_OUT every
$LEAD_FUNNEL_PROBE_S seconds (default 10): where the process's memory is, by allocator:
- glibc malloc (``mallinfo2``): bytes in use, bytes free but still held (fragmentation), bytes mmapped;
- Python's object allocator (pymalloc): its arenas (what it holds) against the bytes in allocated blocks
  (what live objects use), from ``sys._debugmallocstats``, which writes to the C stderr: the probe points
  fd 2 at a temporary file for those few milliseconds, so a server log line written then is lost;
- Arrow's memory pool (mimalloc in the pyarrow wheels), when pyarrow is loaded;
- DuckDB's own accounting (``duckdb_memory()``), through a cursor of the app's ``Store`` once there is one.
With $LEAD_FUNNEL_PROBE_TRACEMALLOC=1 it also records the ten source lines holding the most Python memory
and, after a warm-up, the call stacks whose memory grew most since then (tracemalloc slows the server
down; use it to find a culprit, not to time anything).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import sys
import threading
import time

_OUT = os.environ.get("LEAD_FUNNEL_PROBE_OUT")


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


def _libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallinfo2.restype = _MallInfo2
        return libc
    except (OSError, AttributeError):
        return None


def _pymalloc() -> dict:
    """pymalloc's arenas held and bytes in live blocks, in MiB (parsed from ``sys._debugmallocstats``)."""
    import tempfile

    with tempfile.TemporaryFile() as tmp:
        saved = os.dup(2)
        try:
            sys.stderr.flush()
            os.dup2(tmp.fileno(), 2)
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        tmp.seek(0)
        text = tmp.read().decode(errors="replace")
    stats = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.startswith("#"):
            stats[key.strip("# ").strip()] = int(value.strip().replace(",", "") or 0)
    arena_bytes = 1 << 20 if sys.version_info >= (3, 10) else 256 << 10
    return {"pymalloc_arenas_mib": stats.get("arenas allocated current", 0) * arena_bytes / 2 ** 20,
            "pymalloc_in_use_mib": stats.get("bytes in allocated blocks", 0) / 2 ** 20}


def _sample(libc, t0: float, traced: bool) -> dict:
    mib = 2 ** 20
    # Never gc.get_objects() here: it hands this thread objects other threads are still building, and a
    # tuple being resized then fails with "SystemError: bad argument to internal function" (load run 8).
    row: dict = {"t": round(time.time() - t0, 1), "py_blocks": sys.getallocatedblocks(),
                 "threads": threading.active_count()}
    db = sys.modules.get("funnel.store.db")
    store = next(iter(list(db.Store.live)), None) if db is not None and hasattr(db.Store, "live") else None
    if store is not None:
        con = store.cursor()  # this thread's own cursor (kept by the Store for the thread)
        row["duckdb_mib"] = con.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()[0] / mib
    row |= _pymalloc()
    if libc is not None:
        info = libc.mallinfo2()
        row |= {"malloc_in_use_mib": info.uordblks / mib, "malloc_free_held_mib": info.fordblks / mib,
                "malloc_mmapped_mib": info.hblkhd / mib, "malloc_arena_mib": info.arena / mib}
    pa = sys.modules.get("pyarrow")
    if pa is not None:
        pool = pa.default_memory_pool()
        row |= {"arrow_allocated_mib": pool.bytes_allocated() / mib, "arrow_max_mib": pool.max_memory() / mib}
    if traced:
        row |= _traced_growth(row["t"])
    return row


_BASELINE: list = []  # the tracemalloc snapshot taken once the server has warmed up


def _traced_growth(t: float) -> dict:
    """What Python holds most (by source line), and, once $LEAD_FUNNEL_PROBE_BASELINE_S (default 120) have
    passed, what has grown most since then (by call stack, as deep as tracemalloc records)."""
    import tracemalloc

    mib = 2 ** 20
    current, _ = tracemalloc.get_traced_memory()
    snap = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__),
                                                      tracemalloc.Filter(False, __file__)])
    out = {"traced_mib": current / mib,
           "top": [[str(s.traceback), round(s.size / mib, 2), s.count] for s in snap.statistics("lineno")[:10]]}
    if not _BASELINE and t >= float(os.environ.get("LEAD_FUNNEL_PROBE_BASELINE_S", "120")):
        _BASELINE.append(snap)
    elif _BASELINE:
        diff = snap.compare_to(_BASELINE[0], "traceback")[:8]
        out["growth"] = [[" <- ".join(f"{f.filename.rsplit('site-packages/', 1)[-1]}:{f.lineno}"
                                      for f in reversed(d.traceback)), round(d.size_diff / mib, 2), d.count_diff]
                         for d in diff]
    return out


def _run(out: str, every_s: float, traced: bool) -> None:
    libc, t0 = _libc(), time.time()
    while True:
        try:
            line = json.dumps(_sample(libc, t0, traced))
        except Exception as err:  # noqa: BLE001 - a probe must never take the server down
            line = json.dumps({"t": round(time.time() - t0, 1), "error": repr(err)})
        with open(out, "a") as fh:
            fh.write(line + "\n")
        time.sleep(every_s)


if _OUT:
    _traced = os.environ.get("LEAD_FUNNEL_PROBE_TRACEMALLOC") == "1"
    if _traced:
        import tracemalloc

        tracemalloc.start(int(os.environ.get("LEAD_FUNNEL_PROBE_FRAMES", "10")))
    threading.Thread(target=_run, args=(_OUT, float(os.environ.get("LEAD_FUNNEL_PROBE_S", "10")), _traced),
                     name="lead-funnel-probe", daemon=True).start()
