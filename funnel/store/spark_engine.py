"""The figure set on Apache Spark: a connection-like seam over a SparkSession (issue 17, part 2; docs/spark.md).

``SparkConnection`` looks like the DuckDB connection the metric functions take: ``execute(sql, params)``
returns a result with ``fetchall`` / ``fetchone`` / ``df`` / ``fetchnumpy`` / ``to_arrow_table``. Each
statement is bound, transpiled and patched by ``funnel.store.spark_sql`` and run with ``spark.sql``; its rows
come back through Arrow into a small in-memory DuckDB relation, so every Python value and pandas dtype is
exactly what the DuckDB engine gives. ``create [or replace] [temp] table X as SELECT`` goes to
``materialize(X, SELECT)`` (the SELECT run on Spark, checkpointed, registered as a temporary view):
``funnel.store.derived.refresh_derived`` builds the derived tables on Spark unchanged.

``open_lake(folder)`` reads a lake written by ``python -m funnel export-lake`` into such a connection and
builds the derived tables. ``spark_session(master, driver_memory)``: ``local[*]`` by default; a cluster
master URL, or ``SPARK_REMOTE`` / ``sc://…`` for Spark Connect. pyspark is imported only here and only
when called: the DuckDB engine never needs it (requirements-spark.txt).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pyarrow as pa
from sqlglot import exp

from funnel.store.derived import refresh_derived
from funnel.store.lake import BASE_TABLES, PARTITION_COLUMN
from funnel.store.spark_sql import parse, transpile_tree

DEFAULT_MASTER = "local[*]"
# On one machine Spark's default of 200 shuffle partitions is mostly task overhead (measured: docs/spark.md).
LOCAL_SHUFFLE_PARTITIONS = 4
# Spark settings the equality with DuckDB rests on (docs/spark.md): timestamps without a time zone read and
# shown as written, lenient arithmetic (division by zero and a missing list item give NULL, as in DuckDB).
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.inferTimestampNTZ.enabled": "false",
    "spark.sql.ansi.enabled": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}


def spark_session(master: str | None = None, driver_memory: str = "2g", shuffle_partitions: int | None = None,
                  app_name: str = "lead-funnel"):
    """A SparkSession: Spark Connect when ``master`` starts with ``sc://`` (or, with no master, when
    SPARK_REMOTE is set), else a classic session on ``master`` (default ``local[*]``)."""
    from pyspark.sql import SparkSession

    remote = master if master and master.startswith("sc://") else (None if master else os.environ.get("SPARK_REMOTE"))
    local = not remote and (master or DEFAULT_MASTER).startswith("local")
    if shuffle_partitions is None and local:
        shuffle_partitions = LOCAL_SHUFFLE_PARTITIONS
    builder = SparkSession.builder.appName(app_name)
    if remote:
        builder = builder.remote(remote)
    else:
        builder = builder.master(master or DEFAULT_MASTER).config("spark.driver.memory", driver_memory)
    conf = dict(SESSION_CONF)
    if shuffle_partitions:
        conf["spark.sql.shuffle.partitions"] = str(shuffle_partitions)
    for key, value in conf.items():
        if remote and key.startswith("spark.ui"):
            continue
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    if not remote:
        session.sparkContext.setLogLevel("ERROR")
    for key, value in conf.items():  # a session that already existed keeps its own settings otherwise
        if not key.startswith(("spark.ui", "spark.driver")):
            session.conf.set(key, value)
    return session


class SparkResult:
    """One statement's rows, read like a DuckDB result (the values and dtypes DuckDB gives for them)."""

    def __init__(self, table: pa.Table | None):
        if table is None or table.num_columns == 0:  # a statement without rows (create, drop)
            table = pa.table({"done": pa.array([], pa.bool_())})
        self._local = duckdb.connect()
        self._rel = self._local.from_arrow(table)
        self._rows: list | None = None

    def fetchall(self) -> list[tuple]:
        rows = self._rows if self._rows is not None else self._rel.fetchall()
        self._rows = []
        return rows

    def fetchone(self):
        if self._rows is None:
            self._rows = self._rel.fetchall()
        return self._rows.pop(0) if self._rows else None

    def df(self):
        return self._rel.df()

    fetchdf = df

    def fetchnumpy(self):
        return self._rel.fetchnumpy()

    def to_arrow_table(self) -> pa.Table:
        return self._rel.to_arrow_table()

    arrow = to_arrow_table


def _naive_timestamps(table: pa.Table) -> pa.Table:
    """Spark's timestamps arrive as UTC instants; the store's are wall-clock times without a zone."""
    fields, arrays = [], []
    for field, column in zip(table.schema, table.columns):
        if pa.types.is_timestamp(field.type) and field.type.tz is not None:
            column = column.cast(pa.timestamp("us", tz="UTC")).cast(pa.timestamp("us"))
            field = pa.field(field.name, pa.timestamp("us"), field.nullable)
        fields.append(field)
        arrays.append(column)
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


class SparkConnection:
    """The metric functions' connection, on Spark (module docstring). ``statements`` counts what ran."""

    def __init__(self, spark):
        self.spark = spark
        self.statements = 0

    def cursor(self) -> "SparkConnection":
        return self

    def close(self) -> None:
        """Nothing to release: the session belongs to the caller (``spark.stop()``)."""

    def execute(self, sql: str, params=None) -> SparkResult:
        tree = parse(sql, params)
        self.statements += 1
        if isinstance(tree, exp.Create) and isinstance(tree.expression, exp.Query):
            name = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
            self.materialize(str(name.name), tree.expression, view=str(tree.args.get("kind")).upper() == "VIEW")
            return SparkResult(None)
        if isinstance(tree, exp.Drop):
            self.spark.catalog.dropTempView(tree.find(exp.Table).name)
            return SparkResult(None)
        return SparkResult(_naive_timestamps(self.spark.sql(transpile_tree(tree)).toArrow()))

    def register(self, name: str, frame) -> None:
        """A small pandas frame as the temporary view ``name``, as DuckDB's ``register`` (forecast_leads'
        probabilities per state and age)."""
        self.spark.createDataFrame(frame).createOrReplaceTempView(name)

    def unregister(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)

    def executemany(self, sql: str, rows) -> None:
        raise NotImplementedError("the Spark engine reads a lake; it does not write")

    def materialize(self, name: str, select, view: bool = False) -> None:
        """``name`` as a temporary view of ``select`` (a DuckDB SELECT text or a bound sqlglot tree): a
        view stays lazy; a table is computed once and checkpointed (later statements read its rows, not
        its plan)."""
        tree = select if isinstance(select, exp.Expression) else parse(select)
        frame = self.spark.sql(transpile_tree(tree))
        if not view:
            frame = frame.localCheckpoint(eager=True)
        frame.createOrReplaceTempView(name)


def register_lake(spark, folder: str | Path) -> None:
    """Every base table of the lake as a cached temporary view of the same name (read once: the refresh and
    the figures read them again)."""
    root = Path(folder)
    for table in BASE_TABLES:
        frame = spark.read.parquet(str(root / table))
        if table == "leads" and PARTITION_COLUMN in frame.columns:
            frame = frame.drop(PARTITION_COLUMN)
        frame.cache().createOrReplaceTempView(table)


def open_lake(spark, folder: str | Path, timings: dict | None = None) -> SparkConnection:
    """A SparkConnection over the lake at ``folder`` with the derived tables built (on Spark)."""
    register_lake(spark, folder)
    con = SparkConnection(spark)
    refresh_derived(con, timings)
    return con
