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


def _has_diff(con: duckdb.DuckDBPyConnection, from_import: str, to_import: str) -> bool:
    """True when the loader wrote the differing leads of this pair (B recorded right after A). A recorded lead
    import always differs from the one before it in at least one lead (an identical one keeps no snapshot),
    so one row is proof."""
    present = con.execute(
        "select count(*) from information_schema.tables where table_name = 'lead_snapshot_diffs' "
        "and table_schema = 'main' and table_catalog = current_database()").fetchone()[0]
    return bool(present) and con.execute(
        "select exists (select 1 from lead_snapshot_diffs where import_a = ? and import_b = ?)",
        [from_import, to_import]).fetchone()[0]


def _changes_sql(con: duckdb.DuckDBPyConnection, ctx: MetricContext, from_import: str,
                 to_import: str) -> tuple[str, list]:
    """A CTE text ending in ``c``: one row per lead that differs between A and B (in one only, or a value
    changed) passing the attribute filters, with both imports' values and a flag per group. A lead in both
    with the same values is in no group, so it is left out. The rows come from ``lead_snapshot_diffs`` when
    the loader wrote them for this pair (B and the lead import before it), else from the two snapshots."""
    from funnel.store.snapshots import pair_sql

    if ctx.grain not in _STEP:
        raise ValueError(f"unknown grain {ctx.grain!r}")
    flags = ",\n".join(
        f"coalesce({expr}, false) as {name}".replace("$grain", f"'{ctx.grain}'").replace("$step", _STEP[ctx.grain])
        for name, expr in _GROUP_SQL.items())
    if _has_diff(con, from_import, to_import):
        rows = ("select lead_id, in_a, in_b, status_a, status_b, stage_a, stage_b, amount_a, amount_b, close_a, "
                "close_b, rep_a, rep_b from lead_snapshot_diffs where import_a = ? and import_b = ?")
    else:
        rows = pair_sql()
    flt = ctx.filter
    filtered = bool(flt.sources or flt.reps or flt.managers or flt.teams)
    where, params = attribute_where(ctx)
    # Filtered: an inner join with lead_facts (the few differing leads are the hash table's side).
    restrict = f"join lead_facts f on f.lead_id = d.lead_id where {where}" if filtered else ""
    sql = f"""
        with d as ({rows}),
             j as (
                select d.*, list_position(?, d.stage_a) as rank_a, list_position(?, d.stage_b) as rank_b
                from d {restrict}),
             c as (select j.*, {flags} from j)
    """
    keys = list(ctx.stages.keys)
    return sql, [from_import, to_import, keys, keys, *(params if filtered else [])]


def upload_changes(con: duckdb.DuckDBPyConnection, ctx: MetricContext, from_import: str | None = None,
                   to_import: str | None = None) -> dict:
    """The counts of SPEC §7.2 between lead imports A = ``from_import`` and B = ``to_import``.

    Returns ``{"from", "to", "from_file", "to_file", "from_at", "to_at", "lead_imports", "counts": {group: n,
    ...}, "amount_change", "n_amount_both"}`` (``n_amount_both``: leads with an amount in both whose amount
    changed; an unchanged amount adds 0 to ``amount_change``). With fewer than two lead imports (or a pair not
    found) ``from`` / ``to`` may be None and every count 0; ``lead_imports`` says how many lead imports
    exist, so a screen can say "only one import so far".
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
           "lead_imports": len(imports), "counts": {g: 0 for g in GROUPS}, "amount_change": 0.0,
           "n_amount_both": 0}
    if from_import is None or to_import is None or from_import not in info or to_import not in info:
        return out
    sql, params = _changes_sql(con, ctx, from_import, to_import)
    sums = ", ".join(f"count(*) filter (where {g})" for g in GROUPS)
    row = con.execute(
        f"""{sql}
            select {sums}, coalesce(sum(amount_b - amount_a), 0), count(amount_b - amount_a) filter (where
                   amount_b <> amount_a)
            from c""", params).fetchone()
    out["counts"] = {g: int(n) for g, n in zip(GROUPS, row[:len(GROUPS)])}
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
    sql, params = _changes_sql(con, ctx, from_import, to_import)
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
    if out["from"] is not None and out["to"] is not None:
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
