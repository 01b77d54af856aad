"""The store of this process, its connection and the cached calls every page shares.

Caching sits here only: ``st.cache_resource`` holds the one DuckDB Store per database path (each call gets
its thread's cursor); ``st.cache_data`` holds metric results keyed by the data version (a value that
changes on every import or setting change) plus the repr of the frozen MetricContext: DataFrames are
never hashed.

The sidebar (``_sidebar.render_sidebar``, run by ``app.py`` before the page) leaves the resolved ``View``
in ``st.session_state["_view"]``; pages read it with ``view()``. The View and the run's language sit here,
below everything else, because the cached calls are keyed by the view and the "database busy" message
speaks its language.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st

from funnel.i18n import t
from funnel.filters import FunnelFilter
from funnel.metrics.context import MetricContext
from funnel.store.db import Store, StoreBusyError, default_db_path
from funnel.ui_state import lang_from_locale


DEFAULT_STALLED_DAYS = 7


# ------------------------------------------------------------------------------------------------ store

ROLE_ENV_VAR = "LEAD_FUNNEL_ROLE"  # "reader": a replica on the published copies (scripts/serve.sh)
WRITER_URL_ENV_VAR = "LEAD_FUNNEL_WRITER_URL"  # where a replica sends Data and Settings (default /admin)


def is_reader() -> bool:
    """True in a read-only replica: reads the newest published copy of the database (docs/deploy.md), never
    writes; the Data and Settings pages live on the writer."""
    return os.environ.get(ROLE_ENV_VAR, "").strip().lower() == "reader"


def writer_url() -> str:
    return os.environ.get(WRITER_URL_ENV_VAR, "/admin").rstrip("/")


@st.cache_resource(show_spinner=False)
def _store(path: str) -> Store:
    if is_reader():
        from funnel.store.publish import PublishedStore, publish_dir_for

        return PublishedStore(publish_dir_for(path))
    return Store(path)


def begin_run() -> None:
    """First thing in every script run: a replica pins the newest published copy for this run (a copy
    published since the last run shows now, and one page never mixes two copies)."""
    begin = getattr(store(), "begin_run", None)
    if begin is not None:
        begin()


def db_key() -> str:
    return str(default_db_path())


def store() -> Store:
    return _store(db_key())


@st.cache_resource(show_spinner=False)
def _startup(path: str, no_sample: str, shared_dir: str) -> list[str]:
    """Once per process and database: import the sample data into an empty database, then the shared
    folder. Returns problem messages (shown on the Data page), never raises."""
    from funnel.store.bootstrap import ensure_sample_data
    from funnel.store.shared_folder import sync_shared_folder

    problems: list[str] = []
    con = _store(path).cursor()
    try:
        ensure_sample_data(con)
    except Exception as err:  # noqa: BLE001 - a broken sample must not stop the dashboard
        problems.append(str(err))
    try:
        result = sync_shared_folder(con, Path(shared_dir) if shared_dir else None)
        problems.extend(f"{name}: {msg}" for name, msg in result.failed)
    except Exception as err:  # noqa: BLE001
        problems.append(str(err))
    return problems


def startup() -> list[str]:
    from funnel.store.shared_folder import default_shared_dir

    if is_reader():
        return []  # the writer imports the sample data and the shared folder, then publishes
    return _startup(db_key(), os.environ.get("LEAD_FUNNEL_NO_SAMPLE", ""), str(default_shared_dir()))


def cursor():
    """This thread's cursor; shows the 'database busy' message and stops the page when the file is locked."""
    try:
        return store().cursor()
    except StoreBusyError:
        st.warning(t("store_busy", current_lang()))
        st.stop()


def data_version() -> str:
    from funnel.store.config import data_version as _version

    return _version(cursor())


# ------------------------------------------------------------------------------------------ cached calls

@st.cache_data(show_spinner=False, max_entries=512)
def _call(fn_key: str, path: str, version: str, ctx_key: str, kwargs_key: str, _fn, _ctx, _kwargs: dict):
    return _fn(_store(path).cursor(), _ctx, **_kwargs)


def metric(fn, ctx: MetricContext | None = None, **kwargs):
    """``fn(con, ctx, **kwargs)`` (a ``funnel.metrics`` function) for this page's context (or ``ctx``),
    cached by data version, context and arguments: DataFrames are never hashed."""
    ctx = ctx or view().ctx
    return _call(f"{fn.__module__}.{fn.__qualname__}", db_key(), view().version, repr(ctx),
                 repr(sorted(kwargs.items())), fn, ctx, kwargs)


