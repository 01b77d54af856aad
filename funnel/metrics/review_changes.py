"""What changed between two uploads (两次导入对比, SPEC §7.2), from the lead snapshots kept at import.

``upload_changes(con, ctx, from_import=None, to_import=None) -> dict`` counts the leads of each group;
``upload_change_leads(con, ctx, from_import, to_import, group=None) -> DataFrame`` lists them (one row per
lead; with ``group`` only that group's leads, so the count shown equals the rows listed). Both read one
SQL text (``_changes_sql``): the two snapshots full-joined on lead_id, one boolean column per group.

Groups (a lead counts in every group that applies): ``appeared`` (in B, not in A), ``vanished`` (in A,
not in B: kept as last imported, never deleted), and for leads in both: ``advanced`` / ``slipped``
(current stage later / earlier in the configured order, post-won stages included), ``won`` / ``lost``
(status became won / lost), ``reopened`` (from won or lost to open), ``amount_up`` / ``amount_down``
(both amounts known), ``close_pushed`` / ``close_pulled`` (expected close later / earlier, both known),
``close_pushed_out`` (moved past the end of the ``ctx.grain`` period holding A's expected close),
``reassigned`` (rep changed, a rep appearing or disappearing included). ``amount_change`` = Σ (B − A) over
leads with an amount in both. The attribute filters of ``ctx`` apply (to each lead's current attributes);
its acquisition date range does not. Default pair: the last two lead imports (``funnel.store.snapshots``).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from funnel.metrics._common import attribute_where, fetch_rows
from funnel.metrics.context import MetricContext

GROUPS = ("appeared", "vanished", "advanced", "slipped", "won", "lost", "reopened", "amount_up", "amount_down",
          "close_pushed", "close_pulled", "close_pushed_out", "reassigned")

_GROUP_SQL = {
    "appeared": "in_b and not in_a",
    "vanished": "in_a and not in_b",
    "advanced": "in_a and in_b and rank_b > rank_a",
    "slipped": "in_a and in_b and rank_b < rank_a",
    "won": "in_a and in_b and status_b = 'won' and status_a is distinct from 'won'",
    "lost": "in_a and in_b and status_b = 'lost' and status_a is distinct from 'lost'",
    "reopened": "in_a and in_b and status_a in ('won', 'lost') and status_b in ('untouched', 'active')",
    "amount_up": "in_a and in_b and amount_b > amount_a",
    "amount_down": "in_a and in_b and amount_b < amount_a",
    "close_pushed": "in_a and in_b and close_b > close_a",
    "close_pulled": "in_a and in_b and close_b < close_a",
    "close_pushed_out": "in_a and in_b and close_b >= date_trunc($grain, close_a) + $step",
    "reassigned": "in_a and in_b and rep_b is distinct from rep_a",
}
_STEP = {"week": "interval 7 day", "month": "interval 1 month", "quarter": "interval 3 month"}


def _has_snapshots(con: duckdb.DuckDBPyConnection) -> bool:
    return con.execute(
        "select count(*) from information_schema.tables where table_name = 'lead_snapshots' "
        "and table_schema = 'main' and table_catalog = current_database()").fetchone()[0] > 0


def lead_import_list(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per lead import that kept a snapshot, oldest first: import_id, file_name, started_at, leads."""
    if not _has_snapshots(con):
        return pd.DataFrame(columns=["import_id", "file_name", "started_at", "leads"])
    from funnel.store.snapshots import lead_imports

    return lead_imports(con)


def default_pair(con: duckdb.DuckDBPyConnection) -> tuple[str | None, str | None]:
    """(A, B) = the last two lead imports, A the earlier; (None, only one) or (None, None) when fewer."""
    ids = list(lead_import_list(con)["import_id"])
    if len(ids) >= 2:
        return ids[-2], ids[-1]
    return None, (ids[-1] if ids else None)


def _changes_sql(ctx: MetricContext, from_import: str, to_import: str) -> tuple[str, list]:
    """One row per lead in A or B passing the attribute filters: its values in both and a flag per group."""
    if ctx.grain not in _STEP:
        raise ValueError(f"unknown grain {ctx.grain!r}")
    where, params = attribute_where(ctx)
    flags = ",\n".join(
        f"coalesce({expr}, false) as {name}".replace("$grain", f"'{ctx.grain}'").replace("$step", _STEP[ctx.grain])
        for name, expr in _GROUP_SQL.items())
    sql = f"""
        with a as (select * from lead_snapshots where import_id = ?),
             b as (select * from lead_snapshots where import_id = ?),
             j as (
                select coalesce(b.lead_id, a.lead_id) as lead_id,
                       a.lead_id is not null as in_a, b.lead_id is not null as in_b,
                       a.current_stage as stage_a, b.current_stage as stage_b,
                       list_position(?, a.current_stage) as rank_a, list_position(?, b.current_stage) as rank_b,
                       a.status as status_a, b.status as status_b, a.amount as amount_a, b.amount as amount_b,
                       a.expected_close as close_a, b.expected_close as close_b, a.rep as rep_a, b.rep as rep_b
                from a full join b on a.lead_id = b.lead_id),
             c as (
                select j.*, {flags}
                from j semi join (select f.lead_id from lead_facts f where {where}) f on f.lead_id = j.lead_id)
    """
    keys = list(ctx.stages.keys)
    return sql, [from_import, to_import, keys, keys, *params]


