"""What every page shares: the store, the sidebar (filters <-> URL), cached metric calls, downloads.

Caching sits here only: ``st.cache_resource`` holds the one DuckDB Store per database path (each call gets
its thread's cursor); ``st.cache_data`` holds metric results keyed by the data version (a value that
changes on every import or setting change) plus the repr of the frozen MetricContext: DataFrames are
never hashed.

The sidebar runs in ``app.py`` before the page; it leaves the resolved ``View`` in
``st.session_state["_view"]`` and pages read it with ``view()``.

Optional sign-in (docs/security.md): off unless ``.streamlit/secrets.toml`` has an ``[auth]`` table. When on,
``sign_in_gate`` (called by ``app.py`` before the pages are declared) shows the sign-in screen or the
"no access" message and stops; a signed-in manager's view is narrowed to their roster reps
(``funnel.access.restrict_filter``) where the filter is built, so every figure, table, chart, download and
the presentation's report only see those leads, and the sidebar only offers their values.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import streamlit as st

from funnel import access, i18n
from funnel.formats import fmt_delta, is_undefined
from funnel.exports import to_csv_bytes, to_xlsx_bytes
from funnel.i18n import t
from funnel.filters import DIMENSIONS, FunnelFilter
from funnel.metrics import window_comparison
from funnel.metrics.context import GRAINS, MetricContext
from funnel.store.db import Store, StoreBusyError, default_db_path
from funnel.ui_state import VIEW_PARAMS, filter_to_query_params, lang_from_locale, parse_query_params

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


_CURRENT = object()


def options(allowed=_CURRENT) -> dict:
    """The sidebar's choices (and the data's date span), only from the leads the viewer may see
    (``allowed``: as ``allowed_reps()`` returns; the current viewer's when not given)."""
    if allowed is _CURRENT:
        allowed = allowed_reps()
    return _options(db_key(), data_version(), None if allowed is None else tuple(sorted(allowed)))


# ---------------------------------------------------------------------------------------------- sign-in

class SignInMisconfigured(Exception):
    """A secrets file exists but cannot be read: whether sign-in was meant to be on is unknown."""


def _plain(value):
    return {str(k): _plain(v) for k, v in value.items()} if isinstance(value, Mapping) else value


def _secrets_section(name: str) -> dict:
    """The ``[name]`` table of ``.streamlit/secrets.toml`` as a plain dict; {} when there is no secrets file
    or no such table. A secrets file that cannot be parsed raises ``SignInMisconfigured`` (fail closed)."""
    try:
        value = st.secrets.get(name)
    except Exception as err:  # noqa: BLE001 - StreamlitSecretNotFoundError, or a parse error
        if getattr(err, "error_id", None) == "no-secrets-found":
            return {}
        raise SignInMisconfigured(str(err)) from err
    return _plain(value) if isinstance(value, Mapping) else {}


def sign_in_enabled() -> bool:
    """Sign-in is on exactly when the secrets hold a non-empty ``[auth]`` table."""
    return bool(_secrets_section("auth"))


def current_user() -> dict:
    """``st.user`` as a plain dict (the seam tests may replace); {} when there is none."""
    try:
        return dict(st.user.to_dict())
    except Exception:  # noqa: BLE001
        return {}


def current_viewer() -> access.Viewer:
    """Who is looking: ``EVERYONE`` while sign-in is off; else resolved from the signed-in e-mail and the
    ``[visibility]`` table of the secrets (an address the provider marks unverified counts as none)."""
    if not sign_in_enabled():
        return access.EVERYONE
    user = current_user()
    if user.get("is_logged_in") is not True:
        return access.ANONYMOUS
    verified = user.get("email_verified")
    unverified = verified is False or (isinstance(verified, str) and verified.strip().lower() == "false")
    email = None if unverified else user.get("email")
    return access.resolve_viewer(email, _secrets_section("visibility"))


def allowed_reps(who: access.Viewer | None = None) -> frozenset[str] | None:
    """None when the viewer sees every lead, else the reps whose leads they may see (from the roster)."""
    who = who or current_viewer()
    if who.sees_all:
        return None
    return access.allowed_reps(who, _roster(db_key(), data_version()) if who.role == "manager" else ())


def _authlib_available() -> bool:
    return importlib.util.find_spec("authlib") is not None


def _sign_out_button(where, lang: str) -> None:
    if where.button(t("sign_out", lang), key="lf_sign_out", icon=":material/logout:"):
        st.logout()
        st.rerun()


def sign_in_gate(lang: str) -> access.Viewer:
    """Return the viewer, or draw the sign-in / no-access screen and stop the run (no page, no data)."""
    try:
        who = current_viewer()
    except SignInMisconfigured:
        st.error(t("sign_in_misconfigured", lang))
        st.stop()
    if who.role == "everyone":
        return who
    if who.role == "anonymous":
        st.title(t("app_title", lang))
        st.subheader(t("sign_in_title", lang))
        st.write(t("sign_in_text", lang))
        if not _authlib_available():
            st.warning(t("sign_in_unavailable", lang))
        elif st.button(t("sign_in_button", lang), key="lf_sign_in", type="primary", icon=":material/login:"):
            st.login()
        st.stop()
    if who.role == "unknown":
        st.title(t("app_title", lang))
        info(t("no_access", lang, email=who.email or "?"))
        _sign_out_button(st, lang)
        st.stop()
    if who.role == "manager" and not allowed_reps(who):
        st.title(t("app_title", lang))
        info(t("no_reps", lang, managers="、".join(who.managers) if lang == "zh" else ", ".join(who.managers)))
        _sign_out_button(st, lang)
        st.stop()
    return who


def _scope_text(who: access.Viewer, allowed: frozenset[str] | None, lang: str) -> str | None:
    if who.role == "admin":
        return t("scope_admin", lang)
    if who.role == "manager":
        names = "、".join(who.managers) if lang == "zh" else ", ".join(who.managers)
        return t("scope_manager", lang, managers=names, n=len(allowed or ()))
    return None


def _account_box(who: access.Viewer, scope: str | None, lang: str) -> None:
    """Who is signed in, what they see, and the sign-out button (sidebar; only while sign-in is on)."""
    sb = st.sidebar
    sb.divider()
    user = current_user()
    name = user.get("name") or who.email or ""
    sb.caption(md_escape(t("signed_in_as", lang, who=name)))
    if scope:
        sb.caption(md_escape(scope))
    _sign_out_button(sb, lang)


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


def _stalled_default() -> int:
    raw = _settings(db_key(), data_version()).get("stalled_days")
    try:
        return int(raw) if raw is not None else DEFAULT_STALLED_DAYS
    except ValueError:
        return DEFAULT_STALLED_DAYS


def _url_dict() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params.keys()}


