"""A/B of the store's write: the same import made by two checkouts must leave equal stores.

Imports a bench CSV set (template CSV, stage log, roster) into a fresh store with the code of checkout OLD and
of checkout NEW (each in a fresh process, import ids made deterministic), then a changed copy of the template
and the stage log on top (some leads with a new amount, a new action or a later date, some leads gone, new
leads; the general path of the loader, where the file is compared with the stored rows). After each step every
table of the two stores (base and derived) is compared: column types, and rows by EXCEPT ALL both ways (the
clock columns of ``imports`` and the random data version left out); and the import reports' counts (files,
new / changed / unchanged leads, notes) must be equal.

    .venv/bin/python bench/store_ab.py bench/out/n100000_s20240101 --old ../main --new .
    .venv/bin/python bench/store_ab.py --files A.xlsx B.csv ... --old ../main    (those files, one import)
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIPPED = {"imports": ("started_at", "finished_at")}


def changed_copy(dataset: Path, out: Path, every: int = 20) -> list[Path]:
    """The template CSV and the UTF-8 stage log of ``dataset`` changed for a second import (every ``every``-th
    lead: amount raised, one action added, its row dropped or a stage redated or undated; plus new leads,
    some named only by the stage log)."""
    template = (dataset / "线索跟踪表.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(template)))
    header, body = rows[0], rows[1:]
    amount, actions = header.index("金额"), next(i for i, h in enumerate(header) if h.startswith("关键动作记录"))
    kept = []
    for i, row in enumerate(body):
        if i % every == 1:
            continue  # the lead is not in the newer export
        if i % every == 2 and row[amount].replace(".", "").isdigit():
            row[amount] = str(int(float(row[amount])) + 1000)
        if i % every == 3:
            row[actions] = (row[actions] + ";" if row[actions] else "") + "12-30电话回访,客户反馈积极"
        kept.append(row)
    for i, row in enumerate(body[: len(body) // every]):
        kept.append(["新-" + row[0], *row[1:]])
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *kept])
    paths = [out / "线索跟踪表-新.csv", out / "阶段记录-新.csv"]
    paths[0].write_text(buffer.getvalue(), encoding="utf-8")
    log = list(csv.reader(io.StringIO((dataset / "阶段记录_utf8.csv").read_text(encoding="utf-8-sig"))))
    events = [log[0]]
    for i, row in enumerate(log[1:]):
        if i % every == 5:
            row = [row[0], row[1], ""]  # an undated copy: the stored dated one holds
        elif i % every == 6 and row[2]:
            row = [row[0], row[1], row[2][:8] + "28"]  # another date for the same stage
        elif i % every == 7:  # a new lead's event (dating what its template row left undated, or its only row)
            events.append(["新-" + row[0], *row[1:]])
        events.append(row)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(events)
    paths[1].write_text(buffer.getvalue(), encoding="utf-8")
    return paths


def run_import(repo: str, db: str, files: list[str], start: int) -> None:
    """One import with the code of ``repo`` (in this process); prints a JSON line with the report's counts."""
    sys.path.insert(0, repo)
    import itertools
    import types

    from funnel.store import loader
    from funnel.store.db import connect

    counter = itertools.count(start)
    loader.uuid = types.SimpleNamespace(uuid4=lambda: types.SimpleNamespace(hex=f"{next(counter):012d}"))
    con = connect(db)
    t0, c0 = time.perf_counter(), time.process_time()
    report = loader.import_files(con, [Path(f) for f in files], who="ab", max_bytes=4 * 1024**3)
    con.execute("checkpoint")
    t1, c1 = time.perf_counter(), time.process_time()
    con.close()
    print(json.dumps({"wall_s": round(t1 - t0, 2), "cpu_s": round(c1 - c0, 2),
                      "leads": [report.leads.new, report.leads.changed, report.leads.unchanged],
                      "files": [[f.file_name, f.rows_read, f.rows_accepted, f.rows_rejected, f.rows_warned]
                                for f in report.files],
                      "notes": report.notes, "warnings": len(report.warnings), "rejects": len(report.rejects)}))


