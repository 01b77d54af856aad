"""Smoke test of the load harness (bench/load.py): a real server on a free local port, 3 websocket sessions
speaking Streamlit's protocol for a few seconds on the sample data. Asserts the output's structure and that
no action failed; no timing is asserted. Skipped when no local port can be bound or websockets is missing."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _can_bind() -> bool:
    try:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
        return True
    except OSError:
        return False


def _has_websockets() -> bool:
    try:
        import websockets.asyncio.client  # noqa: F401
    except ImportError:
        return False
    return True




def test_parse_cache_bytes_sums_by_cache_in_mib():
    from bench.load import parse_cache_bytes

    text = "\n".join([
        "# TYPE cache_memory_bytes gauge",
        'cache_memory_bytes{cache_type="st_cache_data",cache="app_pages._common._call"} 1048576',
        'cache_memory_bytes{cache_type="st_cache_data",cache="app_pages._common._call"} 524288',
        'cache_memory_bytes{cache_type="st_session_state",cache=""} 2097152',
        'cache_lookups_total{cache="app_pages._common._call",cache_type="st_cache_data",result="hit"} 99',
        "# EOF"])
    # 1 MiB + 0.5 MiB for the one cache; 2 MiB of session state; the lookup counter is not a size
    assert parse_cache_bytes(text) == {"st_cache_data:app_pages._common._call": 1.5, "st_session_state:": 2.0}


def test_memory_breakdown_puts_each_probe_row_beside_the_next_rss_sample():
    from bench.load import memory_breakdown

    rss = [{"t": 9.0, "phase": "startup", "RssAnon": 50.0},
           {"t": 12.0, "phase": "load", "RssAnon": 400.0, "caches_mib": {"st_cache_data:a": 2.0,
                                                                         "st_session_state:": 5.0}},
           {"t": 75.0, "phase": "load", "RssAnon": 450.0}]
    probe = [{"t": 10.0, "pymalloc_arenas_mib": 100.0, "pymalloc_in_use_mib": 80.0, "malloc_arena_mib": 60.0,
              "malloc_mmapped_mib": 2.0, "malloc_in_use_mib": 50.0, "duckdb_mib": 110.0},
             {"t": 40.0, "pymalloc_arenas_mib": 999.0, "pymalloc_in_use_mib": 1.0},  # < 60 s after: skipped
             {"t": 70.0, "pymalloc_arenas_mib": 120.0, "pymalloc_in_use_mib": 90.0, "malloc_arena_mib": 70.0,
              "malloc_mmapped_mib": 0.0, "malloc_in_use_mib": 60.0}]
    rows = memory_breakdown(rss, probe, load_start=10.0)
    # probe t=10 -> RSS sample t=12 (t - load_start = +2): other = 400 - 100 - (60 + 2) = 238; only
    # st.cache_data counts as a cache (2 MiB). probe t=70 -> RSS sample t=75: other = 450 - 120 - 70 = 260.
    assert [(r["t"], r["rss_anon"], r["glibc"], r["glibc_live"], r["other"], r["caches"]) for r in rows] == [
        (2.0, 400.0, 62.0, 52.0, 238.0, 2.0), (65.0, 450.0, 70.0, 60.0, 260.0, 0)]
    assert rows[0]["duckdb"] == 110.0 and rows[1]["duckdb"] is None


@pytest.mark.parametrize("host", ["example.com", "10.0.0.1", "0.0.0.0"])
def test_refuses_a_host_other_than_this_machine(host):
    proc = subprocess.run([sys.executable, "bench/load.py", "--quick", "--host", host], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "refusing host" in proc.stderr


def test_client_refuses_a_remote_url():
    if not _has_websockets():
        pytest.skip("needs the websockets package")
    from bench.load_client import StreamlitSession

    with pytest.raises(SystemExit):
        StreamlitSession("http://192.0.2.1:8501")


@pytest.mark.browser
@pytest.mark.skipif(not _can_bind(), reason="cannot bind a port on 127.0.0.1")
@pytest.mark.skipif(not _has_websockets(), reason="needs the websockets package")
def test_quick_load_run(tmp_path):
    out = tmp_path / "load.json"
    proc = subprocess.run(
        [sys.executable, "bench/load.py", "--quick", "--sessions", "3", "--duration-s", "8", "--ramp-s", "1",
         "--cooldown-s", "1", "--sample-s", "1", "--probe", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.exists(), proc.stderr[-3000:]
    report = json.loads(out.read_text())
    assert set(report) >= {"machine", "config", "cold", "latency", "memory", "samples", "rss",
                           "server_log_problems", "load_start_s", "load_end_s"}
    assert report["config"]["sessions"] == 3 and report["server_alive_at_end"]
    by_action = report["latency"]["by_action"]
    assert set(by_action) == {"open", "page", "filter", "all"}
    assert by_action["all"]["count"] >= 3  # every session at least opened its link
    assert by_action["open"]["count"] >= 3
    for s in by_action.values():
        if s.get("n"):
            assert s["p50"] <= s["p90"] <= s["p95"] <= s["p99"] <= s["max"]
    sample = report["samples"][0]
    assert {"session", "t", "action", "page", "s", "ok", "error", "bytes"} <= set(sample)
    assert all("VmRSS" in r and r["VmRSS"] > 0 for r in report["rss"])
    assert {r["phase"] for r in report["rss"]} >= {"load", "after"}
    assert report["memory"]["verdict"] in ("levels off", "climbs")
    # --probe: the server's allocators (bench/probe/sitecustomize.py) and Streamlit's cache accounting
    assert report["probe"] and all(r["pymalloc_arenas_mib"] >= r["pymalloc_in_use_mib"] > 0 for r in report["probe"])
    assert all(r["malloc_arena_mib"] > 0 for r in report["probe"])
    assert any(isinstance(r.get("caches_mib"), dict) for r in report["rss"])
    errors = [f"{r['action']} {r['page']}: {r['error']}" for r in report["samples"] if not r["ok"]]
    assert not errors, errors
    assert proc.returncode == 0, proc.stderr[-3000:]
