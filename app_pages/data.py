"""Data: upload, detected format (confirmable), mapping editor, import with progress, validation report,
rejects download, import history, shared-folder refresh."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from funnel.formats import fmt_num
from funnel.i18n import t
from funnel.ingest import load_profile
from funnel.ingest.batch import ImportError_
from funnel.store.config import load_stage_config
from funnel.store.db import StoreBusyError
from funnel.ui_import import (CANONICAL_FIELDS, FORMAT_CHOICES, mapping_rows, preview_file, profile_from_rows,
                              save_mapping_profile, saved_profiles, valid_profile_name)
from app_pages import _common as common

v = common.page_header("page_data")
lang = v.lang
con = common.cursor()

for problem in st.session_state.get("_startup_problems") or []:
    common.info(t("startup_problem", lang, msg=problem))


@st.cache_data(show_spinner=False, max_entries=32)
def _preview(name: str, digest: str, version: str, _data: bytes):
    return preview_file(name, _data, load_stage_config(common.store().cursor()))


def _format_label(fmt: str | None) -> str:
    return t(f"format_{fmt}", lang) if fmt else t("format_unknown", lang)


# --- upload ---------------------------------------------------------------------------------------------
uploads = st.file_uploader(t("upload_label", lang), type=["csv", "tsv", "txt", "xlsx"], accept_multiple_files=True,
                           key="uploads", max_upload_size=common.UPLOAD_MAX_MB,
                           help=t("upload_help", lang, mb=common.UPLOAD_MAX_MB))
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
            st.error(common.md_escape(str(err)))

    detected = [p.detected for p in previews]
    for preview in previews:
        if preview.problem:
            st.error(common.md_escape(t("file_unreadable", lang, file=preview.file_name, msg=preview.problem)))
        else:
            common.caption(t("file_detected", lang, file=preview.file_name, format=_format_label(preview.detected)))
    only = {d for d in detected if d}
    default_fmt = "auto"
    fmt = st.selectbox(t("confirm_format", lang), FORMAT_CHOICES, key="fmt",
                       index=FORMAT_CHOICES.index(default_fmt),
                       format_func=lambda f: _format_label(f) if f != "auto" else
                       t("format_auto", lang) + (f" ({', '.join(_format_label(d) for d in sorted(only))})" if only else ""))

    # --- mapping editor for files whose headers are not recognised -----------------------------------
    for index, preview in enumerate(previews):
        if not preview.needs_mapping or mapping is not None:
            continue
        st.warning(common.md_escape(t("mapping_needed", lang, file=preview.file_name)))
        rows = mapping_rows(preview, v.stages)
        edited = st.data_editor(
            rows, key=f"mapping_{index}", hide_index=True, width="stretch", num_rows="fixed",
            disabled=["file_column", "sample"],
            column_config={
                "file_column": st.column_config.TextColumn(t("col_file_column", lang)),
                "sample": st.column_config.TextColumn(t("col_sample", lang)),
                "maps_to": st.column_config.SelectboxColumn(t("col_canonical", lang), options=[""] + list(CANONICAL_FIELDS)),
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
                st.success(common.md_escape(t("mapping_saved", lang, path=path.name)))
        if mapping is None:
            # Use the edited mapping for this import even without saving it.
            mapping = profile_from_rows(profile_name or "upload", preview.file_name, edited, fmt)

    # --- import -------------------------------------------------------------------------------------------
    if st.button(t("import_button", lang), type="primary", key="do_import",
                 disabled=any(p.problem for p in previews)):
        from funnel.store.loader import import_files

        try:
            with st.status(t("importing", lang, n=len(sources)), expanded=False) as status:
                report = import_files(con, sources, mapping=mapping, fmt=fmt, who="dashboard")
                status.update(state="complete")
            st.session_state["_last_report"] = report
            st.rerun()  # the sidebar's choices and every figure follow the new data
        except ImportError_ as err:
            st.error(common.md_escape(t("import_failed", lang, msg=str(err))))
        except StoreBusyError:
            st.warning(t("store_busy", lang))


# --- validation report of the last import ---------------------------------------------------------------
def show_report(report) -> None:
    st.subheader(t("report_title", lang))
    warned = sum(f.rows_warned for f in report.files)
    rejected = sum(f.rows_rejected for f in report.files)
    if report.all_unchanged:
        st.info(t("import_unchanged", lang))
    else:
        st.success(t("import_done", lang, accepted=fmt_num(report.rows_accepted), rejected=fmt_num(rejected),
                     warned=fmt_num(warned)))
    files = pd.DataFrame([{
        t("col_file", lang): f.file_name, t("col_format", lang): _format_label(f.format),
        t("col_rows_read", lang): f.rows_read, t("col_rows_accepted", lang): f.rows_accepted,
        t("col_rows_rejected", lang): f.rows_rejected, t("col_rows_warned", lang): f.rows_warned,
        t("col_rows_blank", lang): f.rows_blank, t("col_rows_duplicate", lang): f.rows_duplicate,
        t("col_notes", lang): (t("skipped_unchanged", lang) + "; " if f.skipped_unchanged else "") + "; ".join(f.notes),
    } for f in report.files])
    common.table(files, key="report_files")
    for note in getattr(report, "notes", []) or []:
        common.caption(note)

    st.markdown(f"**{t('warnings_title', lang)}**")
    if report.warnings is not None and len(report.warnings):
        warnings = common.localized(report.warnings, {"file_name": "col_file", "row_number": "col_row",
                                                      "column_name": "col_column", "raw_value": "col_raw_value",
                                                      "problem": "col_problem"})
        common.table(warnings, key="report_warnings", height=min(400, 38 + 35 * len(warnings)))
        common.download_table(warnings, "warnings", "dl_warnings")
    else:
        common.caption(t("no_warnings", lang))

    st.markdown(f"**{t('rejects_title', lang)}**")
    if report.rejects is not None and len(report.rejects):
        rejects = common.localized(report.rejects, {"file_name": "col_file", "row_number": "col_row",
                                                    "reason": "col_problem", "raw_values": "col_raw_values"})
        common.table(rejects, key="report_rejects", height=min(400, 38 + 35 * len(rejects)))
        common.download_table(rejects, "rejects", "dl_rejects")
    else:
        common.caption(t("no_rejects", lang))


if st.session_state.get("_last_report") is not None:
    show_report(st.session_state["_last_report"])

# --- import history ---------------------------------------------------------------------------------------
st.subheader(t("history_title", lang))
from funnel.store.queries import imports_history, rejects_of  # noqa: E402

history = imports_history(con)
if history.empty:
    common.caption(t("history_empty", lang))
else:
    shown = history.copy()
    shown["format"] = shown["format"].map(lambda f: _format_label(f) if isinstance(f, str) else None)
    shown = common.localized(shown, {
        "file_name": "col_file", "format": "col_format", "rows_read": "col_rows_read",
        "rows_accepted": "col_rows_accepted", "rows_rejected": "col_rows_rejected", "rows_warned": "col_rows_warned",
        "rows_blank": "col_rows_blank", "rows_duplicate": "col_rows_duplicate", "started_at": "col_started_at",
        "who": "col_who", "status": "col_status", "message": "col_message"})
    common.table(shown, key="history", height=min(420, 38 + 35 * len(shown)))
    all_rejects = rejects_of(con)
    if len(all_rejects):
        st.markdown(f"**{t('rejects_title', lang)}** ({fmt_num(len(all_rejects))})")
        common.download_table(common.localized(all_rejects, {"file_name": "col_file", "row_number": "col_row",
                                                             "reason": "col_problem", "raw_values": "col_raw_values"}),
                              "rejects_all", "dl_rejects_all")

# --- shared folder ----------------------------------------------------------------------------------------
st.subheader(t("shared_title", lang))
from funnel.store.shared_folder import default_shared_dir, sync_shared_folder  # noqa: E402

common.caption(t("shared_caption", lang, folder=str(default_shared_dir())))
if st.button(t("shared_refresh", lang), key="shared_refresh", icon=":material/sync:"):
    try:
        with st.spinner(t("importing", lang, n="…")):
            result = sync_shared_folder(con)
        for name, msg in result.failed:
            st.error(common.md_escape(t("shared_failed", lang, file=name, msg=msg)))
        if result.refused:
            st.warning(common.md_escape(t("shared_refused", lang, files=", ".join(result.refused))))
        if result.report is None or result.report.all_unchanged:
            st.info(t("shared_nothing", lang))
        else:
            st.session_state["_last_report"] = result.report
            st.rerun()
    except StoreBusyError:
        st.warning(t("store_busy", lang))
