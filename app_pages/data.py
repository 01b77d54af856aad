"""Data: upload, detected format (confirmable), mapping editor, import with progress, validation report,
rejects download, import history, shared-folder refresh."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import streamlit as st

from funnel.formats import fmt_num
from funnel.i18n import t
from funnel.ingest import UPLOAD_MAX_MB, load_profile
from funnel.ingest.batch import ImportError_
from funnel.messages import problem_text, problem_texts, translate
from funnel.store.config import load_stage_config
from funnel.store.db import StoreBusyError
from funnel.ui_import import (CANONICAL_FIELDS, FORMAT_CHOICES, UNUSED, field_label, mapping_rows, preview_file, profile_from_rows,
                              save_mapping_profile, saved_profiles, valid_profile_name)
from app_pages import _page, _store, _widgets

v = _page.page_header("page_data")
lang = v.lang
con = _store.cursor()

for problem in st.session_state.get("_startup_problems") or []:
    _widgets.info(t("startup_problem", lang, msg=translate(problem, lang)))


@st.cache_data(show_spinner=False, max_entries=32)
def _preview(name: str, digest: str, version: str, _data: bytes):
    return preview_file(name, _data, load_stage_config(_store.store().cursor()))


def _format_label(fmt: str | None) -> str:
    return t(f"format_{fmt}", lang) if fmt else t("format_unknown", lang)


# --- upload ---------------------------------------------------------------------------------------------
uploads = st.file_uploader(t("upload_label", lang), type=["csv", "tsv", "txt", "xlsx"], accept_multiple_files=True,
                           key="uploads", max_upload_size=UPLOAD_MAX_MB, help=t("upload_help", lang, mb=UPLOAD_MAX_MB))
_widgets.uploader_words(lang, UPLOAD_MAX_MB, "CSV, TSV, TXT, XLSX")
profiles = saved_profiles()
profile_names = [""] + [p.stem for p in profiles]

if uploads:
    sources: list[tuple[str, bytes]] = []
    previews = []
    for upload in uploads:
        data = upload.getvalue()
        sources.append((upload.name, data))
        previews.append(_preview(upload.name, hashlib.sha256(data).hexdigest(), v.version, data))

    chosen_profile = st.selectbox(t("mapping_use_profile", lang), profile_names, key="profile",
                                  format_func=lambda n: n or t("mapping_none", lang))
    mapping = None
    if chosen_profile:
        try:
            mapping = load_profile(next(p for p in profiles if p.stem == chosen_profile))
        except ImportError_ as err:
            st.error(_widgets.md_escape(str(err)))

    detected = [p.detected for p in previews]
    for preview in previews:
        if preview.problem:
            st.error(_widgets.md_escape(t("file_unreadable", lang, file=preview.file_name,
                                          msg=translate(preview.problem, lang))))
        elif preview.detected:  # an unrecognised file gets the mapping warning below instead
            _widgets.caption(t("file_detected", lang, file=preview.file_name, format=_format_label(preview.detected)))
    only = {d for d in detected if d}
    found = ("、" if lang == "zh" else ", ").join(sorted(_format_label(d) for d in only))  # A. before B.
    auto = t("format_auto", lang) + (("（" + found + "）" if lang == "zh" else f" ({found})") if only else "")
    default_fmt = "auto"
    fmt = st.selectbox(t("confirm_format", lang), FORMAT_CHOICES, key="fmt",
                       index=FORMAT_CHOICES.index(default_fmt),
                       format_func=lambda f: _format_label(f) if f != "auto" else auto)

    # --- mapping editor for files whose headers are not recognised -----------------------------------
    for index, preview in enumerate(previews):
        if not preview.needs_mapping or mapping is not None:
            continue
        st.warning(_widgets.md_escape(t("mapping_needed", lang, file=preview.file_name)))
        rows = mapping_rows(preview, v.stages)
        edited = st.data_editor(
            rows, key=f"mapping_{index}", hide_index=True, width="stretch", num_rows="fixed",
            disabled=["file_column", "sample"],
            column_config={
                "file_column": st.column_config.TextColumn(t("col_file_column", lang)),
                "sample": st.column_config.TextColumn(t("col_sample", lang)),
                "maps_to": st.column_config.SelectboxColumn(
                    t("col_canonical", lang), options=[UNUSED] + list(CANONICAL_FIELDS), required=True,
                    format_func=lambda f: t("mapping_unused", lang) if f in (UNUSED, "", None) else field_label(f, lang)),
            })
        name_col, button_col = st.columns([3, 1])
        profile_name = name_col.text_input(t("mapping_profile_name", lang), key=f"profile_name_{index}",
                                           value=preview.file_name.rsplit(".", 1)[0][:40].replace(" ", "_"))
        button_col.write("")
        if button_col.button(t("mapping_save", lang), key=f"save_profile_{index}"):
            if not valid_profile_name(profile_name):
                st.error(t("mapping_bad_name", lang))
            else:
                path = save_mapping_profile(profile_from_rows(profile_name, preview.file_name, edited, fmt))
                st.success(_widgets.md_escape(t("mapping_saved", lang, path=path.name)))
        if mapping is None:
            # Use the edited mapping for this import even without saving it.
            mapping = profile_from_rows(profile_name or "upload", preview.file_name, edited, fmt)

    # --- import -------------------------------------------------------------------------------------------
    if st.button(t("import_button", lang), type="primary", key="do_import",
                 disabled=any(p.problem for p in previews)):
        from funnel.store.loader import import_files

        progress = st.empty()  # cleared when the import fails, so no "importing…" box stays behind
        try:
            with progress.status(t("importing", lang, n=len(sources)), expanded=False) as status:
                report = import_files(con, sources, mapping=mapping, fmt=fmt, who="dashboard",
                                      max_bytes=UPLOAD_MAX_MB * 1024 * 1024)
                status.update(state="complete")
            st.session_state["_last_report"] = report
            st.rerun()  # the sidebar's choices and every figure follow the new data
        except ImportError_ as err:
            progress.empty()
            st.error(_widgets.md_escape(t("import_failed", lang, msg=translate(str(err), lang))))
        except StoreBusyError:
            progress.empty()
            st.warning(t("store_busy", lang))


# --- validation report of the last import ---------------------------------------------------------------
def outcome_sentence(report) -> tuple[str, str]:
    """(kind, sentence): what the import did, in a manager's terms; kind is success / info / warning."""
    leads = getattr(report, "leads", None)
    rejected = sum(f.rows_rejected for f in report.files)
    warned = sum(f.rows_warned for f in report.files)
    if report.all_unchanged:
        return "info", t("import_unchanged", lang)
    if getattr(report, "no_data", False):
        return "warning", t("import_no_data", lang, files="、".join(f.file_name for f in report.files if f.no_data)
                            if lang == "zh" else ", ".join(f.file_name for f in report.files if f.no_data))
    if report.rows_accepted == 0:
        return "warning", t("import_nothing_accepted", lang, rejected=fmt_num(rejected))
    parts = []
    if leads is not None and leads.leads:
        parts.append(t("import_leads", lang, leads=fmt_num(leads.leads), new=fmt_num(leads.new),
                       changed=fmt_num(leads.changed), unchanged=fmt_num(leads.unchanged)))
    parts.append(t("import_rows", lang, accepted=fmt_num(report.rows_accepted), rejected=fmt_num(rejected),
                   warned=fmt_num(warned)))
    kind = "info" if leads is not None and leads.leads and leads.leads == leads.unchanged else "success"
    return kind, "".join(parts) if lang == "zh" else " ".join(parts)