def compare(db_a: str, db_b: str) -> list[str]:
    """Tables whose names, column types or rows differ between the two stores."""
    import duckdb

    con = duckdb.connect(db_a, read_only=True)
    con.execute("attach ? as b (read_only)", [db_b])
    names = lambda catalog: {r[0]: r[1] for r in con.execute(  # noqa: E731
        "select table_name, table_type from information_schema.tables where table_catalog = ? "
        "and table_schema = 'main'", [catalog]).fetchall()}
    a_names, b_names = names(Path(db_a).stem), names("b")
    wrong = [f"tables only in one store: {sorted(set(a_names) ^ set(b_names))}"] if a_names.keys() != b_names.keys() else []
    for name in sorted(a_names.keys() & b_names.keys()):
        types = [con.execute("select column_name, data_type from information_schema.columns where table_catalog = ? "
                             "and table_schema = 'main' and table_name = ? order by ordinal_position",
                             [catalog, name]).fetchall() for catalog in (Path(db_a).stem, "b")]
        if types[0] != types[1]:
            wrong.append(f"{name}: column types differ {types}")
            continue
        cols = ", ".join(f'"{c}"' for c, _ in types[0] if c not in SKIPPED.get(name, ()))
        where = " where key <> 'data_version'" if name == "settings" else ""
        a = f'select {cols} from "{Path(db_a).stem}"."{name}"{where}'
        b = f'select {cols} from b."{name}"{where}'
        only_a = con.execute(f"select count(*) from ({a} except all {b})").fetchone()[0]
        only_b = con.execute(f"select count(*) from ({b} except all {a})").fetchone()[0]
        rows = con.execute(f"select count(*) from ({a})").fetchone()[0]
        if only_a or only_b:
            wrong.append(f"{name}: {only_a} rows only in A, {only_b} only in B (of {rows})")
        else:
            print(f"  {name}: {rows} rows equal", flush=True)
    con.close()
    return wrong


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path, nargs="?")
    parser.add_argument("--files", type=Path, nargs="+", help="import these files once instead of the bench set")
    parser.add_argument("--old", required=True, help="checkout whose code writes store A")
    parser.add_argument("--new", default=str(ROOT), help="checkout whose code writes store B")
    parser.add_argument("--run", nargs=4, metavar=("REPO", "DB", "FILES_JSON", "START"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run_import(args.run[0], args.run[1], json.loads(args.run[2]), int(args.run[3]))
        return 0
    work = Path(tempfile.mkdtemp(prefix="store_ab_"))
    if args.files:
        steps = [([f.resolve() for f in args.files], 0)]
    else:
        first = [args.dataset / "线索跟踪表.csv", args.dataset / "阶段记录_utf8.csv", args.dataset / "销售团队.csv"]
        steps = [(first, 0), (changed_copy(args.dataset, work), 100)]
    failed = []
    for step, (files, start) in enumerate(steps, 1):
        reports = []
        for label, repo in (("A", args.old), ("B", args.new)):
            out = subprocess.run([sys.executable, __file__, "--old", args.old, "--run",
                                  str(Path(repo).resolve()), str(work / f"{label}.duckdb"),
                                  json.dumps([str(f) for f in files]), str(start)],
                                 check=True, capture_output=True, text=True).stdout
            reports.append(json.loads(out.strip().splitlines()[-1]))
            print(f"step {step} store {label}: {reports[-1]}", flush=True)
        counts = [{k: v for k, v in r.items() if k not in ("wall_s", "cpu_s")} for r in reports]
        if counts[0] != counts[1]:
            failed.append(f"step {step}: reports differ {counts}")
        failed += [f"step {step}: {w}" for w in compare(str(work / "A.duckdb"), str(work / "B.duckdb"))]
    print("\n".join(failed) if failed else "EQUAL: every table and report after both imports")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
