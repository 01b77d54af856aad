"""Optional sign-in (docs/security.md): off unless ``.streamlit/secrets.toml`` has an ``[auth]`` table.

When on, ``sign_in_gate`` (called by ``app.py`` before the pages are declared) shows the sign-in screen or
the "no access" message and stops; a signed-in manager's view is narrowed to their roster reps
(``funnel.access.restrict_filter``) where the filter is built (``_sidebar.render_sidebar``), so every
figure, table, chart, download and the presentation's report only see those leads, and the sidebar only
offers their values.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping

import streamlit as st

from funnel import access
from funnel.i18n import t
from app_pages._store import data_version, db_key, _roster
from app_pages._widgets import info, md_escape


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