def rejects_table(rejects: pd.DataFrame) -> pd.DataFrame:
    """Rejected rows as a table of their own columns (file, row, problem, then the cells as written)."""
    rows = []
    for rec in rejects.to_dict("records"):
        try:
            cells = json.loads(rec.get("raw_values") or "{}")
        except (TypeError, ValueError):
            cells = {t("col_raw_values", lang): rec.get("raw_values")}
        if not isinstance(cells, dict):
            cells = {t("col_raw_values", lang): rec.get("raw_values")}
        row = {t("col_file", lang): rec.get("file_name"), t("col_row", lang): rec.get("row_number"),
               t("col_problem", lang): problem_text(rec["code"], rec["params"], rec["reason"], lang)}
        for name, value in cells.items():
            row.setdefault(str(name), value if value not in ("", None) else None)
        rows.append(row)
    return pd.DataFrame(rows)


def show_report(report) -> None:
    st.subheader(t("report_title", lang))
    kind, sentence = outcome_sentence(report)
    getattr(st, kind)(_widgets.md_escape(sentence))
    files = pd.DataFrame([{
        t("col_file", lang): f.file_name, t("col_format", lang): _format_label(f.format),
        t("col_rows_read", lang): f.rows_read, t("col_rows_accepted", lang): f.rows_accepted,
        t("col_rows_rejected", lang): f.rows_rejected, t("col_rows_warned", lang): f.rows_warned,
        t("col_rows_blank", lang): f.rows_blank, t("col_rows_duplicate", lang): f.rows_duplicate,
    } for f in report.files])
    _widgets.table(files, key="report_files")
    # the notes in full, one line each (a table column cut them off)
    for f in report.files:
        notes = [translate(n, lang) for n in f.notes]
        if notes:
            st.markdown(f"**{_widgets.md_escape(f.file_name)}**")
            st.markdown("\n".join(f"- {_widgets.md_escape(n)}" for n in notes))
    for note in getattr(report, "notes", []) or []:
        _widgets.caption(translate(note, lang))

    st.markdown(f"**{t('warnings_title', lang)}**")
    if report.warnings is not None and len(report.warnings):
        shown = report.warnings.assign(problem=problem_texts(report.warnings, "problem", lang))
        warnings = _widgets.localized(shown, {"file_name": "col_file", "row_number": "col_row",
                                              "column_name": "col_column", "raw_value": "col_raw_value",
                                              "problem": "col_problem"})
        _widgets.table(warnings, key="report_warnings", height=min(400, 38 + 35 * len(warnings)))
        _widgets.download_table(warnings, "warnings", "dl_warnings")
    else:
        _widgets.caption(t("no_warnings", lang))

    st.markdown(f"**{t('rejects_title', lang)}**")
    if report.rejects is not None and len(report.rejects):
        rejects = rejects_table(report.rejects)
        _widgets.table(rejects, key="report_rejects", height=min(400, 38 + 35 * len(rejects)))
        _widgets.download_table(rejects, "rejects", "dl_rejects")
    else:
        _widgets.caption(t("no_rejects", lang))


