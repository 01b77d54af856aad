"""funnel.access: who may see which leads when sign-in is on (pure functions; docs/security.md)."""

from __future__ import annotations

import pandas as pd
import pytest

from funnel.access import (ANONYMOUS, EVERYONE, Viewer, allowed_reps, resolve_viewer, restrict_filter,
                           visible_reps)
from funnel.metrics.context import FunnelFilter

CONFIG = {
    "admins": ["ops@example.com", "@hq.example.com"],
    "managers": {"Wang.Fang@Example.com": "王芳", "chen.gang@example.com": ["陈刚", "赵敏"],
                 "nobody@example.com": [], "odd@example.com": 42},
}
ROSTER = [("李明", "王芳", "华东"), ("张伟", "王芳", "华东"), ("黄磊", "陈刚", "华南"), ("孙浩", "赵敏", "华北"),
          ("无主", None, None)]


@pytest.mark.parametrize("email, role, managers", [
    ("ops@example.com", "admin", ()),
    ("  OPS@example.COM ", "admin", ()),             # trimmed and case-folded
    ("anyone@hq.example.com", "admin", ()),          # @domain entry
    ("someone@nothq.example.com", "unknown", ()),    # a domain entry matches the whole domain only
    ("wang.fang@example.com", "manager", ("王芳",)),  # configured key in another case
    ("chen.gang@example.com", "manager", ("陈刚", "赵敏")),
    ("nobody@example.com", "unknown", ()),           # no manager name listed: nothing, not everything
    ("odd@example.com", "unknown", ()),              # malformed value
    ("stranger@example.com", "unknown", ()),
    ("", "unknown", ()),
    (None, "unknown", ()),
    ("not-an-email", "unknown", ()),
])
def test_resolve_viewer(email, role, managers):
    viewer = resolve_viewer(email, CONFIG)
    assert viewer.role == role
    assert viewer.managers == managers
    assert viewer.sees_all is (role == "admin")


def test_resolve_viewer_without_configuration_knows_nobody():
    for config in (None, {}, {"admins": "ops@example.com"}):
        assert resolve_viewer("x@example.com", config).role == "unknown"
    # a single string is taken as a list of one
    assert resolve_viewer("ops@example.com", {"admins": "ops@example.com"}).role == "admin"
    assert resolve_viewer("ops@example.com", {"admins": ["@"]}).role == "unknown"  # a bare @ is no domain


def test_viewer_roles():
    assert EVERYONE.sees_all and not EVERYONE.restricted
    assert ANONYMOUS.restricted and not ANONYMOUS.sees_all
    with pytest.raises(ValueError):
        Viewer("superuser")


def test_visible_reps_from_rows_frames_and_mappings():
    assert visible_reps(ROSTER, "王芳") == frozenset({"李明", "张伟"})
    assert visible_reps(ROSTER, ["陈刚", "赵敏"]) == frozenset({"黄磊", "孙浩"})
    frame = pd.DataFrame(ROSTER, columns=["rep", "manager", "team"])
    assert visible_reps(frame, "王芳") == frozenset({"李明", "张伟"})
    assert visible_reps([{"rep": "李明", "manager": "王芳"}], ("王芳",)) == frozenset({"李明"})
    # names compared as normalised on import: width, case, spaces and a trailing * do not matter
    assert visible_reps([("Li Ming", "ＷＡＮＧ Fang*")], " wang  fang ") == frozenset({"Li Ming"})


def test_visible_reps_is_empty_for_unknown_or_missing_managers():
    assert visible_reps(ROSTER, "不存在") == frozenset()
    assert visible_reps(ROSTER, []) == frozenset()
    assert visible_reps([], "王芳") == frozenset()
    assert visible_reps(None, "王芳") == frozenset()


def test_allowed_reps_by_role():
    assert allowed_reps(EVERYONE, ROSTER) is None
    assert allowed_reps(Viewer("admin", "ops@example.com"), ROSTER) is None
    assert allowed_reps(Viewer("manager", "w@example.com", ("王芳",)), ROSTER) == frozenset({"李明", "张伟"})
    assert allowed_reps(Viewer("unknown", "x@example.com"), ROSTER) == frozenset()
    assert allowed_reps(ANONYMOUS, ROSTER) == frozenset()


def test_restrict_filter_only_narrows():
    allowed = frozenset({"李明", "张伟"})
    base = FunnelFilter(sources=("官网",), managers=("陈刚",))
    # nothing chosen: every allowed rep, sorted (equal views give equal cache keys)
    assert restrict_filter(base, allowed).reps == ("张伟", "李明")
    # another manager's rep (e.g. from a crafted link) is dropped; what is left stays
    assert restrict_filter(FunnelFilter(reps=("黄磊", "李明")), allowed).reps == ("李明",)
    # only foreign reps chosen: back to the allowed reps, never "all reps"
    assert restrict_filter(FunnelFilter(reps=("黄磊",)), allowed).reps == ("张伟", "李明")
    # the other fields are kept (and still AND-ed in SQL, so a manager filter cannot widen either)
    narrowed = restrict_filter(base, allowed)
    assert narrowed.sources == ("官网",) and narrowed.managers == ("陈刚",)
    hash(narrowed)  # frozen and hashable: keys the caches


def test_restrict_filter_without_restriction_or_with_nobody():
    flt = FunnelFilter(reps=("黄磊",))
    assert restrict_filter(flt, None) is flt
    with pytest.raises(ValueError):
        restrict_filter(flt, frozenset())  # an empty rep filter would mean every rep


def test_restricted_filter_counts_only_visible_leads():
    """End to end on a small store: the narrowed filter's cohort holds only the allowed reps' leads."""
    from funnel.metrics import cohort_summary, resolve_context
    from funnel.store.db import connect
    from funnel.store.loader import import_files
    from funnel.store.queries import filter_options, roster_rows

    leads = ("lead_id,acquired_at,rep,status\n"
             "A1,2024-03-01,李明,active\nA2,2024-03-02,张伟,won\nB1,2024-03-03,黄磊,lost\n"
             "B2,2024-03-04,黄磊,active\nC1,2024-03-05,,active\n").encode("utf-8")
    roster = "rep,manager,team\n李明,王芳,华东\n张伟,王芳,华东\n黄磊,陈刚,华南\n".encode("utf-8")
    con = connect(None)
    import_files(con, [("leads.csv", leads), ("roster.csv", roster)])
    viewer = resolve_viewer("wang.fang@example.com", CONFIG)
    allowed = allowed_reps(viewer, roster_rows(con))
    assert allowed == frozenset({"李明", "张伟"})
    for chosen in (FunnelFilter(), FunnelFilter(reps=("黄磊",)), FunnelFilter(managers=("陈刚",))):
        ctx = resolve_context(con, restrict_filter(chosen, allowed))
        summary = cohort_summary(con, ctx)
        assert summary["leads"] == (2 if not chosen.managers else 0), chosen
    opts = filter_options(con, reps=sorted(allowed))
    assert opts["reps"] == ["张伟", "李明"] and opts["managers"] == ["王芳"] and opts["teams"] == ["华东"]
    assert filter_options(con, reps=[])["reps"] == []  # nobody visible: no choice, not every choice
    assert filter_options(con)["reps"] == ["张伟", "李明", "黄磊"]
    con.close()
