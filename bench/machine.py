"""The machine a benchmark ran on, for the docs it writes (bench/run.py, bench/load.py)."""

from __future__ import annotations

import datetime as dt
import os
import platform


def machine() -> dict:
    """Cores, RAM, CPU model, kernel, Python, DuckDB and the time: what every benchmark doc names."""
    import duckdb

    cpu, mem = "unknown", float("nan")
    try:
        cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")),
                   cpu)
        mem = int(next(ln for ln in open("/proc/meminfo") if ln.startswith("MemTotal:")).split()[1]) / 2**20
    except (OSError, StopIteration):
        pass
    return {"nproc": os.cpu_count(), "ram_gib": round(mem, 1), "cpu": cpu, "kernel": platform.release(),
            "python": platform.python_version(), "duckdb": duckdb.__version__,
            "date": dt.datetime.now().isoformat(timespec="minutes")}
