"""A small store for the report tests: 10 leads around March 2024, built with SQL.

Period 2024-03 (previous 2024-02). Names and a loss reason are hostile on purpose: a rep called
``<img src=x onerror=alert(1)>`` and a loss reason ``=HYPERLINK("http://x")``.

lead  acquired    source  rep    status     events (stage: date)                                    lost
L01   2024-03-01  转介绍  李明   won        acquired 03-01, screening 03-03, discovery 03-06,
                                             proposal 03-12, won 03-20                               -
L02   2024-03-02  行业展会 李明   lost       acquired 03-02, screening 03-05                         价格超出预算 03-15
L03   2024-03-05  行业展会 EVIL   active     acquired 03-05, screening 03-08, discovery 03-10        -
L04   2024-03-10  官网    王芳   lost       acquired 03-10, screening 03-12, discovery 03-18        =HYPERLINK 03-25
L05   2024-03-12  官网    王芳   untouched  acquired 03-12                                          -
L06   2024-03-20  转介绍  EVIL   won        acquired 03-20, screening 03-21, proposal 03-28, won 04-05 -
P01   2024-02-03  转介绍  李明   won        acquired 02-03, screening 02-05, discovery 02-10,
                                             proposal 02-20, won 03-08                               -
P02   2024-02-10  行业展会 王芳   lost       acquired 02-10                                          竞品优势 03-02
P03   2024-02-15  官网    李明   active     acquired 02-15, screening 02-20                         -
Q01   2024-04-02  官网    李明   active     acquired 04-02, screening 04-06                         -
"""

from __future__ import annotations

import pytest

from funnel.store import db
from funnel.store.derived import refresh_derived

EVIL_REP = "<img src=x onerror=alert(1)>"
EVIL_REASON = '=HYPERLINK("http://x")'

LEADS = [
    # lead_id, source, customer, rep, acquired_at, current_stage, stage_entered_at, status, lost_reason, lost_at, amount
    ("L01", "转介绍", "A科技", "李明", "2024-03-01", "won", "2024-03-20", "won", None, None, 50000.0),
    ("L02", "行业展会", "B公司", "李明", "2024-03-02", "screening", "2024-03-05", "lost", "价格超出预算", "2024-03-15", None),
    ("L03", "行业展会", "C公司", EVIL_REP, "2024-03-05", "discovery", "2024-03-10", "active", None, None, None),
    ("L04", "官网", "-D公司", "王芳", "2024-03-10", "discovery", "2024-03-18", "lost", EVIL_REASON, "2024-03-25", None),
    ("L05", "官网", "E公司", "王芳", "2024-03-12", "acquired", "2024-03-12", "untouched", None, None, None),
    ("L06", "转介绍", "F公司", EVIL_REP, "2024-03-20", "won", "2024-04-05", "won", None, None, 80000.0),
    ("P01", "转介绍", "G公司", "李明", "2024-02-03", "won", "2024-03-08", "won", None, None, None),
    ("P02", "行业展会", "H公司", "王芳", "2024-02-10", "acquired", "2024-02-10", "lost", "竞品优势", "2024-03-02", None),
    ("P03", "官网", "I公司", "李明", "2024-02-15", "screening", "2024-02-20", "active", None, None, None),
    ("Q01", "官网", "J公司", "李明", "2024-04-02", "screening", "2024-04-06", "active", None, None, None),
]
EVENTS = [
    ("L01", "acquired", "2024-03-01"), ("L01", "screening", "2024-03-03"), ("L01", "discovery", "2024-03-06"),
    ("L01", "proposal", "2024-03-12"), ("L01", "won", "2024-03-20"),
    ("L02", "acquired", "2024-03-02"), ("L02", "screening", "2024-03-05"),
    ("L03", "acquired", "2024-03-05"), ("L03", "screening", "2024-03-08"), ("L03", "discovery", "2024-03-10"),
    ("L04", "acquired", "2024-03-10"), ("L04", "screening", "2024-03-12"), ("L04", "discovery", "2024-03-18"),
    ("L05", "acquired", "2024-03-12"),
    ("L06", "acquired", "2024-03-20"), ("L06", "screening", "2024-03-21"), ("L06", "proposal", "2024-03-28"),
    ("L06", "won", "2024-04-05"),
    ("P01", "acquired", "2024-02-03"), ("P01", "screening", "2024-02-05"), ("P01", "discovery", "2024-02-10"),
    ("P01", "proposal", "2024-02-20"), ("P01", "won", "2024-03-08"),
    ("P02", "acquired", "2024-02-10"),
    ("P03", "acquired", "2024-02-15"), ("P03", "screening", "2024-02-20"),
    ("Q01", "acquired", "2024-04-02"), ("Q01", "screening", "2024-04-06"),
]


def make_store(path=None):
    """The fixture store, in memory or (``path``) in a database file the app can open."""
    con = db.connect(path)
    con.executemany(
        """insert into leads (lead_id, source, customer, rep, acquired_at, current_stage, stage_entered_at, status,
                              lost_reason, lost_at, amount, manager)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '王经理')""", LEADS)
    con.executemany("insert into stage_events (lead_id, stage, entered_at) values (?, ?, ?)", EVENTS)
    refresh_derived(con)
    return con