def _init_state(opts: dict) -> None:
    """First run of a session: read the link. Bad values fall back to the default and leave a note."""
    known = {d.field: opts.get(d.field, []) for d in DIMENSIONS}
    parsed = parse_query_params(_url_dict(), known=known if opts.get("lead_count") else None)
    st.session_state["_state"] = {
        "date_from": parsed.filter.date_from, "date_to": parsed.filter.date_to, "grain": parsed.grain,
        **{d.field: list(parsed.filter.values(d)) for d in DIMENSIONS},
        "as_of": parsed.as_of, "stalled": parsed.stalled_days, "lang": parsed.lang,
    }
    st.session_state["_url_notes"] = parsed.notes
    st.session_state["_url_notes_state"] = dict(st.session_state["_state"])


def render_sidebar(show_widgets: bool = True) -> View:
    """Draw the sidebar filters (unless ``show_widgets`` is False, as in presentation mode), mirror them in
    the URL and return the View. Widgets take their start values from the session's state, so the state
    survives a page without widgets."""
    who = current_viewer()
    allowed = allowed_reps(who)
    opts = options(allowed)
    if "_state" not in st.session_state:
        _init_state(opts)
    state = st.session_state["_state"]
    lang = state["lang"] or _auto_lang()
    stalled_default = _stalled_default()

    if show_widgets:
        sb = st.sidebar
        # language first: every other label depends on it
        st.session_state.setdefault("w_lang", lang)
        choice = sb.radio(t("language", lang), ("zh", "en"), key="w_lang", horizontal=True,
                          format_func=lambda v: "中文" if v == "zh" else "English")
        if choice != lang:  # a language chosen here (or in the link) stays in the link
            state["lang"] = choice
        lang = choice
        sb.subheader(t("filters", lang))

        low, high = opts.get("min_acquired"), opts.get("max_acquired")
        if low is not None and high is not None:
            start = state["date_from"] or low
            end = state["date_to"] or high
            st.session_state.setdefault("w_dates", (start, end))
            picked = sb.date_input(t("date_range", lang), key="w_dates", min_value=min(low, start),
                                   max_value=max(high, end), format="YYYY-MM-DD")
            if isinstance(picked, (tuple, list)) and len(picked) == 2:
                state["date_from"] = None if picked[0] == low else picked[0]
                state["date_to"] = None if picked[1] == high else picked[1]

        st.session_state.setdefault("w_grain", state["grain"])
        state["grain"] = sb.radio(t("grain", lang), GRAINS, key="w_grain", horizontal=True,
                                  format_func=lambda g: i18n.grain_word(g, lang))

        for dim in DIMENSIONS:
            name = dim.field
            choices = opts.get(name, [])
            if not choices:
                state[name] = []
                continue
            st.session_state.setdefault(f"w_{name}", [v for v in state[name] if v in choices])
            state[name] = sb.multiselect(t(dim.label_key, lang), choices, key=f"w_{name}",
                                         placeholder=t("all", lang))

        default_as_of = _default_as_of(state)
        st.session_state.setdefault("w_as_of", state["as_of"])
        label = (t("as_of_default", lang, date=default_as_of.isoformat()) if default_as_of else t("as_of", lang))
        state["as_of"] = sb.date_input(label, key="w_as_of", help=t("as_of_help", lang), format="YYYY-MM-DD")

        st.session_state.setdefault("w_stalled", state["stalled"] if state["stalled"] is not None
                                    else stalled_default)
        stalled = sb.number_input(t("stalled_days", lang), min_value=0, max_value=3650, step=1, key="w_stalled")
        state["stalled"] = None if int(stalled) == stalled_default else int(stalled)

    scope = _scope_text(who, allowed, lang)
    if show_widgets and who.role in ("admin", "manager"):
        _account_box(who, scope, lang)

    chosen = FunnelFilter.of(state["date_from"], state["date_to"], state)
    # Server-side, after the link and the sidebar were read: a signed-in manager's filter only ever narrows.
    flt = access.restrict_filter(chosen, allowed)
    stalled_days = state["stalled"] if state["stalled"] is not None else stalled_default
    version = data_version()
    ctx = _resolve(db_key(), version, repr((flt, state["as_of"], state["grain"], stalled_days)), flt,
                   state["as_of"], state["grain"], stalled_days)

    # The URL mirrors the state (only non-default values), so a copied link reopens this view.
    # Parameters of other owners (e.g. the presentation page's ``period``) are left as they are.
    wanted = filter_to_query_params(chosen, state["grain"], state["as_of"], state["stalled"], state["lang"])
    wanted = {k: (v if isinstance(v, list) else [v]) for k, v in wanted.items()}
    current_url = _url_dict()
    for key in VIEW_PARAMS:
        if key in wanted and current_url.get(key) != wanted[key]:
            st.query_params[key] = wanted[key]
        elif key not in wanted and key in current_url:
            del st.query_params[key]

    notes: tuple[str, ...] = ()
    if st.session_state.get("_url_notes") and state == st.session_state.get("_url_notes_state"):
        notes = tuple(t(f"url_note_{n.problem}", lang, param=n.param, raw=n.raw, fallback=n.fallback)
                      for n in st.session_state["_url_notes"])
    else:
        st.session_state["_url_notes"] = []
    current = View(lang=lang, ctx=ctx, version=version, lead_count=int(opts.get("lead_count") or 0),
                   default_as_of=_default_as_of(state), notes=notes, chosen=chosen,
                   scope=scope if who.role == "manager" else None)
    st.session_state["_view"] = current
    if show_widgets and current.lead_count:
        source, _warning = as_of_sentences(current)
        if source:
            st.sidebar.caption(md_escape(source))
    return current


