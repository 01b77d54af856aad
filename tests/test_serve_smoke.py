"""Smoke test of scripts/serve.sh: two read-only replicas and the writer behind nginx.

Starts the real script (Debian's nginx, real Streamlit processes) on free ports with a temporary database,
then checks through nginx: the affinity cookie and that one cookie keeps one replica, a WebSocket session per
page, the writer under /admin/, and an import on the writer (shared folder, "Refresh" on its Data page) shown
by every replica on the next run. Skips when nginx is not installed (scripts/test.sh installs it as root).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (scripts/test.sh installs it as root)")


def _free_block(n: int) -> int:
    """A port P with P .. P+n-1 all free on 127.0.0.1 (and on all interfaces for P)."""
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
                s.bind(("" if p == base else "127.0.0.1", p))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free block of ports")


def _get(url: str, cookie: str | None = None):
    req = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status, resp.headers.get_all("Set-Cookie") or [], resp.read()


@pytest.fixture
def served(tmp_path):
    port = _free_block(4)
    shared = tmp_path / "shared"
    shared.mkdir()
    env = dict(os.environ, LEAD_FUNNEL_DB=str(tmp_path / "funnel.duckdb"), LEAD_FUNNEL_SHARED_DIR=str(shared),
               LEAD_FUNNEL_RUN_DIR=str(tmp_path / "run"), LEAD_FUNNEL_BACKUP_DIR=str(tmp_path / "backups"))
    for key in ("LEAD_FUNNEL_NO_SAMPLE", "LEAD_FUNNEL_PUBLISH_DIR", "LEAD_FUNNEL_ROLE"):
        env.pop(key, None)
    out = open(tmp_path / "serve.out", "w")
    proc = subprocess.Popen(["bash", "scripts/serve.sh", "--replicas", "2", "--port", str(port)], cwd=ROOT,
                            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    run_dir = tmp_path / "run" / f"serve-{port}"

    def logs() -> str:
        parts = [(tmp_path / "serve.out").read_text(errors="replace")]
        for log in sorted(run_dir.glob("*.log")):
            parts.append(f"--- {log.name}\n" + log.read_text(errors="replace")[-3000:])
        return "\n".join(parts)

    try:
        deadline = time.time() + 300
        while "Lead Funnel:" not in (tmp_path / "serve.out").read_text(errors="replace"):
            if proc.poll() is not None or time.time() > deadline:
                pytest.fail("serve.sh did not start:\n" + logs())
            time.sleep(0.5)
        yield {"port": port, "shared": shared, "run_dir": run_dir, "logs": logs}
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        out.close()


def test_serve_two_replicas_behind_nginx(served):
    sys.path.insert(0, str(ROOT))
    from bench.load_client import StreamlitSession

    port, shared = served["port"], served["shared"]
    base = f"http://127.0.0.1:{port}"

    # nginx hands out the affinity cookie once; a request that carries it gets none.
    status, cookies, body = _get(base + "/")
    assert status == 200 and b"<html" in body.lower()
    assert any(c.startswith("lf_replica=") for c in cookies), cookies
    assert not any(c.startswith("lf_replica=") for c in _get(base + "/", "lf_replica=k1")[1])

    # One cookie, one replica; different cookies spread over both.
    for key in ["same"] * 6 + [f"k{i}" for i in range(24)]:
        _get(base + "/_stcore/health", f"lf_replica={key}")
    access = (served["run_dir"] / "nginx-access.log").read_text()
    by_key: dict[str, set[str]] = {}
    for key, upstream in re.findall(r'"GET /_stcore/health" upstream=(\S+) key=(\S+)', access):
        by_key.setdefault(upstream, set()).add(key)
    assert len(by_key.get("same", set())) == 1, served["logs"]()
    assert len(set().union(*by_key.values())) == 2, "24 keys all hashed to one replica"

    async def leads(url: str) -> int:
        s = StreamlitSession(url, timeout_s=120)
        res = await s.open("", "lang=en&from=2024-03-01&to=2024-03-31")  # the month the new leads land in
        await s.close()
        assert res.ok, f"{url}: {res.error}\n" + served["logs"]()
        return int(s.metrics["Leads"].replace(",", ""))

    async def scenario():
        # Every page through nginx over the WebSocket, no error, no 'busy'.
        s = StreamlitSession(base, timeout_s=120)
        res = await s.open("", "lang=en")
        assert res.ok, res.error + "\n" + served["logs"]()
        for slug in sorted(s.pages):
            res = await s.switch_page(slug) if slug else res
            assert res.ok, f"{slug}: {res.error}\n" + served["logs"]()
        assert "shared_refresh" not in s.widgets  # the replica's Data page is only a link to the writer
        await s.close()

        replicas = [f"http://127.0.0.1:{port + 1}", f"http://127.0.0.1:{port + 2}"]
        before = [await leads(u) for u in replicas]
        assert before[0] == before[1] > 0

        # An import on the writer (/admin/): a file in the shared folder, then "Refresh" on its Data page.
        (shared / "more.csv").write_text("线索编号,来源渠道,获取时间,当前阶段,销售代表\n"
                                         "SERVE-1,官网,2024-03-05,线索获取,李明\n"
                                         "SERVE-2,官网,2024-03-06,线索获取,李明\n", encoding="utf-8")
        w = StreamlitSession(base + "/admin", timeout_s=120)
        res = await w.open("data", "lang=en")
        assert res.ok, res.error + "\n" + served["logs"]()
        res = await w.click("shared_refresh")
        assert res.ok, res.error + "\n" + served["logs"]()
        await w.close()

        # The next run on every replica shows it.
        assert [await leads(u) for u in replicas] == [before[0] + 2] * 2

    asyncio.run(scenario())