def metric_later(fn, **kwargs):
    """A callable that computes ``fn(con, ctx, **kwargs)`` for this page's context when called, uncached:
    for downloads generated on click (outside the script run, so the view is captured now)."""
    ctx, path = view().ctx, db_key()

    def compute():
        return fn(_store(path).cursor(), ctx, **kwargs)

    return compute


@st.cache_data(show_spinner=False, max_entries=64)
def _resolve(path: str, version: str, key: str, _filter: FunnelFilter, as_of, grain: str,
             stalled_days: int) -> MetricContext:
    from funnel.metrics import resolve_context

    if as_of is None:  # the data's end, computed once per data version (not once per filter)
        as_of = _data_end(path, version).as_of
    return resolve_context(_store(path).cursor(), _filter, as_of=as_of, grain=grain, stalled_days=stalled_days)


@st.cache_data(show_spinner=False, max_entries=16)
def _data_end(path: str, version: str):
    from funnel.metrics.context import data_end

    return data_end(_store(path).cursor())


@st.cache_data(show_spinner=False, max_entries=16)
def _options(path: str, version: str, reps: tuple[str, ...] | None) -> dict:
    from funnel.store.queries import filter_options, lead_count

    con = _store(path).cursor()
    out = dict(filter_options(con, reps=reps))
    out["lead_count"] = lead_count(con)  # every lead: says whether the database is empty, nothing more
    return out


@st.cache_data(show_spinner=False, max_entries=16)
def _roster(path: str, version: str) -> tuple[tuple, ...]:
    from funnel.store.queries import roster_rows

    return tuple(roster_rows(_store(path).cursor()))


@st.cache_data(show_spinner=False, max_entries=16)
def _settings(path: str, version: str) -> dict:
    from funnel.store.config import get_setting

    con = _store(path).cursor()
    return {"language": get_setting(con, "language"), "stalled_days": get_setting(con, "stalled_days")}


# ------------------------------------------------------------------------------------------------ view

@dataclass(frozen=True)
class View:
    """The resolved view of this run: language, context (filter, as-of, grain, stalled days), data version."""

    lang: str
    ctx: MetricContext
    version: str
    lead_count: int
    default_as_of: dt.date | None
    notes: tuple[str, ...] = field(default_factory=tuple)
    chosen: FunnelFilter | None = None  # the user's own choice, before a sign-in restriction narrowed it
    scope: str | None = None  # with sign-in: what this viewer may see, in words

    @property
    def stages(self):
        return self.ctx.stages


def view() -> View:
    return st.session_state["_view"]


def current_lang() -> str:
    state = st.session_state.get("_state")
    if state and state.get("lang"):
        return state["lang"]
    if "w_lang" in st.session_state:
        return st.session_state["w_lang"]
    # First run of a session: the link's language (the sidebar reads the rest of the link later), so the
    # navigation labels drawn before the sidebar already speak it.
    linked = st.query_params.get("lang")
    if linked in ("zh", "en"):
        return linked
    return _auto_lang()


def _auto_lang() -> str:
    """The language when neither the link nor the user chose: the Settings default, else the browser's
    locale (zh* -> Chinese, other -> English), else Chinese."""
    try:
        setting = _settings(db_key(), data_version()).get("language")
    except Exception:  # noqa: BLE001
        setting = None
    if setting in ("zh", "en"):
        return setting
    try:
        locale = st.context.locale
    except Exception:  # noqa: BLE001
        locale = None
    return lang_from_locale(locale) or "zh"


# ------------------------------------------------------------------------------------------ figure sets

@st.cache_data(show_spinner=False, max_entries=64)
def _figure_set(path: str, folder: str, mtime_ns: int, size: int):
    from funnel.store.figure_sets import read_figure_set

    return read_figure_set(Path(path), Path(folder))


def figure_sets():
    """``(folder, entries)``: the figure sets of the figures folder (``funnel.store.figure_sets``), newest
    first; each file parsed once per (path, modification time, size)."""
    from funnel.store.figure_sets import default_figures_dir, read_figure_set, sort_newest_first

    folder = default_figures_dir()
    entries = []
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() != ".json" or path.name.startswith("."):
                continue
            try:
                stat = path.stat()
            except OSError:
                entries.append(read_figure_set(path, folder))
                continue
            entries.append(_figure_set(str(path), str(folder), stat.st_mtime_ns, stat.st_size))
    return folder, sort_newest_first(entries)
