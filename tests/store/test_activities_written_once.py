"""A file's repeated activities reach the store once: the parse marks them (``ParsedFile.repeats``) and the
loader leaves them out without a DISTINCT; a file without the mark (built by hand, or the per-row path) is
de-duplicated by the store as before. Both ways must store the same rows and report the same outcomes, on a
first import and on re-imports compared with the stored activities."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from funnel.ingest import parse_files
from funnel.ingest.batch import ParsedFile
from funnel.store.db import connect
from funnel.store.loader import write_parsed
from funnel.store.config import load_stage_config

HEADER = "线索编号,来源渠道,客户名称,获取时间,当前阶段,进入阶段时间,销售代表,关键动作记录,结果状态"


def _template(rows: list[str]) -> tuple[str, bytes]:
    return "线索跟踪表.csv", ("\n".join([HEADER, *rows]) + "\n").encode("utf-8")


# A-1 repeats 03-02电话 in its own log, once more as 3-2电话 (the same date and content) and once as 2024-03-02
# 电话 (the same again); A-2 is given twice: its first row is superseded by the last (rejected), so its
# repeated 03-03电话 of the first row never reaches the store, and the last row repeats 04-01拜访.
FIRST = [
    "A-1,官网,甲,2024-03-01,初步筛选,2024-03-05,李明,03-02电话;03-02电话;3-2电话;2024-03-02 电话;03-05筛选,跟进中",
    "A-2,展会,乙,2024-03-02,需求深度挖掘,2024-04-01,张伟,03-03电话;03-03电话,跟进中",
    "A-3,官网,丙,2024-03-03,线索获取,,张伟,03-04电话,未跟进",
    "A-2,展会,乙,2024-03-02,需求深度挖掘,2024-04-01,张伟,04-01拜访;04-01拜访,跟进中",
]
# The same activities again (A-1's in another order and spelling, A-2's again) plus a new one for A-3, given
# twice; every lead field as before.
AGAIN = [
    "A-1,官网,甲,2024-03-01,初步筛选,2024-03-05,李明,03-05筛选;2024-03-02 电话;03-02电话,跟进中",
    "A-2,展会,乙,2024-03-02,需求深度挖掘,2024-04-01,张伟,04-01拜访;04-01拜访,跟进中",
    "A-3,官网,丙,2024-03-03,线索获取,,张伟,03-04电话;03-06电话;03-06电话,未跟进",
]


def _stored(con) -> list[tuple]:
    return con.execute("""select lead_id, strftime("at", '%Y-%m-%d'), content, feedback, actor from activities
                          order by all""").fetchall()


def _import(con, source, marked: bool):
    [parsed] = parse_files([source], load_stage_config(con))
    assert parsed.repeats("activities") is not None  # the parse marked them
    if not marked:
        parsed.activities = parsed.frame("activities")  # a frame assigned anew: not known, the store's DISTINCT
        assert parsed.repeats("activities") is None
    return write_parsed(con, [parsed])


@pytest.mark.parametrize("marked", [True, False])
def test_repeated_activities_are_stored_once_and_again_not_at_all(tmp_path, marked):
    con = connect(tmp_path / "s.duckdb")
    [parsed] = parse_files([_template(FIRST)], load_stage_config(con))
    # 5 actions, the 2nd to 4th repeat the 1st; A-3: 1; A-2 (last row): 2, the 2nd repeats the 1st
    assert parsed.repeats("activities").tolist() == [False, True, True, True, False, False, False, True]
    first = _import(con, _template(FIRST), marked)
    assert (first.leads.new, first.leads.changed, first.leads.unchanged) == (3, 0, 0)
    assert _stored(con) == [("A-1", "2024-03-02", "电话", None, "李明"), ("A-1", "2024-03-05", "筛选", None, "李明"),
                            ("A-2", "2024-04-01", "拜访", None, "张伟"), ("A-3", "2024-03-04", "电话", None, "张伟")]
    again = _import(con, _template(AGAIN), marked)
    # bring only stored activities: unchanged; A-3 brings 03-06电话 (twice): changed, stored once
    assert (again.leads.new, again.leads.changed, again.leads.unchanged) == (0, 1, 2)
    assert _stored(con) == [("A-1", "2024-03-02", "电话", None, "李明"), ("A-1", "2024-03-05", "筛选", None, "李明"),
                            ("A-2", "2024-04-01", "拜访", None, "张伟"), ("A-3", "2024-03-04", "电话", None, "张伟"),
                            ("A-3", "2024-03-06", "电话", None, "张伟")]
    con.close()


def test_two_files_of_one_import_repeat_each_other(tmp_path):
    """The second file of an import is compared with what the first stored (its own repeats left out)."""
    con = connect(tmp_path / "s.duckdb")
    stages = load_stage_config(con)
    second = ("线索跟踪表2.csv", _template(AGAIN)[1])
    parsed = parse_files([_template(FIRST), second], stages)
    report = write_parsed(con, parsed)
    assert report.leads.new == 3
    assert len(_stored(con)) == 5  # FIRST's 4 and A-3's 03-06电话 once
    assert con.execute("select count(*) from (select distinct * exclude (import_id) from activities)").fetchone()[0] == 5
    con.close()


def test_mark_repeats_needs_one_mark_per_row():
    item = ParsedFile(file_name="x.csv", sha256="0" * 64, format="template")
    item.activities = pd.DataFrame({"lead_id": ["A"], "at": [pd.NaT], "content": ["x"], "feedback": [None],
                                    "actor": [None]})
    with pytest.raises(ValueError):
        item.mark_repeats("activities", np.zeros(2, dtype=bool))
