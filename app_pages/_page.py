"""Page furniture: the header every page starts with, the no-data stop, the writer link a read-only replica
shows instead of Data / Settings, and the Overview's tile window."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from funnel.i18n import t
from funnel.metrics import window_comparison
from app_pages._sidebar import as_of_sentences, options
from app_pages._sign_in import current_viewer
from app_pages._store import metric, View, view, writer_url
from app_pages._widgets import caption, info


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
