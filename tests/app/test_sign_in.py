"""Optional sign-in (st.login / st.user, docs/security.md) and per-manager row visibility, driven by AppTest.

``AppTest.secrets`` stands in for ``.streamlit/secrets.toml`` (``[auth]`` and ``[visibility]``) and
``AppTest.user`` for ``st.user``. The sample roster: 王芳 leads 李明 张伟 刘洋 杨静; 陈刚 leads 黄磊 周婷 吴强 徐丽.
"""

from __future__ import annotations

from dataclasses import replace

import re

import pytest
from app_helpers import new_app

from funnel.formats import fmt_num, fmt_pct
from funnel.metrics.context import FunnelFilter

AUTH = {  # placeholders only: no provider is contacted in these tests
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-cookie-secret",
    "client_id": "test-client",
    "client_secret": "test-secret",
    "server_metadata_url": "https://idp.example.com/.well-known/openid-configuration",
}
VISIBILITY = {
    "admins": ["ops@example.com"],
    "managers": {"wang.fang@example.com": "王芳", "ghost@example.com": "不存在的经理"},
}
WANG_REPS = ("刘洋", "张伟", "李明", "杨静")
CHEN_REPS = ("黄磊", "周婷", "吴强", "徐丽")


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", str(text))


def _app(query: dict | None = None, user: dict | None = None, auth: bool = True, locale: str = "en-US"):
    at = new_app(query={"lang": "en", **(query or {})}, locale=locale)
    if auth:
        at.secrets["auth"] = dict(AUTH)
        at.secrets["visibility"] = {k: (dict(v) if isinstance(v, dict) else list(v)) for k, v in VISIBILITY.items()}
    if user is not None:
        at.user = user
    return at


def _signed_in(email: str, **extra) -> dict:
    return {"is_logged_in": True, "email": email, "name": email.split("@")[0], **extra}


