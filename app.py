"""Lead Funnel dashboard: `streamlit run app.py`.

Declares the pages (st.navigation), opens the one Store of this process, imports the sample data and the
shared folder once, draws the sidebar filters (mirrored in the URL) and runs the chosen page. A page that
fails shows one sentence (the traceback goes to the server log, never to the screen).

The page scripts live in ``app_pages/``, not ``pages/``: while a ``pages/`` folder sits beside the main
script, Streamlit runs the first script run of a process (and every AppTest run after ``switch_page``) in
its legacy multipage mode, which executes the page file on its own, without this file's sidebar and error
handling, and lists every file of the folder (the helper modules such as ``_store.py`` included) as a page.
"""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import streamlit as st

from funnel.i18n import t
from funnel.store.db import StoreBusyError
from app_pages import _page, _sidebar, _sign_in, _store

st.set_page_config(page_title="Lead Funnel · 线索转化漏斗", page_icon=":material/filter_alt:", layout="wide")

HERE = Path(__file__).resolve().parent
PAGES = (  # (file, label key, icon, url path)
    ("app_pages/overview.py", "page_overview", ":material/filter_alt:", "overview"),
    ("app_pages/data.py", "page_data", ":material/upload_file:", "data"),
    ("app_pages/cycle.py", "page_cycle", ":material/timer:", "cycle"),
    ("app_pages/loss.py", "page_loss", ":material/trending_down:", "loss"),
    ("app_pages/team.py", "page_team", ":material/groups:", "team"),
    ("app_pages/followup.py", "page_followup", ":material/notification_important:", "followup"),
    ("app_pages/trends.py", "page_trends", ":material/show_chart:", "trends"),
    ("app_pages/review.py", "page_review", ":material/compare_arrows:", "review"),
    ("app_pages/forecast.py", "page_forecast", ":material/query_stats:", "forecast"),
    ("app_pages/figure_sets.py", "page_figure_sets", ":material/dataset:", "figures"),
    ("app_pages/settings.py", "page_settings", ":material/settings:", "settings"),
    # Presentation mode (large type, no widgets) comes from the report module; listed when its page exists.
    ("app_pages/presentation.py", "page_presentation", ":material/present_to_all:", "presentation"),
)
# With sign-in on (docs/security.md), only an admin gets these: imports and rejects hold every file's rows, and
# a figure set written in batch holds figures of every lead it was computed on (no per-viewer restriction).
ADMIN_PAGES = ("data", "settings", "figures")
# A read-only replica (scripts/serve.sh) shows these as a link to the writer, which does every write.
WRITER_PAGES = ("data", "settings")

try:
    _store.begin_run()
    st.session_state["_startup_problems"] = _store.startup()
    lang = _store.current_lang()
    viewer = _sign_in.sign_in_gate(lang)  # sign-in off: everyone; else the sign-in / no-access screen stops here
    pages = [st.Page(_page.writer_page(slug) if _store.is_reader() and slug in WRITER_PAGES else path,
                     title=t(key, lang), icon=icon, url_path=slug, default=(slug == "overview"))
             for path, key, icon, slug in PAGES
             if (HERE / path).exists() and (viewer.sees_all or slug not in ADMIN_PAGES)]
    page = st.navigation(pages)
    _sidebar.render_sidebar(show_widgets=page.url_path != "presentation")
    page.run()
except StoreBusyError:
    st.warning(t("store_busy", _store.current_lang()))
except duckdb.FatalException:
    # A fatal error invalidates the DuckDB instance: drop it so the next rerun reconnects (the WAL replays).
    logging.getLogger("lead_funnel").exception("database instance invalidated; reconnecting on next run")
    _store.store().reset()
    st.warning(t("store_reconnect", _store.current_lang()))
except Exception as err:  # noqa: BLE001 - one sentence on screen, the traceback in the log
    logging.getLogger("lead_funnel").exception("page failed")
    st.error(t("error_generic", _store.current_lang(), msg=type(err).__name__))