def _default_as_of(state: dict | None = None) -> dt.date | None:
    """The as-of date the metrics use when the user sets none: the data's real end (``data_end``, the same
    rule as the command line's default)."""
    try:
        return _data_end(db_key(), data_version()).as_of
    except Exception:  # noqa: BLE001
        return None


def data_end_info():
    """``funnel.metrics.context.DataEnd`` of the current data (cached per data version), or None."""
    try:
        return _data_end(db_key(), data_version())
    except Exception:  # noqa: BLE001
        return None


def as_of_sentences(v: "View") -> tuple[str | None, str | None]:
    """(where the as-of date came from, a warning or None), in the view's language."""
    from funnel.metrics.context import as_of_outside_data

    end = data_end_info()
    lang = v.lang
    state = st.session_state.get("_state") or {}
    if end is None or end.as_of is None:
        return None, None
    if state.get("as_of") is None:
        source = t("as_of_source", lang, date=end.as_of.isoformat(), what=t(f"as_of_kind_{end.kind}", lang))
        warning = (t("as_of_strays", lang, n=end.ignored, latest=end.latest.isoformat(), date=end.as_of.isoformat())
                   if end.ignored else None)
        return source, warning
    source = t("as_of_set", lang, date=v.ctx.as_of.isoformat(), end=end.as_of.isoformat())
    where = as_of_outside_data(v.ctx.as_of, end)
    warning = (t(f"as_of_{where}_data", lang, date=v.ctx.as_of.isoformat(), first=end.first.isoformat(),
                 end=end.as_of.isoformat()) if where else None)
    return source, warning


