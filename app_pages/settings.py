"""Settings: stages (rename, reorder, add, remove, expected days), stage synonyms, loss-reason categories,
default language and stalled days. Every save is one ``funnel.store.settings.save_settings`` call."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from funnel import i18n
from funnel.i18n import t
from funnel.stages import KINDS, Stage, StageConfig
from funnel.store.config import get_setting, load_loss_categories, load_stage_config
from funnel.store.settings import save_settings
from app_pages import _page, _store, _widgets

v = _page.page_header("page_settings")
lang = v.lang
con = _store.cursor()
_KEY = re.compile(r"^[A-Za-z0-9_]+$")


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and value != value) or str(value).strip() == ""


def stages_from_editor(frame: pd.DataFrame, synonyms: dict[str, str]) -> StageConfig:
    """A StageConfig from the editor's rows (row order = stage order); raises ValueError with a message."""
    stages = []
    for position, row in enumerate(frame.to_dict("records"), start=1):
        if all(_blank(row.get(c)) for c in ("key", "name_zh", "name_en")):
            continue  # an empty added row
        key = "" if _blank(row.get("key")) else str(row["key"]).strip()
        if not _KEY.match(key):
            raise ValueError(t("err_stage_key", lang, row=position))
        if _blank(row.get("name_zh")) or _blank(row.get("name_en")):
            raise ValueError(t("err_stage_names", lang, row=position))
        days = row.get("expected_days")
        if _blank(days):
            days = None
        else:
            try:
                days = float(days)
            except (TypeError, ValueError):
                raise ValueError(t("err_stage_days", lang, row=position)) from None
            if days < 0:
                raise ValueError(t("err_stage_days", lang, row=position))
        kind = row.get("kind") if row.get("kind") in KINDS else "open"
        stages.append(Stage(key, len(stages) + 1, str(row["name_zh"]).strip(), str(row["name_en"]).strip(),
                            "" if _blank(row.get("definition")) else str(row["definition"]), days, kind))
    keys = {s.key for s in stages}
    kept = {syn: key for syn, key in synonyms.items() if key in keys}
    return StageConfig(tuple(stages), kept)


def save(**changes) -> bool:
    """``save_settings(con, **changes)``; a failure is shown as a sentence (nothing was saved)."""
    try:
        save_settings(con, **changes)
        return True
    except Exception as err:  # noqa: BLE001 - shown as a sentence, nothing half-saved
        st.error(_widgets.md_escape(t("settings_invalid", lang, msg=str(err))))
        return False


config = load_stage_config(con)

# --- stages ---------------------------------------------------------------------------------------------
st.subheader(t("settings_stages", lang))
_widgets.caption(t("settings_stages_caption", lang))
stage_rows = pd.DataFrame([{"order": s.order, "key": s.key, "name_zh": s.name_zh, "name_en": s.name_en,
                            "expected_days": s.expected_days, "kind": s.kind, "definition": s.definition}
                           for s in config.stages])
edited = st.data_editor(
    stage_rows, key="stages_editor", num_rows="dynamic", hide_index=True, width="stretch", placeholder=i18n.DASH,
    column_config={
        "order": st.column_config.NumberColumn(t("col_order", lang), min_value=0, step=1),
        "key": st.column_config.TextColumn(t("col_key", lang), required=True),
        "name_zh": st.column_config.TextColumn(t("col_name_zh", lang), required=True),
        "name_en": st.column_config.TextColumn(t("col_name_en", lang), required=True),
        "expected_days": st.column_config.NumberColumn(t("col_expected_days", lang), min_value=0, step=1),
        "kind": st.column_config.SelectboxColumn(t("col_kind", lang), options=list(KINDS), required=True,
                                                 format_func=lambda k: t(f"kind_{k}", lang)),
        "definition": st.column_config.TextColumn(t("col_definition", lang), width="large"),
    })