def upload_changes(con: duckdb.DuckDBPyConnection, ctx: MetricContext, from_import: str | None = None,
                   to_import: str | None = None) -> dict:
    """The counts of SPEC §7.2 between lead imports A = ``from_import`` and B = ``to_import``.

    Returns ``{"from", "to", "from_file", "to_file", "from_at", "to_at", "lead_imports", "leads_a", "leads_b",
    "counts": {group: n, ...}, "amount_change", "n_amount_both"}``. With fewer than two lead imports (or a
    pair not given and not found) ``from`` / ``to`` may be None and every count 0; ``lead_imports`` says how
    many lead imports exist, so a screen can say "only one import so far".
    """
    imports = lead_import_list(con)
    if from_import is None and to_import is None:
        from_import, to_import = default_pair(con)
    info = {row.import_id: row for row in imports.itertuples(index=False)}
    out = {"from": from_import, "to": to_import,
           "from_file": getattr(info.get(from_import), "file_name", None),
           "to_file": getattr(info.get(to_import), "file_name", None),
           "from_at": _iso(getattr(info.get(from_import), "started_at", None)),
           "to_at": _iso(getattr(info.get(to_import), "started_at", None)),
           "lead_imports": len(imports), "leads_a": 0, "leads_b": 0,
           "counts": {g: 0 for g in GROUPS}, "amount_change": 0.0, "n_amount_both": 0}
    if from_import is None or to_import is None or from_import not in info or to_import not in info:
        return out
    sql, params = _changes_sql(ctx, from_import, to_import)
    sums = ", ".join(f"count(*) filter (where {g})" for g in GROUPS)
    row = con.execute(
        f"""{sql}
            select count(*) filter (where in_a), count(*) filter (where in_b), {sums},
                   coalesce(sum(amount_b - amount_a), 0), count(amount_b - amount_a)
            from c""", params).fetchone()
    out["leads_a"], out["leads_b"] = int(row[0]), int(row[1])
    out["counts"] = {g: int(n) for g, n in zip(GROUPS, row[2:2 + len(GROUPS)])}
    out["amount_change"] = float(row[-2])
    out["n_amount_both"] = int(row[-1])
    return out


def upload_change_leads(con: duckdb.DuckDBPyConnection, ctx: MetricContext, from_import: str, to_import: str,
                        group: str | None = None, limit: int | None = None) -> pd.DataFrame:
    """The leads behind ``upload_changes``: one row per lead (of ``group``, or of any group when None), by
    lead_id. Columns: lead_id, customer, stage_a, stage_b, status_a, status_b, amount_a, amount_b, close_a,
    close_b, rep_a, rep_b, groups (the groups the lead is in, comma separated)."""
    if group is not None and group not in GROUPS:
        raise ValueError(f"unknown group {group!r}; one of {GROUPS}")
    if not _has_snapshots(con):
        return pd.DataFrame(columns=["lead_id"])
    sql, params = _changes_sql(ctx, from_import, to_import)
    cond = group if group is not None else " or ".join(GROUPS)
    names = "concat_ws(',', " + ", ".join(f"case when {g} then '{g}' end" for g in GROUPS) + ")"
    lim = f" limit {int(limit)}" if limit is not None else ""
    return fetch_rows(
        con,
        f"""{sql}
            select c.lead_id, f.customer, c.stage_a, c.stage_b, c.status_a, c.status_b, c.amount_a, c.amount_b,
                   c.close_a, c.close_b, c.rep_a, c.rep_b, {names} as groups
            from c left join lead_facts f on f.lead_id = c.lead_id
            where {cond} order by c.lead_id{lim}""",
        params)


def changes_json(con: duckdb.DuckDBPyConnection, ctx: MetricContext, from_import: str | None = None,
                 to_import: str | None = None) -> dict:
    """The object printed by ``python -m funnel changes --json`` (SPEC §7.6): ``upload_changes`` plus
    ``"leads": {group: [lead_id, ...]}`` (every group, sorted lead IDs)."""
    out = upload_changes(con, ctx, from_import, to_import)
    leads = {g: [] for g in GROUPS}
    if out["from"] is not None and out["to"] is not None and out["leads_a"] + out["leads_b"]:
        frame = upload_change_leads(con, ctx, out["from"], out["to"])
        for lead_id, groups in zip(frame["lead_id"], frame["groups"]):
            for g in str(groups).split(","):
                if g:
                    leads[g].append(lead_id)
    out["leads"] = leads
    return out


def _iso(value):
    if value is None or (isinstance(value, float) and value != value):
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return pd.Timestamp(value).isoformat()
