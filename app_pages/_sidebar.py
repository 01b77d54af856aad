"""The sidebar: filters, as-of date, stalled days and language, mirrored in the URL.

``render_sidebar`` runs in ``app.py`` before the page; it leaves the resolved ``View`` in
``st.session_state["_view"]`` and pages read it with ``_store.view()``.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from funnel import access, i18n
from funnel.i18n import t
from funnel.filters import DIMENSIONS, FunnelFilter
from funnel.metrics.context import GRAINS
from funnel.ui_state import VIEW_PARAMS, filter_to_query_params, parse_query_params
from app_pages._sign_in import _account_box, allowed_reps, current_viewer, _scope_text
from app_pages._store import (
    _auto_lang, _data_end, data_version, db_key, DEFAULT_STALLED_DAYS, _options, _resolve, _settings, View,
)
from app_pages._widgets import md_escape


_CURRENT = object()


def options(allowed=_CURRENT) -> dict:
    """The sidebar's choices (and the data's date span), only from the leads the viewer may see
    (``allowed``: as ``allowed_reps()`` returns; the current viewer's when not given)."""
    if allowed is _CURRENT:
        allowed = allowed_reps()
    return _options(db_key(), data_version(), None if allowed is None else tuple(sorted(allowed)))


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