# ----------------------------------------------------------------------------------------- page helpers

def page_header(title_key: str) -> View:
    """Title, URL notes and the one-line description of the view; returns the View."""
    v = view()
    st.title(t(title_key, v.lang))
    for note in v.notes:
        info(note)  # the link's raw values are user text: escaped
    caption(t("view_sentence", v.lang, filter=(v.chosen or v.ctx.filter).describe(v.lang),
              as_of=v.ctx.as_of.isoformat()))
    if v.lead_count:
        _source, as_of_warning = as_of_sentences(v)
        if as_of_warning:
            st.warning(as_of_warning)
    if v.scope:
        caption(v.scope)
    return v


def writer_page(slug: str):
    """The page a read-only replica shows instead of Data / Settings: a link to the same page on the writer
    (imports and settings are writes; the replicas pick the result up on their next run)."""
    title_key = f"page_{slug}"

    def page() -> None:
        v = page_header(title_key)
        st.info(t("writer_page_note", v.lang))
        st.link_button(t("writer_page_open", v.lang, page=t(title_key, v.lang)), f"{writer_url()}/{slug}",
                       icon=":material/open_in_new:")

    page.__name__ = f"{slug}_on_writer"  # st.Page names a callable page after the function
    return page


def require_data(v: View) -> None:
    """Stop the page with a message when the database holds no lead."""
    if v.lead_count == 0:
        st.info(t("no_data", v.lang))
        if current_viewer().sees_all:  # the Data page is an admin's page while sign-in is on
            st.page_link("app_pages/data.py", label=t("page_data", v.lang), icon=":material/upload:")
        st.stop()


def stage_name(key: str | None, v: View | None = None) -> str:
    v = v or view()
    if key is None:
        return i18n.DASH
    try:
        return v.ctx.stages.get(key).name(v.lang)
    except KeyError:
        return str(key)


