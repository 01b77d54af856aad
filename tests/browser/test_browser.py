"""Real-browser test: the real server on a free port, every page in headless Chromium, in both languages.

Asserts no exception box, no NaN / None / inf text, the funnel chart drawn (canvas or svg inside the Vega
element), saves a screenshot per page and language, and prints the page-switch times. Screenshots go to
$LEAD_FUNNEL_SCREENSHOTS or tests/browser/screenshots/ (gitignored). The server's log is printed on failure.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import unicodedata
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
PAGES = ("overview", "data", "cycle", "loss", "team", "followup", "trends", "review", "forecast", "settings")
TITLES = {"zh": {"overview": "总览", "data": "数据导入", "cycle": "转化周期", "loss": "流失分析", "team": "团队",
                 "followup": "异常跟进", "trends": "趋势", "review": "复盘", "forecast": "预测", "settings": "设置"},
          "en": {"overview": "Overview", "data": "Data", "cycle": "Cycle time", "loss": "Loss analysis",
                 "team": "Team", "followup": "Follow-up", "trends": "Trends", "review": "Review",
                 "forecast": "Forecast", "settings": "Settings"}}
BAD_TEXT = re.compile(r"\b(NaN|nan%|None|inf|Infinity|Traceback)\b")

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian chromium at /usr/bin/chromium")]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def _streamlit_server(env: dict, port: int, log_path: Path):
    """``streamlit run app.py`` on 127.0.0.1:port with ``env``, its output in log_path; yields (base URL,
    log_path, process) once /_stcore/health answers, and stops it afterwards."""
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    try:
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(base + "/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
            if proc.poll() is not None:
                break
        else:
            pytest.fail("server did not become healthy:\n" + log_path.read_text())
        yield base, log_path, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from funnel.store.bootstrap import sample_files

    if not sample_files():
        pytest.skip("data/sample/ has no files")
    tmp = tmp_path_factory.mktemp("browser")
    (tmp / "shared").mkdir()
    port = _free_port()
    env = dict(os.environ, LEAD_FUNNEL_DB=str(tmp / "browser.duckdb"), LEAD_FUNNEL_SHARED_DIR=str(tmp / "shared"),
               LEAD_FUNNEL_FIGURES_DIR=str(tmp / "figures"))
    env.pop("LEAD_FUNNEL_NO_SAMPLE", None)
    # one figure set saved by the command line (DuckDB on the sample files) and one file that is not one
    subprocess.run([sys.executable, "-m", "funnel", "metrics", "--input", *map(str, sample_files()), "--save",
                    "sample"], cwd=ROOT, env=env, check=True, capture_output=True)
    (tmp / "figures" / "other-tool.json").write_text('{"hello": "world"}', encoding="utf-8")
    with _streamlit_server(env, port, tmp / "server.log") as (base, log_path, proc):
        yield {"base": base, "log": log_path, "proc": proc}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def _shots_dir() -> Path:
    folder = Path(os.environ.get("LEAD_FUNNEL_SCREENSHOTS", ROOT / "tests" / "browser" / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _settle(page, timeout: float = 60_000) -> None:
    """Wait until the script has finished running (and a little for charts to draw)."""
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=timeout)
    page.wait_for_timeout(400)
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=timeout)


def _open(browser, server, path: str, locale: str):
    """(context, page, problems): a new browser context in ``locale`` on ``path`` of the server, settled; page
    errors collect in ``problems``."""
    context = browser.new_context(locale=locale, viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    page.goto(f"{server['base']}/{path}", wait_until="domcontentloaded")
    _settle(page)
    return context, page, problems


@contextlib.contextmanager
def _reported(server, context):
    """The server's log printed when the body fails; the browser context closed in any case."""
    try:
        yield
    except Exception:
        print("---- server log ----\n" + server["log"].read_text())
        raise
    finally:
        context.close()


def _charts_drawn(page, at_least: int) -> None:
    page.wait_for_function("(n) => document.querySelectorAll('[data-testid=stVegaLiteChart] canvas, "
                           "[data-testid=stVegaLiteChart] svg').length >= n", arg=at_least, timeout=60_000)


