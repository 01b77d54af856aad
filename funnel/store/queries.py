"""Read-only look-ups for the screens and the command line: filter choices, import history, rejects."""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pandas as pd

from funnel.filters import DIMENSIONS, FunnelFilter


def filter_options(con: duckdb.DuckDBPyConnection, reps: Iterable[str] | None = None) -> dict:
    """Distinct values offered by the filters, and the acquisition date span of the data.

    Returns one sorted list per filter dimension, keyed by its field (``{"sources": [...], "reps": [...],
    "managers": [...], "teams": [...]}``, see ``funnel.filters.DIMENSIONS``) and ``"min_acquired"``,
    ``"max_acquired"`` (date | None); names sorted, empty values left out. With ``reps`` (a signed-in
    manager's visible reps, see ``funnel.access``) only the leads of those reps are looked at.
    """
    where, params = FunnelFilter(reps=tuple(reps)).where("lead_facts", dated_only=False) if reps is not None \
        else ("true", [])
    if reps is not None and not params:
        where = "false"  # no visible rep: no choice at all (an empty rep filter would mean every rep)

    def distinct(column: str) -> list[str]:
        rows = con.execute(
            f"select distinct {column} from lead_facts where {column} is not null and {where} order by 1",  # noqa: S608
            params,
        ).fetchall()
        return [r[0] for r in rows]

    if not _has_table(con, "lead_facts"):
        return {**{d.field: [] for d in DIMENSIONS}, "min_acquired": None, "max_acquired": None}
    low, high = con.execute(
        f"select min(acquired_at)::date, max(acquired_at)::date from lead_facts where {where}", params  # noqa: S608
    ).fetchone()
    return {**{d.field: distinct(d.column) for d in DIMENSIONS}, "min_acquired": low, "max_acquired": high}


def roster_rows(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str | None, str | None]]:
    """The roster as (rep, manager, team) rows, sorted by rep (empty before any roster was imported)."""
    if not _has_table(con, "roster"):
        return []
    return [tuple(r) for r in con.execute("select rep, manager, team from roster order by rep").fetchall()]


def lead_count(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("select count(*) from leads").fetchone()[0]


def imports_history(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per import run, newest first."""
    return con.execute(
        """select import_id, file_name, format, rows_read, rows_accepted, rows_rejected, rows_warned,
                  rows_blank, rows_duplicate, started_at, finished_at, who, status, message
           from imports order by started_at desc"""
    ).df()


def rejects_of(con: duckdb.DuckDBPyConnection, import_id: str | None = None) -> pd.DataFrame:
    """Rejected rows (of one import, or all): file_name, row_number, raw_values (JSON), reason, code, params
    (NULL in rows stored before problems had codes; funnel.messages.problem_text shows both).

    All imports together list a rejected row once per content (same cells as written, same reason): the
    ID-less row of a sheet imported again (say as its CSV export) is one problem, not two. The latest
    import's file name and row number are shown.
    """
    params: list = []
    coded = _coded(con, "rejects")
    if import_id:
        sql = f"select import_id, file_name, row_number, raw_values, reason, {coded} from rejects where import_id = ?"
        params.append(import_id)
    else:
        sql = f"""select import_id, file_name, row_number, raw_values, reason, {coded} from (
                     select r.*, row_number() over (partition by r.raw_values, r.reason
                                                    order by i.started_at desc nulls last, r.import_id desc) as rn
                     from rejects r left join imports i on i.import_id = r.import_id)
                 where rn = 1"""
    return con.execute(sql + " order by file_name, row_number", params).df()


def warnings_of(con: duckdb.DuckDBPyConnection, import_id: str | None = None) -> pd.DataFrame:
    """Bad cells kept with their field emptied: file_name, row_number, column_name, raw_value, problem, code,
    params."""
    sql = (f"select import_id, file_name, row_number, column_name, raw_value, problem, "
           f"{_coded(con, 'import_warnings')} from import_warnings")
    params: list = []
    if import_id:
        sql += " where import_id = ?"
        params.append(import_id)
    return con.execute(sql + " order by file_name, row_number, column_name", params).df()


def _coded(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """The select list of a problem's code and params: NULLs from a read-only copy published before problems
    had codes (the writable store gains the columns when it opens; funnel.store.schema)."""
    has = con.execute("select count(*) from information_schema.columns where table_name = ? and column_name = 'code'",
                      [table]).fetchone()[0]
    return "code, params" if has else "cast(null as varchar) as code, cast(null as varchar) as params"


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return con.execute(
        "select count(*) from information_schema.tables where table_name = ?", [name]
    ).fetchone()[0] > 0