def download_table(df, name: str, key: str) -> None:
    """CSV (UTF-8 with BOM, formula-safe) and XLSX buttons for a table (generated when clicked).

    ``df``: the table, or a callable returning it (a list bigger than what the page draws is then only
    fetched when someone downloads it)."""
    lang = view().lang
    frame = df if callable(df) else (lambda: df)
    c1, c2, _ = st.columns([1, 1, 4])
    c1.download_button(t("download_csv", lang), data=lambda: to_csv_bytes(frame()), file_name=f"{name}.csv",
                       mime="text/csv", key=f"{key}_csv", on_click="ignore", icon=":material/download:")
    c2.download_button(t("download_xlsx", lang), data=lambda: to_xlsx_bytes(frame(), name),
                       file_name=f"{name}.xlsx", key=f"{key}_xlsx", on_click="ignore",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       icon=":material/download:")


def screen_sized(chart):
    """The chart with its height kept for the plot, the page's width filled: Streamlit's default autosize
    ("fit", padding included) squeezes axis labels, titles and legends into the chart's height, which drew
    the Pareto's bars ~100 px tall under its rotated labels and dropped 3 of 6 stage names from the
    loss-by-stage bars. "fit-x" fits only the width. Concatenated charts keep Streamlit's default."""
    import altair as alt

    if isinstance(chart, (alt.HConcatChart, alt.VConcatChart, alt.ConcatChart)):
        return chart
    return chart.properties(autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


def show_chart(chart, name: str, key: str) -> None:
    """The chart, then PNG and SVG download buttons (rendered offline with the CJK font when clicked)."""
    from funnel.charts import chart_to_png, chart_to_svg

    lang = view().lang
    st.altair_chart(screen_sized(chart), width="stretch", key=f"{key}_chart")
    c1, c2, _ = st.columns([1, 1, 4])
    c1.download_button(t("download_png", lang), data=lambda: chart_to_png(chart), file_name=f"{name}.png",
                       mime="image/png", key=f"{key}_png", on_click="ignore", icon=":material/image:")
    c2.download_button(t("download_svg", lang), data=lambda: chart_to_svg(chart), file_name=f"{name}.svg",
                       mime="image/svg+xml", key=f"{key}_svg", on_click="ignore", icon=":material/image:")


def localized(df: pd.DataFrame, columns: dict[str, str], v: View | None = None) -> pd.DataFrame:
    """Keep ``columns`` (metric column -> label key) in that order, renamed into the view's language."""
    v = v or view()
    present = [c for c in columns if c in df.columns]
    return df[present].rename(columns={c: t(columns[c], v.lang) for c in present})


PCT_FORMAT = "%.1f%%"  # one decimal on every row (Streamlit's "percent" drew 15% beside 21.43%), as the tiles


def pct_column(label: str):
    """A ratio column (0..1) shown as a percentage with one decimal; ``table`` scales it for the screen."""
    return st.column_config.NumberColumn(label, format=PCT_FORMAT)


def _percent_for_screen(df: pd.DataFrame, config: dict) -> pd.DataFrame:
    """Ratio columns configured by ``pct_column`` times 100 (the format prints, it does not scale)."""
    cols = [c for c, cfg in config.items() if c in df.columns and isinstance(cfg, dict)
            and (cfg.get("type_config") or {}).get("format") == PCT_FORMAT]
    if not cols:
        return df
    out = df.copy()
    for c in cols:
        out[c] = pd.to_numeric(out[c], errors="coerce") * 100
    return out


def date_columns(df: pd.DataFrame) -> dict:
    """Column configs for the frame's timestamp columns: a date (2024-05-01) when every value is at
    midnight (dates stored as timestamps, which drew "2024-05-01 00:00:00"), else date and minute."""
    out = {}
    for c in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[c]):
            values = df[c].dropna()
            whole = bool((values.dt.normalize() == values).all())
            out[c] = st.column_config.DatetimeColumn(format="YYYY-MM-DD" if whole else "YYYY-MM-DD HH:mm")
    return out


def table(df: pd.DataFrame, column_config: dict | None = None, key: str | None = None, height="auto") -> None:
    """A sortable table; user text shown as text (never Markdown), missing values shown as '—', whole
    numbers with thousands separators (259,411) as on the tiles."""
    config = {c: st.column_config.NumberColumn(format="localized") for c in df.columns
              if pd.api.types.is_integer_dtype(df[c])}
    config.update(date_columns(df))
    config.update(column_config or {})
    df = _percent_for_screen(df, config)
    st.dataframe(df, hide_index=True, width="stretch", column_config=config, placeholder=i18n.DASH,
                 key=key, height=height)