if st.session_state.get("_last_report") is not None:
    show_report(st.session_state["_last_report"])

# --- import history ---------------------------------------------------------------------------------------
st.subheader(t("history_title", lang))
from funnel.store.queries import imports_history, rejects_of  # noqa: E402

history = imports_history(con)
if history.empty:
    _widgets.caption(t("history_empty", lang))
else:
    shown = history.copy()
    shown["format"] = shown["format"].map(lambda f: _format_label(f) if isinstance(f, str) else None)
    shown["status"] = shown["status"].map(lambda s: t(f"status_{s}", lang) if s in ("ok", "failed") else s)
    shown["who"] = shown["who"].map(lambda w: t(f"who_{w}", lang) if w in ("dashboard", "sample", "shared") else w)
    shown["message"] = shown["message"].map(lambda m: translate(m, lang))
    shown = _widgets.localized(shown, {
        "file_name": "col_file", "format": "col_format", "rows_read": "col_rows_read",
        "rows_accepted": "col_rows_accepted", "rows_rejected": "col_rows_rejected", "rows_warned": "col_rows_warned",
        "rows_blank": "col_rows_blank", "rows_duplicate": "col_rows_duplicate", "started_at": "col_started_at",
        "who": "col_who", "status": "col_status", "message": "col_message"})
    _widgets.table(shown, key="history", height=min(420, 38 + 35 * len(shown)),
                   column_config={t("col_message", lang): st.column_config.TextColumn(width="large"),
                                  t("col_started_at", lang): st.column_config.DatetimeColumn(
                                    format="YYYY-MM-DD HH:mm")})
    all_rejects = rejects_of(con)
    if len(all_rejects):
        st.markdown(f"**{t('rejects_title', lang)}** ({fmt_num(len(all_rejects))})")
        _widgets.download_table(rejects_table(all_rejects), "rejects_all", "dl_rejects_all")

# --- shared folder ----------------------------------------------------------------------------------------
st.subheader(t("shared_title", lang))
from funnel.store.shared_folder import sync_shared_folder  # noqa: E402

_widgets.caption(t("shared_caption", lang))  # no server path on screen (docs/security.md)
if st.button(t("shared_refresh", lang), key="shared_refresh", icon=":material/sync:"):
    try:
        with st.spinner(t("importing", lang, n="…")):
            result = sync_shared_folder(con)
        for name, msg in result.failed:
            st.error(_widgets.md_escape(t("shared_failed", lang, file=name, msg=translate(msg, lang))))
        if result.refused:
            st.warning(_widgets.md_escape(t("shared_refused", lang, files=", ".join(result.refused))))
        if result.report is None or result.report.all_unchanged:
            st.info(t("shared_nothing", lang))
        else:
            st.session_state["_last_report"] = result.report
            st.rerun()
    except StoreBusyError:
        st.warning(t("store_busy", lang))
