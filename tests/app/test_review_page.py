"""The Review page (复盘) under AppTest: its numbers equal the review functions', in both languages; empty
and edge states show a sentence, never an empty chart."""

from __future__ import annotations

import json
import re

import pytest
from app_helpers import new_app

from funnel.formats import fmt_num
from funnel.metrics.context import FunnelFilter

BAD = re.compile(r"\b(NaN|nan|None|inf|Infinity)\b")


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", str(text))


def _texts(at) -> list[str]:
    out = []
    for kind in ("title", "subheader", "caption", "markdown", "info", "warning", "error"):
        out += [_unescape(e.value) for e in getattr(at, kind)]
    return out


def _open(query: dict | None = None, locale: str = "zh-CN"):
    at = new_app(query=query, locale=locale)
    at.run()
    at.switch_page("app_pages/review.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    for text in _texts(at):
        assert not BAD.search(text), text
    return at


def _functions(db_path, period, **kw):
    import funnel.metrics as metrics
    from funnel.store.db import connect

    con = connect(db_path)
    ctx = metrics.resolve_context(con, kw.pop("flt", FunnelFilter()), **kw)
    return con, ctx


def _specs(at) -> list[dict]:
    out = []
    for el in at.get("arrow_vega_lite_chart"):
        out.append(json.loads(el.proto.spec))
    return out


@pytest.mark.parametrize("lang,locale", [("zh", "zh-CN"), ("en", "en-US")])
def test_review_numbers_equal_the_functions(sample_db, app_env, lang, locale):
    from funnel.metrics.review_attribution import attribution
    from funnel.metrics.review_bridge import bridge
    from funnel.review_text import attribution_sentence

    app_env(sample_db)
    at = _open({"lang": lang}, locale)
    period = at.query_params["period"][0] if isinstance(at.query_params["period"], list) else at.query_params["period"]
    con, ctx = _functions(sample_db, period)
    try:
        from funnel.periods import parse_period

        day = parse_period(period).start
        b = bridge(con, ctx, day)
        a = attribution(con, ctx, day)
        names = {s.key: s.name(lang) for s in ctx.stages.stages}
    finally:
        con.close()
    texts = "\n".join(_texts(at))
    identity = (f"{fmt_num(b['open_start'])}", f"{fmt_num(b['new'])}", f"{fmt_num(b['won'])}",
                f"{fmt_num(b['lost'])}", f"{fmt_num(b['open_end'])}")
    caption = [c for c in _texts(at) if ("期初未结束" in c or "Open at start" in c) and "=" in c]
    assert caption, texts
    assert re.findall(r"[\d,]+", caption[0]) == list(identity)
    assert attribution_sentence(a, names, lang) in texts
    assert b["open_start"] + b["new"] == b["won"] + b["lost"] + b["open_end"]
    # the first lead list (open at start) shows as many rows as the number says (up to the page's limit)
    pick = at.selectbox(key="rv_bridge_pick")
    assert pick.value == 0
    assert b["open_start"] > 0  # the sample has a bridge
    assert any(len(d.value) == min(b["open_start"], 1000) for d in at.dataframe)


def test_review_lists_follow_the_pick(sample_db, app_env):
    from funnel.metrics.review_bridge import bridge

    app_env(sample_db)
    at = _open({"lang": "en"}, "en-US")
    period = at.query_params["period"]
    period = period[0] if isinstance(period, list) else period
    con, ctx = _functions(sample_db, period)
    try:
        from funnel.periods import parse_period

        b = bridge(con, ctx, parse_period(period).start)
    finally:
        con.close()
    at.selectbox(key="rv_bridge_pick").set_value(3).run()  # lost
    assert not at.exception
    assert b["lost"] > 0
    assert any(len(d.value) == b["lost"] for d in at.dataframe)
    assert any(f"Lost: {fmt_num(b['lost'])} leads." in _unescape(c.value) for c in at.caption)


def test_period_after_as_of_says_so(sample_db, app_env):
    app_env(sample_db)
    at = _open({"lang": "en", "as_of": "2024-01-31", "period": "2030-01"}, "en-US")
    assert any("starts after the as-of date" in _unescape(i.value) for i in at.info)


def test_period_from_the_link_is_used(sample_db, app_env):
    app_env(sample_db)
    at = _open({"lang": "en", "period": "2024-02"}, "en-US")
    assert at.selectbox(key="rv_period_month").format_func(at.selectbox(key="rv_period_month").value) == "2024-02"


def test_empty_database(tmp_path, app_env):
    app_env(tmp_path / "empty.duckdb", no_sample=True)
    at = new_app(locale="en-US")
    at.run()
    at.switch_page("app_pages/review.py")
    at.run()
    assert not at.exception


def test_period_without_leads_says_so(sample_db, app_env):
    app_env(sample_db)
    at = _open({"lang": "en", "period": "2023-06"}, "en-US")
    assert any("holds no lead" in _unescape(i.value) for i in at.info)


def test_only_one_import_says_so(tmp_path, app_env):
    from funnel.store.bootstrap import SAMPLE_DIR
    from funnel.store.db import connect
    from funnel.store.loader import import_files

    path = tmp_path / "one.duckdb"
    con = connect(path)
    import_files(con, [SAMPLE_DIR / "线索跟踪表.xlsx", SAMPLE_DIR / "阶段记录.csv"], who="test")
    con.close()
    app_env(path)
    at = _open({"lang": "en"}, "en-US")
    assert any("Only one lead import so far" in _unescape(i.value) for i in at.info)