def _check_page(page, slug: str, lang: str) -> None:
    exceptions = page.locator("[data-testid=stException]")
    assert exceptions.count() == 0, f"{slug}/{lang}: exception box: {exceptions.first.inner_text()}"
    main_text = page.locator("[data-testid=stMain]").inner_text()
    bad = BAD_TEXT.findall(main_text)
    assert not bad, f"{slug}/{lang}: undefined value shown as text: {bad}"
    heading = page.locator("h1").first.inner_text()
    assert TITLES[lang][slug] in heading, f"{slug}/{lang}: heading {heading!r}"


def test_every_page_in_both_languages(server, browser):
    shots = _shots_dir()
    problems = []
    switch_times: dict[str, list[float]] = {"zh": [], "en": []}
    try:
        for lang, locale in (("zh", "zh-CN"), ("en", "en-US")):
            context = browser.new_context(locale=locale, viewport={"width": 1440, "height": 1000})
            page = context.new_page()
            page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
            page.goto(f"{server['base']}/?lang={lang}", wait_until="domcontentloaded")  # overview: the default page
            _settle(page)
            # the funnel chart is drawn
            chart = page.locator("[data-testid=stVegaLiteChart]").first
            chart.wait_for(timeout=30_000)
            page.wait_for_function(
                "() => document.querySelector('[data-testid=stVegaLiteChart] canvas, "
                "[data-testid=stVegaLiteChart] svg') !== null", timeout=30_000)
            for slug in PAGES:
                if slug != "overview":
                    link = page.locator(f"[data-testid=stSidebarNav] a[href$='/{slug}']").first
                    started = time.perf_counter()
                    link.click()
                    page.wait_for_function(
                        "([slug, title]) => location.pathname.endsWith('/' + slug) && "
                        "document.querySelector('[data-testid=stApp]').getAttribute('data-test-script-state') "
                        "=== 'notRunning' && (document.querySelector('h1')?.innerText || '').includes(title)",
                        arg=[slug, TITLES[lang][slug]], timeout=60_000)
                    switch_times[lang].append(time.perf_counter() - started)
                    _settle(page)
                    assert f"lang={lang}" in page.url, f"{slug}: the link lost the view: {page.url}"
                _check_page(page, slug, lang)
                page.screenshot(path=str(shots / f"{lang}_{slug}.png"), full_page=True)
            context.close()
        assert not problems, problems
    except Exception:
        print("---- server log ----\n" + server["log"].read_text())
        raise
    for lang, times in switch_times.items():
        times_ms = ", ".join(f"{t * 1000:.0f}" for t in times)
        median = sorted(times)[len(times) // 2] * 1000 if times else float("nan")
        print(f"page switch ({lang}): median {median:.0f} ms; each: {times_ms} ms")
    print(f"screenshots: {shots}")


@pytest.mark.parametrize("lang, locale", [("zh", "zh-CN"), ("en", "en-US")])
def test_the_figure_sets_page_draws_a_saved_figure_set(server, browser, lang, locale):
    """A figure set saved by ``metrics --save`` on the Figure sets page: where it came from, its charts drawn,
    the foreign file named; no exception box, no undefined value as text."""
    context, page, problems = _open(browser, server, f"figures?lang={lang}", locale)
    with _reported(server, context):
        _charts_drawn(page, 10)
        exceptions = page.locator("[data-testid=stException]")
        assert exceptions.count() == 0, exceptions.first.inner_text()
        text = page.locator("[data-testid=stMain]").inner_text()
        assert not BAD_TEXT.findall(text), BAD_TEXT.findall(text)
        assert ("批量指标集" if lang == "zh" else "Figure sets") in page.locator("h1").first.inner_text()
        picked = page.locator("[data-testid=stSelectbox] input").first.input_value()
        assert picked.startswith("sample.json · DuckDB · "), picked
        assert "other-tool.json" in text
        assert ("销售漏斗" if lang == "zh" else "Sales funnel") in text
        page.screenshot(path=str(_shots_dir() / f"{lang}_figures.png"), full_page=True)
        assert not problems, problems


def test_a_copied_link_reopens_the_same_view(server, browser):
    context = browser.new_context(locale="en-US", viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    try:
        page.goto(f"{server['base']}/team?grain=week&stalled=12&lang=en&as_of=bogus", wait_until="domcontentloaded")
        _settle(page)
        text = page.locator("[data-testid=stMain]").inner_text()
        assert "as_of=bogus" in text  # the note about the bad value
        assert page.locator("[data-testid=stException]").count() == 0
        assert "grain=week" in page.url and "stalled=12" in page.url and "as_of" not in page.url
    except Exception:
        print("---- server log ----\n" + server["log"].read_text())
        raise
    finally:
        context.close()


def test_report_download_on_the_overview_produces_a_file(server, browser, tmp_path):
    """The Overview's report buttons hand the browser a real file: a PDF that starts with %PDF and an HTML
    report of the picked period (the sample's as-of is 2024-12-31, so December 2024 opens)."""
    context = browser.new_context(locale="en-US", viewport={"width": 1440, "height": 2400}, accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(f"{server['base']}/?lang=en", wait_until="domcontentloaded")
        _settle(page)
        files = {}
        for label, suffix in (("PDF report", "pdf"), ("HTML report", "html")):
            button = page.locator("[data-testid=stDownloadButton] button", has_text=label).first
            button.wait_for(timeout=30_000)
            with page.expect_download(timeout=120_000) as info:
                button.click()
            download = info.value
            assert download.suggested_filename == f"lead-conversion-report_2024-12.{suffix}"
            target = tmp_path / download.suggested_filename
            download.save_as(target)
            files[suffix] = target.read_bytes()
        assert files["pdf"].startswith(b"%PDF") and len(files["pdf"]) > 10_000
        html = files["html"].decode("utf-8")
        assert "Lead conversion analysis report" in html and "December 2024" in html
        assert page.locator("[data-testid=stException]").count() == 0
    except Exception:
        print("---- server log ----\n" + server["log"].read_text())
        raise
    finally:
        context.close()


@pytest.mark.parametrize("lang,locale", [("zh", "zh-CN"), ("en", "en-US")])
def test_review_page_draws_its_charts_and_opens_a_lead_list(server, browser, lang, locale):
    """The Review page (复盘): waterfall, heat table and attribution bars drawn; the amount toggle redraws the
    waterfall; a lead list opens with as many rows as its number says. Screenshots: <lang>_review_*.png."""
    shots = _shots_dir()
    context, page, problems = _open(browser, server, f"review?lang={lang}", locale)
    with _reported(server, context):
        _check_page(page, "review", lang)
        _charts_drawn(page, 4)
        assert "period=" in page.url
        page.screenshot(path=str(shots / f"{lang}_review.png"), full_page=True)
        amount = "金额" if lang == "zh" else "Amount"
        page.locator("[data-testid=stRadio] label").filter(has_text=amount).first.click()
        _settle(page)
        _check_page(page, "review", lang)
        page.locator("[data-testid=stExpander] summary").first.click()
        _settle(page)
        caption = page.locator("[data-testid=stExpander] [data-testid=stCaptionContainer]").first.inner_text()
        shown = int(re.search(r"([\d,]+)", caption.split(":")[-1].split(":")[-1]).group(1).replace(",", ""))
        grid = page.locator("[data-testid=stExpander] [data-testid=stDataFrame]").first
        grid.wait_for(timeout=30_000)
        assert shown > 0
        page.screenshot(path=str(shots / f"{lang}_review_list.png"), full_page=True)
        assert not problems, problems


# ------------------------------------------------------------------ issue 12: a new manager's first hour

NEW_USER_PORTS = range(8611, 8620)
NEW_USER_TEXT = {
    "zh": {"as_of": "截至日期 2024-06-28:数据中最后一次发生事件的日期", "stalled": "4 条未结束线索超过 7 天没有任何动作",
           "outcome": "8 条线索:新增 8,变更 0,未变 0。", "import": "导入",
           "upload_button": "选择文件", "upload_hint": "每个文件最大"},
    "en": {"as_of": "As-of date 2024-06-28: the latest date something happened in the data",
           "stalled": "4 open leads had no action for more than 7 days",
           "outcome": "8 leads: 8 new, 0 changed, 0 unchanged.", "import": "Import",
           "upload_button": "Choose files", "upload_hint": "per file"},
}


def _port_in_range() -> int:
    for port in NEW_USER_PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.skip("no free port in 8611-8619")


@pytest.fixture
def fresh_server(tmp_path):
    """The real server on a fresh, empty database (no sample data): a new manager's first visit."""
    (tmp_path / "shared").mkdir()
    port = _port_in_range()
    env = dict(os.environ, LEAD_FUNNEL_DB=str(tmp_path / "fresh.duckdb"), LEAD_FUNNEL_SHARED_DIR=str(tmp_path / "shared"),
               LEAD_FUNNEL_NO_SAMPLE="1")
    with _streamlit_server(env, port, tmp_path / "server.log") as (base, log_path, _proc):
        yield {"base": base, "log": log_path, "dir": tmp_path}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_new_manager_imports_a_messy_template(fresh_server, browser, lang):
    """Upload the messy template and its stage log through the real file input, as a user does; the
    sidebar then names the default as-of date and where it came from, and Follow-up lists 4 stalled leads
    (tests/messy_template.py works the numbers out)."""
    from tests.messy_template import messy_files

    text = NEW_USER_TEXT[lang]
    paths = []
    for name, data in messy_files():
        path = fresh_server["dir"] / name
        path.write_bytes(data)
        paths.append(str(path))
    shots = _shots_dir()
    # tall enough that the sidebar's as-of caption and the whole validation report are on the screenshot
    context = browser.new_context(locale="zh-CN" if lang == "zh" else "en-US", viewport={"width": 1440, "height": 2400})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    try:
        page.goto(f"{fresh_server['base']}/data?lang={lang}", wait_until="domcontentloaded")
        _settle(page)
        # the uploader's own words (Streamlit draws "Upload" / "50MB per file" in English) in the page's language;
        # on a loaded machine the page can settle before the first run has drawn the uploader: wait for it
        for part in ("[data-testid=stFileUploaderDropzone] [data-testid=stMarkdownContainer] p",
                     "[data-testid=stFileUploaderDropzoneInstructions] span"):
            page.wait_for_selector(part, state="attached", timeout=60_000)
        drawn = page.evaluate("""() => [
            '[data-testid=stFileUploaderDropzone] [data-testid=stMarkdownContainer] p',
            '[data-testid=stFileUploaderDropzoneInstructions] span'].map(
                s => getComputedStyle(document.querySelector(s), '::after').content)""")
        assert drawn[0].strip('"') == text["upload_button"] and text["upload_hint"] in drawn[1], drawn
        page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(paths)
        _settle(page)
        page.locator(".st-key-do_import button").click()
        page.wait_for_function("(t) => document.querySelector('[data-testid=stMain]').innerText.normalize('NFKC')"
                               ".includes(t)", arg=text["outcome"], timeout=60_000)
        _settle(page)
        main = unicodedata.normalize("NFKC", page.locator("[data-testid=stMain]").inner_text())
        assert not BAD_TEXT.findall(main), BAD_TEXT.findall(main)
        assert "正在导入" not in main and "Importing" not in main
        page.screenshot(path=str(shots / f"new_user_{lang}_data.png"), full_page=True)
        sidebar = unicodedata.normalize("NFKC", page.locator("[data-testid=stSidebar]").inner_text())
        assert text["as_of"] in sidebar, sidebar
        page.locator("[data-testid=stSidebarNav] a[href$='/followup']").first.click()
        page.wait_for_function("(t) => document.querySelector('[data-testid=stMain]').innerText.normalize('NFKC')"
                               ".includes(t)", arg=text["stalled"], timeout=60_000)
        _settle(page)
        _check_page(page, "followup", lang)
        page.screenshot(path=str(shots / f"new_user_{lang}_followup.png"), full_page=True)
        assert not problems, problems
    except Exception:
        print("---- server log ----\n" + fresh_server["log"].read_text())
        raise
    finally:
        context.close()
