"""The figure set on Spark equals DuckDB's (issue 17, part 2; docs/spark.md): the sample data and a random
dataset with sub-second timestamps, each written as a lake (export-lake), read by Spark ``local[2]``, the
derived tables built there by the same SQL, and every figure of ``metrics --json`` (SPEC §5, §7) computed by
the same metric functions through ``funnel.store.spark_engine.SparkConnection``.

Equal means: the same keys, lists of the same length in the same order, the same text, integers and
booleans, the same Python types; floats within 1e-9 relative; quartiles and medians exact. Skipped when
pyspark or java is absent (requirements-spark.txt; .ci/run installs both). One SparkSession for the module,
two shuffle partitions: about a minute on two cores.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil

import pytest

pytest.importorskip("pyspark", reason="the Spark extra (requirements-spark.txt) is not installed")
if shutil.which("java") is None:
    pytest.skip("java is not installed (Spark needs a JVM)", allow_module_level=True)

from funnel.cli import main  # noqa: E402
from funnel.filters import FunnelFilter  # noqa: E402
from funnel.metrics import figures, resolve_context  # noqa: E402
from funnel.metrics._common import records  # noqa: E402
from funnel.metrics.figures import forecast_figures, review_figures  # noqa: E402
from funnel.metrics.forecast import forecast_leads  # noqa: E402
from funnel.store.bootstrap import sample_files  # noqa: E402
from funnel.store.db import connect  # noqa: E402
from funnel.store.derived import refresh_derived  # noqa: E402
from funnel.store.lake import export_lake  # noqa: E402
from funnel.store.loader import import_files  # noqa: E402
from funnel.store.spark_engine import open_lake, spark_session  # noqa: E402
from tests.metrics.synthetic import make_synthetic  # noqa: E402

pytestmark = pytest.mark.spark
EXACT = {"q1", "median", "q3", "in_progress_median_days"}


@pytest.fixture(scope="module")
def spark():
    session = spark_session("local[2]", driver_memory="1g", shuffle_partitions=2, app_name="lead-funnel-test")
    yield session
    session.stop()


def figure_set(con, flt: FunnelFilter, as_of=None) -> dict:
    """What ``python -m funnel metrics --json`` prints (funnel/cli.py): figures, review and forecast keys."""
    ctx = resolve_context(con, flt, as_of=as_of)
    out = figures(con, ctx)
    out.update(review_figures(con, ctx, None))
    out.update(forecast_figures(con, ctx))
    return out


def differences(a, b, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return [f"{path}: keys {sorted(set(a) ^ set(b))}"]
        return [d for k in a for d in differences(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} vs {len(b)} items"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    if type(a) is not type(b):
        return [f"{path}: {a!r} ({type(a).__name__}) vs {b!r} ({type(b).__name__})"]
    if isinstance(a, float) and path.rsplit(".", 1)[-1] not in EXACT:
        if a == b or (math.isnan(a) and math.isnan(b)) or abs(a - b) <= 1e-9 * max(abs(a), abs(b)):
            return []
    return [] if a == b else [f"{path}: {a!r} vs {b!r}"]


def both_engines(spark, con, lake, cases) -> None:
    export_lake(con, lake)
    scon = open_lake(spark, lake)
    for flt, as_of in cases:
        duck, on_spark = figure_set(con, flt, as_of), figure_set(scon, flt, as_of)
        assert duck["cohort"]["leads"] > 0
        diff = differences(duck, on_spark)
        assert diff == [], f"{flt.as_json()}: {len(diff)} differences, first: {diff[:10]}"
        # the Forecast page's lead list (not in the JSON): the same rows in the same order
        lists = [records(forecast_leads(c, resolve_context(c, flt, as_of=as_of))) for c in (con, scon)]
        assert len(lists[0]) > 0 and differences(*lists) == []


def test_random_subsecond_data_same_figures_on_spark(spark, tmp_path):
    con = connect(None)
    make_synthetic(con, 1500, seed=11, n_reps=12)
    # sub-second timestamps everywhere (the traps: epoch() in whole seconds, ties broken by fractions)
    con.execute("update stage_events set entered_at = entered_at + to_microseconds(cast(hash(lead_id || stage) "
                "% 999983 as bigint)) where entered_at is not null")
    con.execute("update leads set acquired_at = acquired_at + to_microseconds(cast(hash(lead_id) % 777777 as bigint)), "
                "lost_at = lost_at + to_microseconds(cast(hash(lead_id || 'l') % 999983 as bigint))")
    con.execute("update activities set \"at\" = \"at\" + to_microseconds(cast(hash(lead_id) % 99991 as bigint))")
    con.execute("begin")
    refresh_derived(con)
    con.execute("commit")
    sources = [r[0] for r in con.execute("select distinct source from leads order by 1 limit 2").fetchall()]
    ranged = FunnelFilter.of(dt.date(2023, 4, 1), dt.date(2024, 9, 30), {"sources": sources})
    both_engines(spark, con, tmp_path / "lake", [(FunnelFilter(), None), (ranged, dt.date(2024, 10, 15))])


def test_sample_data_same_json_from_the_command_line(spark, tmp_path, capsys):
    """The README's path: import -> export-lake -> metrics --engine spark --json, beside metrics --db --json.
    Last in the module: the command stops the (shared) session when it is done."""
    db, lake, out = tmp_path / "s.duckdb", tmp_path / "lake", tmp_path / "figures.json"
    con = connect(db)
    import_files(con, sample_files(), who="test")
    con.close()
    assert main(["export-lake", "--db", str(db), str(lake)]) == 0
    capsys.readouterr()
    assert main(["metrics", "--db", str(db), "--json"]) == 0
    duck = json.loads(capsys.readouterr().out)
    assert main(["metrics", "--engine", "spark", "--lake", str(lake), "--spark-master", "local[2]", "--json",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr()
    on_spark = json.loads(printed.out)
    assert differences(duck, on_spark) == []
    assert json.loads(out.read_text(encoding="utf-8")) == on_spark
    assert "derived tables built" in printed.err
