"""The SQL stays portable to Spark (issue 17, part 2; docs/spark.md), checked without a JVM: every statement
the derived-table refresh, the figure set of ``metrics --json`` and the Forecast page's lead list
(``forecast_leads``) run (recorded on DuckDB, unfiltered and filtered) transpiles with the pinned sqlglot, and none uses a construct known to differ between the engines
(``funnel.store.spark_sql.KNOWN_DIFFERING``). The Spark run itself is tests/store/test_spark_equality.py."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import sqlglot

from funnel.filters import FunnelFilter
from funnel.metrics import figures, resolve_context
from funnel.metrics.figures import forecast_figures, review_figures
from funnel.metrics.forecast import forecast_leads
from funnel.store import derived
from funnel.store.bootstrap import sample_files
from funnel.store.db import connect
from funnel.store.loader import import_files
from funnel.store.spark_sql import SparkSqlError, differing_constructs, to_spark

ROOT = Path(__file__).resolve().parents[2]


class Recorder:
    """A DuckDB connection that notes every statement and its parameters."""

    def __init__(self, con):
        self.con, self.log = con, []

    def execute(self, sql, params=None):
        self.log.append((sql, params))
        return self.con.execute(sql, params) if params is not None else self.con.execute(sql)

    def __getattr__(self, name):
        return getattr(self.con, name)


@pytest.fixture(scope="module")
def statements():
    if not sample_files():
        pytest.skip("data/sample/ has no files")
    con = connect(None)
    import_files(con, sample_files(), who="test")
    rec = Recorder(con)
    con.execute("begin")
    derived.refresh_derived(rec)
    con.execute("commit")
    source = con.execute("select source from leads where source is not null limit 1").fetchone()[0]
    for flt in (FunnelFilter(), FunnelFilter.of(dt.date(2024, 1, 1), dt.date(2024, 12, 31), {"sources": [source]})):
        ctx = resolve_context(rec, flt)
        figures(rec, ctx)
        review_figures(rec, ctx, None)
        forecast_figures(rec, ctx)
        forecast_leads(rec, ctx, limit=50)  # the Forecast page's list (not in the JSON)
    return rec.log


def test_sqlglot_is_pinned_exactly_and_installed_at_that_version():
    pins = re.findall(r"^sqlglot==([\w.]+)", (ROOT / "requirements.txt").read_text(), re.M)
    assert pins == [sqlglot.__version__], "pin sqlglot exactly (==): its Spark output is what the tests checked"


def test_every_statement_transpiles_to_spark_without_a_known_differing_construct(statements):
    assert len(statements) > 60
    wrong = []
    for sql, params in statements:
        found = differing_constructs(sql)
        if found:
            wrong.append((found, sql[:200]))
            continue
        try:
            out = to_spark(sql, params)
        except (SparkSqlError, sqlglot.errors.SqlglotError) as err:
            wrong.append((str(err)[:200], sql[:200]))
            continue
        # what must never reach Spark: an unbound parameter, whole-second epoch, a 0-based computed index
        code = re.sub(r"'(?:[^'\\]|\\.|'')*'", "''", out)
        assert not re.search(r"[?]|\$\w|UNIX_TIMESTAMP|PERCENTILE_CONT|LIST_EXTRACT", code), out[:300]
    assert wrong == []


def test_derived_sql_has_no_known_differing_construct():
    texts = {name: value for name, value in vars(derived).items() if name.startswith("_") and isinstance(value, str)
             and re.search(r"\bselect\b", value, re.I)}
    assert len(texts) >= 14
    assert {name: differing_constructs(sql) for name, sql in texts.items() if differing_constructs(sql)} == {}


@pytest.mark.parametrize("sql, found", [
    ("select * from a positional join b", ["positional join"]),
    ("select l.rowid from leads l", ["rowid"]),
    ("select first(r order by c desc) from t", ["first/last with order by"]),
    ("select $keys[cur_rank] from t", ["list indexing"]),
    ("select unnest(?) as a, unnest(?) as b", ["unnest"]),
    ("select printf('%.1f', x) from t", ["number formatted as text"]),
    ("select 'a[1] rowid unnest(' as text, in_range(x) from t", []),
])
def test_known_differing_constructs_are_found(sql, found):
    assert differing_constructs(sql) == found


def test_the_patch_over_sqlglot_keeps_duckdb_meaning():
    out = to_spark("select epoch(a) - epoch(b), x / 86400.0, list_extract(?, r + 1), '?' as q from t "
                   "where s = ? and d >= ?", [["a", "b"], "it's", dt.datetime(2024, 3, 1, 12, 30, 0, 250000)])
    assert "UNIX_MICROS(a)" in out and "UNIX_TIMESTAMP" not in out  # microseconds kept
    assert "CAST(86400.0 AS DOUBLE)" in out  # not DECIMAL arithmetic
    assert "ELEMENT_AT(ARRAY('a', 'b'), r + 1)" in out  # 1-based, as DuckDB's list_extract
    assert "'?' AS q" in out and "'it''s'" in out or "'it\\'s'" in out
    assert "CAST('2024-03-01 12:30:00.250000' AS TIMESTAMP)" in out
    median = to_spark("select median(x) filter (where y) from t")
    assert "COLLECT_LIST(CAST(x AS DOUBLE)) FILTER(WHERE y)" in median and "java.lang.Math" in median
    with pytest.raises(SparkSqlError):
        to_spark("select ? + ?", [1])
