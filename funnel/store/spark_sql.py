"""DuckDB SQL as Spark SQL: bind the parameters, transpile with sqlglot (pinned exactly in requirements.txt),
then patch the few places where sqlglot's Spark output would run but answer differently (issue 17, part 2).

The SQL of ``funnel/store/derived.py`` and ``funnel/metrics/`` is written once, in DuckDB's dialect, in forms
that mean the same on both engines (docs/spark.md, "Portable SQL"). ``to_spark(sql, params)`` turns one such
statement and its parameters (``?`` positional, ``$name`` named, as DuckDB takes them) into one Spark SQL text
with the values written in as literals. ``differing_constructs(sql)`` names the constructs known to differ
between the engines that a statement still uses; ``tests/store/test_spark_sql.py`` keeps that list empty
for every statement the figure set runs. No JVM is needed here: only sqlglot.

The patches over sqlglot's Spark output (each found by the equality test, tests/store/test_spark_equality.py):

- ``epoch(ts)``: sqlglot writes ``UNIX_TIMESTAMP`` (whole seconds); DuckDB keeps the microseconds. Written as
  ``UNIX_MICROS(ts) / 1e6`` in double, DuckDB's own computation.
- ``epoch_us`` -> ``UNIX_MICROS``; ``to_seconds(n)`` -> ``MAKE_DT_INTERVAL(0, 0, 0, n)``.
- Decimal literals (``86400.0``): DECIMAL in Spark, where a division rounds to the decimal's scale; written
  as doubles, as DuckDB computes them next to a double.
- ``quantile_cont(x, q)`` / ``median(x)``: sqlglot writes ``PERCENTILE_CONT``; Spark's exact percentile weighs the
  two middle values without DuckDB's fused multiply-add: the last digit differs. Written as DuckDB's
  computation over the sorted values (``_quantile``).
- ``list_extract(l, i)`` / ``l[i]`` with a computed index: 1-based in DuckDB, 0-based in Spark's ``l[i]``;
  written as ``ELEMENT_AT(l, i)`` (1-based).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal

import sqlglot
from sqlglot import exp
from sqlglot.tokens import TokenType

READ, WRITE = "duckdb", "spark"

# Constructs of DuckDB SQL that Spark lacks or computes differently (the fast check in the main suite keeps
# them out of every statement): (name, pattern over the DuckDB text, what to write instead).
KNOWN_DIFFERING: tuple[tuple[str, str, str], ...] = (
    ("positional join", r"\bpositional\s+join\b", "lead() / lag() over (partition by … order by …)"),
    ("rowid", r"\browid\b", "a stored key (lead_key)"),
    ("first/last with order by", r"\b(first|last|any_value)\s*\([^()]*\border\s+by\b",
     "row_number() over (… order by …) = 1"),
    ("list indexing", r"(\$\w+|\?|\]|\w)\[\s*[^\]'\"]", "a join on the stage rank (DuckDB lists are 1-based, Spark's 0-based)"),
    ("unnest", r"\bunnest\s*\(", "values (…), (…) (side-by-side unnest() pairs rows in DuckDB, multiplies them in Spark)"),
    ("string_agg / list", r"\b(string_agg|list|array_agg|group_concat)\s*\(", "rows, joined in Python"),
    ("number formatted as text", r"\b(printf|format)\s*\(", "format in Python (funnel.formats)"),
    ("exclude / replace", r"\*\s*(exclude|replace)\s*\(", "name the columns"),
)


class SparkSqlError(ValueError):
    """A statement that cannot be written for Spark (a parameter of an unknown type, a parse error)."""


def differing_constructs(sql: str) -> list[str]:
    """The names of the known-differing constructs (KNOWN_DIFFERING) that ``sql`` uses, outside strings."""
    text = _without_strings(sql).lower()
    return [name for name, pattern, _ in KNOWN_DIFFERING if re.search(pattern, text)]


def _without_strings(sql: str) -> str:
    return re.sub(r"'(?:[^']|'')*'", "''", re.sub(r"--[^\n]*", "", sql))


def literal(value) -> exp.Expression:
    """A Python parameter value as a Spark literal of the type DuckDB would bind."""
    if value is None:
        return exp.null()
    if isinstance(value, bool):
        return exp.true() if value else exp.false()
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, (float, Decimal)):
        number = float(value)
        if math.isnan(number) or math.isinf(number):
            return exp.cast(exp.Literal.string(str(number)), exp.DataType.build("double"))
        return exp.cast(exp.Literal.number(repr(number)), exp.DataType.build("double"))
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, dt.datetime):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), exp.DataType.build("timestamp"))
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.build("date"))
    if hasattr(value, "item") and not isinstance(value, (list, tuple)):  # numpy scalars
        return literal(value.item())
    if isinstance(value, (list, tuple)) or hasattr(value, "tolist"):
        items = value.tolist() if hasattr(value, "tolist") else list(value)
        return exp.Array(expressions=[literal(v) for v in items])
    raise SparkSqlError(f"cannot bind a parameter of type {type(value).__name__}")


def _named_placeholders(sql: str) -> tuple[str, int]:
    """``sql`` with every positional ``?`` renamed ``$__p<i>`` (by the tokenizer: not inside strings)."""
    tokens = sqlglot.Dialect.get_or_raise(READ).tokenize(sql)
    out, last, n = [], 0, 0
    for tok in tokens:
        if tok.token_type == TokenType.PLACEHOLDER and tok.text == "?":
            out += [sql[last:tok.start], f"$__p{n}"]
            last, n = tok.end + 1, n + 1
    out.append(sql[last:])
    return "".join(out), n


def parse(sql: str, params=None) -> exp.Expression:
    """One DuckDB statement with its parameters bound as literals (a sqlglot tree)."""
    text, n = _named_placeholders(sql)
    if isinstance(params, dict):
        values = dict(params)
    else:
        params = list(params or [])
        if len(params) != n:
            raise SparkSqlError(f"the statement has {n} positional parameters, {len(params)} given")
        values = {f"__p{i}": v for i, v in enumerate(params)}
    try:
        tree = sqlglot.parse_one(text, read=READ)
    except sqlglot.errors.ParseError as err:
        raise SparkSqlError(str(err)) from err

    def bind(node):
        if isinstance(node, exp.Placeholder) and node.this:
            name = str(node.this)
            if name not in values:
                raise SparkSqlError(f"no value for parameter ${name}")
            return literal(values[name])
        return node

    return tree.transform(bind)


_DOUBLE = exp.DataType.build("double")


def _patch(node: exp.Expression) -> exp.Expression:
    """The small patch over sqlglot's Spark output (module docstring)."""
    if isinstance(node, exp.TimeToUnix):  # epoch(ts): seconds with the microseconds, in double
        micros = exp.cast(exp.Anonymous(this="UNIX_MICROS", expressions=[node.this]), _DOUBLE)
        return exp.Div(this=micros, expression=exp.cast(exp.Literal.number("1000000"), _DOUBLE))
    if isinstance(node, exp.Anonymous) and str(node.this).lower() == "epoch_us":
        return exp.Anonymous(this="UNIX_MICROS", expressions=node.expressions)
    if isinstance(node, exp.Anonymous) and str(node.this).lower() == "to_seconds":
        zero = exp.Literal.number(0)
        return exp.Anonymous(this="MAKE_DT_INTERVAL", expressions=[zero, zero, zero, *node.expressions])
    if isinstance(node, exp.Literal) and not node.is_string and re.search(r"[.eE]", str(node.this)):
        if not isinstance(node.parent, exp.Cast):
            return exp.cast(node.copy(), _DOUBLE)
    if isinstance(node, exp.Filter) and isinstance(node.this, (exp.PercentileCont, exp.Median)):
        return _quantile(node.this, node.expression)
    if isinstance(node, (exp.PercentileCont, exp.Median)):
        return _quantile(node, None)
    if isinstance(node, exp.Anonymous) and str(node.this).lower() == "list_extract":
        return exp.Anonymous(this="ELEMENT_AT", expressions=node.expressions)
    if isinstance(node, exp.Bracket) and len(node.expressions) == 1:
        index = node.expressions[0]
        if not (isinstance(index, exp.Literal)):  # computed index: DuckDB's is 1-based, left as written
            return exp.Anonymous(this="ELEMENT_AT", expressions=[node.this, index])
    return node


