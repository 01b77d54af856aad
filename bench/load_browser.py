"""An optional real-browser observer for bench/load.py (``--browser-observer``): one headless Chromium tab
(Playwright, Debian's /usr/bin/chromium) that clicks through the sidebar's page links while the websocket
sessions run, timed until the page is drawn (the new page's heading shown and the app's script state back to
``notRunning``), the way tests/browser/test_browser.py times a page switch. It shows what a person in a real
browser sees under the load, rendering included, at the cost of one Chromium on the same cores.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
TITLES = {"overview": "Overview", "data": "Data", "cycle": "Cycle time", "loss": "Loss analysis", "team": "Team",
          "followup": "Follow-up", "trends": "Trends", "settings": "Settings"}
DONE_JS = ("([slug, title]) => location.pathname.replace(/\\/$/, '').split('/').pop() === slug && "
           "document.querySelector('[data-testid=stApp]')?.getAttribute('data-test-script-state') === 'notRunning' "
           "&& (document.querySelector('h1')?.innerText || '').includes(title)")


def available() -> bool:
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return False
    return Path(CHROMIUM).exists()


def chromium_cpu_s() -> float:
    """CPU seconds (user + system) used so far by the Chromium processes descending from this process."""
    import os

    parent: dict[int, int] = {}
    info: dict[int, tuple[str, float]] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        parent[int(entry.name)] = int(fields[1])
        info[int(entry.name)] = (comm, (int(fields[11]) + int(fields[12])) / tick)
    me, total = os.getpid(), 0.0
    for pid, (comm, cpu) in info.items():
        if "chrom" not in comm:
            continue
        p = pid
        while p > 1 and p != me:
            p = parent.get(p, 0)
        if p == me:
            total += cpu
    return total


async def observe(base: str, t0: float, deadline: float, results: list[dict], seed: int, timeout_s: float,
                  think_s: float, meta: dict | None = None) -> None:
    from playwright.async_api import async_playwright

    rng = random.Random(seed)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = await browser.new_context(locale="en-US", viewport={"width": 1440, "height": 1000})
            page = await context.new_page()
            started = time.perf_counter()
            await page.goto(f"{base}/?lang=en", wait_until="domcontentloaded")
            await page.wait_for_function(DONE_JS, arg=["", TITLES["overview"]], timeout=timeout_s * 1000)
            elapsed = time.perf_counter() - started
            results.append(_row(t0, started, elapsed, "overview", "browser open", await _error(page)))
            here = "overview"
            while time.perf_counter() < deadline:
                slug = rng.choice([s for s in TITLES if s != here])
                started = time.perf_counter()
                error = ""
                elapsed = 0.0
                try:
                    href = "" if slug == "overview" else slug
                    link = page.locator(f"[data-testid=stSidebarNav] a[href$='/{href}']").first
                    await link.click(timeout=timeout_s * 1000)
                    await page.wait_for_function(DONE_JS, arg=[href, TITLES[slug]], timeout=timeout_s * 1000)
                    elapsed = time.perf_counter() - started
                    error = await _error(page)
                except Exception as err:  # noqa: BLE001 - a timeout is an error of this action
                    error = f"{type(err).__name__}: {str(err)[:200]}"
                    elapsed = time.perf_counter() - started
                results.append(_row(t0, started, elapsed, slug, "browser page", error))
                here = slug
                await page.wait_for_timeout(think_s * rng.uniform(0.5, 1.5) * 1000)
            if meta is not None:
                meta["chromium_cpu_s"] = chromium_cpu_s()
            await context.close()
        finally:
            await browser.close()


async def _error(page) -> str:
    for sel, what in (("[data-testid=stException]", "exception"), ("[data-testid=stAlertContentError]", "error alert")):
        loc = page.locator(sel)
        if await loc.count():
            return f"{what}: {(await loc.first.inner_text())[:200]}"
    return ""


def _row(t0: float, started: float, elapsed: float, slug: str, action: str, error: str) -> dict:
    return {"session": "browser", "t": round(started - t0, 3), "action": action, "page": slug, "detail": "",
            "s": round(elapsed, 4), "ok": not error, "error": error, "messages": 0,
            "bytes": 0, "refs": 0, "warnings": []}