if st.button(t("settings_save_stages", lang), key="save_stages", type="primary"):
    try:
        # The order column decides the order (rows without a number go last, in editor order).
        frame = edited.copy()
        frame["_row"] = range(len(frame))
        frame = frame.sort_values(["order", "_row"], na_position="last", kind="stable")
        new_config = stages_from_editor(frame, config.synonyms)
    except ValueError as err:
        st.error(_widgets.md_escape(t("settings_invalid", lang, msg=str(err))))
    else:
        if save(stages=new_config):
            st.success(t("settings_saved", lang))
            st.rerun()

# --- synonyms -------------------------------------------------------------------------------------------
st.subheader(t("settings_synonyms", lang))
_widgets.caption(t("settings_synonyms_caption", lang))
synonym_rows = pd.DataFrame(sorted(config.synonyms.items()), columns=["synonym", "stage_key"])
edited_syn = st.data_editor(
    synonym_rows, key="synonyms_editor", num_rows="dynamic", hide_index=True, width="stretch", placeholder=i18n.DASH,
    column_config={
        "synonym": st.column_config.TextColumn(t("col_synonym", lang), required=True),
        "stage_key": st.column_config.SelectboxColumn(t("col_stage", lang), options=list(config.keys), required=True,
                                                      format_func=lambda k: _widgets.stage_name(k, v)),
    })
if st.button(t("settings_save_synonyms", lang), key="save_synonyms"):
    pairs = {str(r["synonym"]).strip(): str(r["stage_key"]) for r in edited_syn.to_dict("records")
             if not _blank(r.get("synonym")) and not _blank(r.get("stage_key"))}
    bad = [(s, k) for s, k in pairs.items() if k not in config.keys]
    if bad:
        st.error(_widgets.md_escape(t("err_stage_unknown_key", lang, synonym=bad[0][0], key=bad[0][1])))
    elif save(stages=StageConfig(config.stages, pairs)):
        st.success(t("settings_saved", lang))
        st.rerun()

# --- loss-reason categories -----------------------------------------------------------------------------
st.subheader(t("settings_categories", lang))
_widgets.caption(t("settings_categories_caption", lang))
category_rows = pd.DataFrame(sorted(load_loss_categories(con).items()), columns=["keyword", "category"])
edited_cat = st.data_editor(
    category_rows, key="categories_editor", num_rows="dynamic", hide_index=True, width="stretch",
    placeholder=i18n.DASH,
    column_config={"keyword": st.column_config.TextColumn(t("col_keyword", lang), required=True),
                   "category": st.column_config.TextColumn(t("col_category", lang), required=True)})
if st.button(t("settings_save_categories", lang), key="save_categories"):
    pairs = {str(r["keyword"]).strip(): str(r["category"]).strip() for r in edited_cat.to_dict("records")
             if not _blank(r.get("keyword")) and not _blank(r.get("category"))}
    if save(loss_categories=pairs):
        st.success(t("settings_saved", lang))
        st.rerun()

# --- defaults -------------------------------------------------------------------------------------------
st.subheader(t("settings_general", lang))
current_lang = get_setting(con, "language") or ""
language = st.selectbox(t("settings_language", lang), ["", "zh", "en"], key="default_language",
                        index=["", "zh", "en"].index(current_lang) if current_lang in ("zh", "en") else 0,
                        format_func=lambda x: {"": "—", "zh": "中文", "en": "English"}[x])
try:
    current_stalled = int(get_setting(con, "stalled_days") or _store.DEFAULT_STALLED_DAYS)
except ValueError:
    current_stalled = _store.DEFAULT_STALLED_DAYS
stalled = st.number_input(t("settings_stalled_default", lang), min_value=0, max_value=3650, step=1,
                          value=current_stalled, key="default_stalled")
if st.button(t("settings_save_general", lang), key="save_general"):
    if save(values={"language": language, "stalled_days": str(int(stalled))}):
        st.success(t("settings_saved", lang))
        st.rerun()