def _everything_shown(at) -> str:
    """Every text, metric, table cell and widget option on screen, as one string."""
    parts = []
    for kind in ("title", "header", "subheader", "caption", "markdown", "info", "warning", "error", "success"):
        parts += [_unescape(e.value) for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    for frame in at.dataframe:
        parts.append(frame.value.to_csv())
    for widget in at.multiselect:
        parts += [str(o) for o in widget.options]
    return "\n".join(parts)


def _no_data_rendered(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.metric and not at.dataframe and not at.get("vega_lite_chart") and not at.sidebar.multiselect
    shown = _everything_shown(at)
    for rep in (*WANG_REPS, *CHEN_REPS):
        assert rep not in shown


def _expected_summary(db_path, flt: FunnelFilter):
    import funnel.metrics as metrics
    from funnel.store.db import connect

    con = connect(db_path)
    ctx = metrics.resolve_context(con, flt)
    # the Overview tiles show the last whole month before the as-of date (docs/metrics.md, "Overview tiles")
    first, last = metrics.last_whole_period(ctx.as_of, ctx.grain)
    tiles = metrics.resolve_context(con, replace(flt, date_from=first, date_to=last))
    return metrics.cohort_summary(con, tiles), metrics.leaderboard(con, ctx, by="rep")


def _tiles(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _assert_tiles(at, summary) -> None:
    tiles = _tiles(at)
    assert tiles["Leads"] == fmt_num(summary["leads"])
    assert tiles["Won"] == fmt_num(summary["won"])
    assert tiles["Overall conversion"] == fmt_pct(summary["overall_conversion"])


# ------------------------------------------------------------------------------------------ (a) sign-in off

def test_without_auth_secrets_the_app_runs_as_before(sample_db, app_env):
    app_env(sample_db)
    # even a user dict saying "logged out" changes nothing while [auth] is absent
    for user in (None, {"is_logged_in": False}):
        at = _app(user=user, auth=False)
        at.run()
        assert not at.exception
        summary, _ = _expected_summary(sample_db, FunnelFilter())
        _assert_tiles(at, summary)
        assert not [b for b in at.sidebar.button if b.key == "lf_sign_out"]
        assert set(at.sidebar.multiselect(key="w_reps").options) >= set(WANG_REPS + CHEN_REPS)
        at.switch_page("app_pages/data.py").run()  # the Data page is there for everybody
        assert not at.exception and at.title[0].value


# ---------------------------------------------------------------------------------- (b) not signed in yet

def test_not_signed_in_sees_the_sign_in_screen_and_no_data(sample_db, app_env):
    app_env(sample_db)
    at = _app(user={"is_logged_in": False}, query={"rep": "李明"})
    at.run()
    _no_data_rendered(at)
    assert "Please sign in" in [s.value for s in at.subheader]
    # this environment has no Authlib: the screen says so instead of offering a button that would fail
    assert any("Authlib" in w.value for w in at.warning) or at.button(key="lf_sign_in")


def test_not_signed_in_chinese_screen_and_the_button_calls_st_login(sample_db, app_env, monkeypatch):
    import streamlit as st

    from app_pages import _sign_in

    app_env(sample_db)
    calls = []
    monkeypatch.setattr(_sign_in, "_authlib_available", lambda: True)
    monkeypatch.setattr(st, "login", lambda *a, **k: calls.append(a))
    at = _app(user={"is_logged_in": False}, query={"lang": "zh"}, locale="zh-CN")
    at.run()
    assert "请登录" in [s.value for s in at.subheader]
    button = at.button(key="lf_sign_in")
    assert button.label == "登录"
    button.click().run()
    assert calls == [()]
    _no_data_rendered(at)


# ------------------------------------------------------------------------------------ (c) a manager signs in

def test_manager_sees_only_their_reps_leads(sample_db, app_env):
    app_env(sample_db)
    at = _app(user=_signed_in("Wang.Fang@example.com"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    summary, _ = _expected_summary(sample_db, FunnelFilter(reps=tuple(sorted(WANG_REPS))))
    everything, _ = _expected_summary(sample_db, FunnelFilter())
    assert 0 < summary["leads"] < everything["leads"]
    _assert_tiles(at, summary)
    # the sidebar offers only their values; who is signed in and a sign-out button are shown
    assert set(at.sidebar.multiselect(key="w_reps").options) == set(WANG_REPS)
    assert at.sidebar.multiselect(key="w_managers").options == ["王芳"]
    assert at.sidebar.button(key="lf_sign_out")
    sidebar_text = " ".join(_unescape(c.value) for c in at.sidebar.caption)
    assert "Signed in as Wang.Fang" in sidebar_text and "王芳" in sidebar_text
    # the Team page's leaderboard holds their reps only
    at.switch_page("app_pages/team.py").run()
    assert not at.exception
    shown = _everything_shown(at)
    assert any(rep in shown for rep in WANG_REPS)
    assert not any(rep in shown for rep in CHEN_REPS)


def test_manager_does_not_get_the_data_and_settings_pages(sample_db, app_env):
    """Imports history and rejects hold rows of every file, so those pages are not registered for a manager
    (a browser asking for /data gets the default page)."""
    app_env(sample_db)
    at = _app(user=_signed_in("wang.fang@example.com"))
    at.run()
    for page in ("data", "settings"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(f"app_pages/{page}.py")


def test_manager_presentation_report_covers_only_their_reps(sample_db, app_env):
    app_env(sample_db)
    at = _app(user=_signed_in("wang.fang@example.com"))
    at.run()
    at.switch_page("app_pages/presentation.py").run()
    scope = [_unescape(m.value) for m in at.markdown if "Scope" in m.value]
    assert scope and all(rep in scope[0] for rep in WANG_REPS), scope
    seen = set()
    for _ in range(20):  # every slide
        assert not at.exception
        shown = _everything_shown(at)
        assert not any(rep in shown for rep in CHEN_REPS)
        seen |= {rep for rep in WANG_REPS if rep in shown}
        nxt = at.button(key="lf_next")
        if nxt.disabled:
            break
        nxt.click().run()
    assert seen  # their own reps do appear in the report's tables


def test_admin_sees_everything_and_the_data_page(sample_db, app_env):
    app_env(sample_db)
    at = _app(user=_signed_in("ops@example.com"))
    at.run()
    assert not at.exception
    everything, _ = _expected_summary(sample_db, FunnelFilter())
    _assert_tiles(at, everything)
    assert set(at.sidebar.multiselect(key="w_reps").options) >= set(WANG_REPS + CHEN_REPS)
    assert at.sidebar.button(key="lf_sign_out")
    at.switch_page("app_pages/data.py").run()
    assert not at.exception and at.title[0].value == "Data"


# --------------------------------------------------------------------- (d) a link cannot widen visibility

@pytest.mark.parametrize("query", [
    {"rep": "黄磊"},                       # another manager's rep
    {"rep": ["黄磊", "周婷"]},
    {"manager": "陈刚"},                   # another manager
    {"team": "华南"},                      # another team
])
def test_a_link_naming_another_managers_people_shows_none_of_their_data(sample_db, app_env, query):
    app_env(sample_db)
    at = _app(user=_signed_in("wang.fang@example.com"), query=query)
    at.run()
    assert not at.exception
    summary, _ = _expected_summary(sample_db, FunnelFilter(reps=tuple(sorted(WANG_REPS))))
    _assert_tiles(at, summary)  # the link's foreign value is ignored: their own view, nothing more
    assert at.sidebar.multiselect(key="w_reps").value == []
    shown = "\n".join(_unescape(e.value) for e in at.caption) + "\n".join(m.value for m in at.metric)
    assert not any(rep in shown for rep in CHEN_REPS)
    at.switch_page("app_pages/team.py").run()
    # the only mention left is the note echoing the link's own value back ("... ignored")
    shown = [line for line in _everything_shown(at).splitlines() if "Link parameter" not in line]
    assert not any(rep in line for line in shown for rep in CHEN_REPS)


def test_a_link_mixing_own_and_foreign_reps_keeps_only_the_own(sample_db, app_env):
    app_env(sample_db)
    at = _app(user=_signed_in("wang.fang@example.com"), query={"rep": ["李明", "黄磊"]})
    at.run()
    assert not at.exception
    summary, _ = _expected_summary(sample_db, FunnelFilter(reps=("李明",)))
    _assert_tiles(at, summary)
    assert at.sidebar.multiselect(key="w_reps").value == ["李明"]


# ---------------------------------------------------------------------------- (e) unknown people see nothing

@pytest.mark.parametrize("user", [
    _signed_in("stranger@example.com"),
    _signed_in("wang.fang@example.com", email_verified=False),  # the provider did not verify the address
    {"is_logged_in": True, "name": "no e-mail claim"},
])
def test_unknown_signed_in_user_sees_no_data(sample_db, app_env, user):
    app_env(sample_db)
    at = _app(user=user)
    at.run()
    _no_data_rendered(at)
    assert any("Ask the administrator to add you" in _unescape(i.value) for i in at.info)
    assert at.button(key="lf_sign_out")


def test_manager_without_reps_in_the_roster_sees_no_data(sample_db, app_env):
    app_env(sample_db)
    at = _app(user=_signed_in("ghost@example.com"))
    at.run()
    _no_data_rendered(at)
    assert any("lists no rep under manager" in _unescape(i.value) for i in at.info)


def test_sign_out_returns_to_the_sign_in_screen(sample_db, app_env):
    app_env(sample_db)
    at = _app(user=_signed_in("wang.fang@example.com"))
    at.run()
    assert at.metric
    at.sidebar.button(key="lf_sign_out").click().run()
    assert not at.exception
    assert at.user.get("is_logged_in") is False
    _no_data_rendered(at)
    assert "Please sign in" in [s.value for s in at.subheader]


def test_an_unreadable_secrets_file_keeps_the_dashboard_closed(monkeypatch):
    """A secrets file that exists but does not parse must not silently switch sign-in off."""
    import streamlit as st
    from streamlit.errors import StreamlitSecretNotFoundError

    from app_pages import _sign_in

    class Broken:
        def __init__(self, error_id):
            self.error_id = error_id

        def get(self, name, default=None):
            raise StreamlitSecretNotFoundError("bad secrets", error_id=self.error_id)

    monkeypatch.setattr(st, "secrets", Broken("no-secrets-found"))
    assert _sign_in.sign_in_enabled() is False  # no file at all: sign-in off, as before
    monkeypatch.setattr(st, "secrets", Broken("failed-parsing-secrets-file"))
    with pytest.raises(_sign_in.SignInMisconfigured):
        _sign_in.sign_in_enabled()