_MD_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:=&\"'^%")


def md_escape(text: object) -> str:
    """Text made inert for st.markdown / st.caption / st.info: every Markdown, HTML and Streamlit directive
    character (``*``, ``<``, ``:``, ``$`` ...) is backslash-escaped, so user text shows exactly as written."""
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in str(text)).replace("\n", "  \n")


def caption(text: str) -> None:
    st.caption(md_escape(text))


def info(text: str) -> None:
    st.info(md_escape(text))


def with_stage_names(df: pd.DataFrame, column: str = "stage") -> pd.DataFrame:
    """A copy with ``name``: the configured name of the stage key in ``column``, in the view's language."""
    out = df.copy()
    out["name"] = [stage_name(k) for k in out[column]]
    return out


def bar_chart(df: pd.DataFrame, category: str, value: str, title: str, category_title: str, value_title: str):
    from funnel.dashboard_charts import bar_chart as _bar

    return _bar(df, category, value, title, category_title, value_title, lang=view().lang)


def line_chart(df: pd.DataFrame, value: str, title: str, value_title: str, grain: str):
    from funnel.dashboard_charts import period_line_chart

    return period_line_chart(df, value, title, value_title, grain=grain, lang=view().lang)


def reason_labels(df: pd.DataFrame) -> pd.DataFrame:
    """Loss reasons with the 'unspecified' bucket labelled in the view's language."""
    out = df.copy()
    unspecified = t("unspecified", view().lang)
    out["reason"] = [unspecified if (r is None or (isinstance(r, float) and r != r) or str(r).strip() == ""
                                     or str(r).startswith("未填写")) else r for r in out["reason"]]
    return out


def overview_window(v: "View | None" = None) -> tuple[dt.date, dt.date, str]:
    """(first, last, kind) of the acquisition window the Overview tiles show (docs/metrics.md, "Overview
    tiles"): the sidebar's date range when one is chosen (kind "range"; an open end is the data's first /
    last acquisition date), else the last whole period of the view's grain before the as-of date (kind
    "period")."""
    from funnel.metrics.review import last_whole_period

    v = v or view()
    flt = v.ctx.filter
    if flt.date_from is not None or flt.date_to is not None:
        opts = options()
        first = flt.date_from or opts.get("min_acquired") or flt.date_to
        last = flt.date_to or opts.get("max_acquired") or flt.date_from
        return first, last, "range"
    first, last = last_whole_period(v.ctx.as_of, v.ctx.grain)
    return first, last, "period"


def overview_comparison() -> dict | None:
    """``funnel.metrics.window_comparison`` for the Overview's tile window (``overview_window``): the
    tiles' figures, the window before, whether the data covers it and whether the cohort is young;
    plus "kind" ("range" / "period"). None when the window is empty of days (from after to)."""
    import dataclasses

    v = view()
    first, last, kind = overview_window(v)
    if first is None or last is None or last < first:
        return None
    wctx = dataclasses.replace(v.ctx, filter=dataclasses.replace(v.ctx.filter, date_from=first, date_to=last))
    out = metric(window_comparison, ctx=wctx)
    return {**out, "kind": kind} if out else None


def delta_text(pop: dict, key: str, kind: str) -> str | None:
    """One KPI's change from the previous period as a tile shows it (funnel.formats.fmt_delta)."""
    diff = pop.get("change", {}).get(key)
    if is_undefined(diff):
        return None
    return fmt_delta(diff, "pct" if kind == "ratio" else kind, view().lang)


def bilingual(text: object, lang: str) -> str:
    """'价格 / price' -> '价格' in Chinese, 'price' in English; other text unchanged."""
    value = "" if text is None else str(text)
    if " / " in value:
        zh, _, en = value.partition(" / ")
        return zh if lang == "zh" else en
    return value