def _quantile(node: exp.Expression, where: exp.Where | None) -> exp.Expression:
    """DuckDB's quantile_cont / median, computed as DuckDB does: over the sorted non-null values v (as
    double), at h = (n - 1) q with d = h - floor h, lo = v[floor h], hi = v[ceil h]: lo (1 - d) + hi d, which
    DuckDB's x86-64 build evaluates as one fused multiply-add, fma(lo, 1 - d, hi d); Java's Math.fma (through
    ``reflect``) rounds the same way. Spark's percentile() rounds each product apart: the last digit differs."""
    value = transpile_tree(node.this)
    quantiles = node.args.get("expression") if isinstance(node, exp.PercentileCont) else exp.Literal.number("0.5")
    sorted_ = f"array_sort(collect_list(cast({value} as double)))"
    if where is not None:
        sorted_ = f"array_sort(collect_list(cast({value} as double)) filter ({transpile_tree(where)}))"
    v = "qv__"

    def at(q: str) -> str:
        h = f"((size({v}) - 1) * {q})"
        lo, hi = f"element_at({v}, cast(floor({h}) as int) + 1)", f"element_at({v}, cast(ceil({h}) as int) + 1)"
        d = f"({h} - floor({h}))"
        fused = f"cast(reflect('java.lang.Math', 'fma', {lo}, cast(1 as double) - {d}, {hi} * {d}) as double)"
        return f"(case when floor({h}) = ceil({h}) then {lo} else {fused} end)"

    if isinstance(quantiles, exp.Array):
        qs = ", ".join(transpile_tree(q) for q in quantiles.expressions)
        body = f"transform(array({qs}), qp__ -> {at('qp__')})"
    else:
        body = at(transpile_tree(quantiles))
    text = (f"element_at(transform(array({sorted_}), {v} -> "
            f"case when size({v}) = 0 then null else {body} end), 1)")
    return sqlglot.parse_one(text, read=WRITE)


def to_spark(sql: str, params=None) -> str:
    """One DuckDB statement and its parameters as one Spark SQL text (values written in as literals)."""
    return transpile_tree(parse(sql, params))


def transpile_tree(tree: exp.Expression) -> str:
    return tree.transform(_patch).sql(dialect=WRITE)
