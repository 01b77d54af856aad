"""The monthly report as HTML / XLSX / PDF downloads on the dashboard (docs/report.md, "On the dashboard").

``report_downloads()`` draws a "报告 / Report" section: a period picker (default: the last whole period of
the view's grain, ``funnel.report.periods.review_period``) and three download buttons. Each file is built
when its button is clicked (deferred), by the same ``funnel.report.build_report`` + ``report_bytes`` as
``python -m funnel report``, for the picked period and the sidebar's view: filter (a signed-in manager's
restriction included), as-of date, stalled threshold and language.
"""

from __future__ import annotations

import dataclasses

import streamlit as st

from funnel.i18n import t
from funnel.report import MIME_TYPES, download_name
from funnel.periods import Period, period_containing, review_period
from app_pages import _sidebar, _store, _widgets

MAX_PERIODS = 60  # newest first; enough for five years of months


def report_periods(first_day, as_of, grain: str) -> list[Period]:
    """Whole periods from the one holding ``first_day`` (the data's first acquisition) to the last one that
    has ended by ``as_of``, newest first (at most MAX_PERIODS)."""
    out: list[Period] = []
    current = review_period(as_of, grain)
    floor = period_containing(first_day, grain).start if first_day else current.start
    while current.start >= floor and len(out) < MAX_PERIODS:
        out.append(current)
        current = current.previous()
    return out


def _builder(period: str, fmt: str):
    """The bytes of the report, built when called (after the click, outside the script run)."""
    v = _store.view()
    path, ctx, lang = _store.db_key(), v.ctx, v.lang

    def build() -> bytes:
        from funnel.report import build_report, report_bytes

        report = build_report(_store._store(path).cursor(), ctx, period=period, grain=ctx.grain, lang=lang)
        return report_bytes(report, fmt)

    return build


def report_downloads() -> None:
    v = _store.view()
    lang = v.lang
    st.subheader(t("report_section", lang))
    periods = report_periods(_sidebar.options().get("min_acquired"), v.ctx.as_of, v.ctx.grain)
    if not periods:
        _widgets.info(t("report_no_period", lang))
        return
    default = review_period(v.ctx.as_of, v.ctx.grain, v.ctx.filter.date_to)
    labels = [p.label for p in periods]
    titles = {p.label: p.title(lang) for p in periods}
    index = labels.index(default.label) if default.label in labels else 0
    period = st.selectbox(t("report_period", lang), labels, index=index, key="lf_report_period",
                          format_func=lambda label: titles.get(label, label))
    attributes = dataclasses.replace(v.ctx.filter, date_from=None, date_to=None)
    _widgets.caption(t("report_caption", lang, period=titles[period], filter=attributes.describe(lang),
                       as_of=v.ctx.as_of.isoformat()))
    columns = st.columns([1, 1, 1, 3])
    for column, fmt, icon in zip(columns, ("html", "xlsx", "pdf"),
                                 (":material/html:", ":material/table:", ":material/picture_as_pdf:")):
        column.download_button(t(f"report_{fmt}", lang), data=_builder(period, fmt),
                               file_name=download_name(period, lang, fmt), mime=MIME_TYPES[fmt],
                               key=f"lf_report_{fmt}", on_click="ignore", icon=icon)
