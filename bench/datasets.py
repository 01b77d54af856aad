"""Benchmark datasets: generated deterministically by data/generate_sample.py, cached in bench/out/ by size+seed.

    d = ensure_files(100_000, seed, xlsx=True)   # bench/out/n100000_s<seed>/ with the template CSV (+XLSX),
                                                 # the GB18030 stage log and the roster
    db = ensure_db(100_000, seed)                # .../funnel.duckdb: the files imported through the loader
    pq = ensure_parquet(100_000, seed)           # .../parquet/<table>.parquet, the base tables exported once

A step is redone only when its marker file is missing (delete the directory to force a rebuild).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
for p in (str(ROOT), str(ROOT / "data")):
    if p not in sys.path:
        sys.path.insert(0, p)

import generate_sample as gen  # noqa: E402

DEFAULT_SEED = gen.DEFAULT_SEED
MAX_BYTES = 4 * 1024 ** 3  # the loader's default cap (200 MiB) is below a 1M-lead template CSV


def parse_size(text: str) -> int:
    text = text.strip().lower()
    mult = 1
    if text.endswith("k"):
        mult, text = 1_000, text[:-1]
    elif text.endswith("m"):
        mult, text = 1_000_000, text[:-1]
    return int(float(text) * mult)


def size_label(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}m"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def dataset_dir(n: int, seed: int = DEFAULT_SEED) -> Path:
    return OUT / f"n{n}_s{seed}"


def files(n: int, seed: int = DEFAULT_SEED) -> dict[str, Path]:
    d = dataset_dir(n, seed)
    return {"template_csv": d / gen.TEMPLATE_CSV, "template_xlsx": d / gen.TEMPLATE_XLSX,
            "stage_log": d / gen.STAGE_LOG_CSV,
            "stage_log_utf8": d / gen.STAGE_LOG_CSV.replace(".csv", "_utf8.csv"), "roster": d / gen.ROSTER_CSV, "db": d / "funnel.duckdb",
            "parquet": d / "parquet", "meta": d / "meta.json"}


def _meta(n: int, seed: int) -> dict:
    path = files(n, seed)["meta"]
    return json.loads(path.read_text()) if path.exists() else {}


def _save_meta(n: int, seed: int, **kv) -> None:
    meta = _meta(n, seed)
    meta.update(kv)
    files(n, seed)["meta"].write_text(json.dumps(meta, indent=2, ensure_ascii=False))


def ensure_files(n: int, seed: int = DEFAULT_SEED, xlsx: bool = False, log=print) -> dict[str, Path]:
    """Write the template CSV (UTF-8 BOM), the stage log (GB18030), the roster and optionally the XLSX."""
    f = files(n, seed)
    f["template_csv"].parent.mkdir(parents=True, exist_ok=True)
    meta = _meta(n, seed)
    need_csv = not meta.get("files_done")
    need_xlsx = xlsx and not meta.get("xlsx_done")
    if not (need_csv or need_xlsx):
        return f
    t0 = time.perf_counter()
    data = gen.generate(n, seed=seed)  # with the 关键动作记录 text: it becomes the activities table
    log(f"  generated {n:,} leads / {len(data.events):,} events in {time.perf_counter() - t0:.1f} s")
    if need_csv:
        gen.write_template_csv(data.leads, f["template_csv"], seed=seed)
        gen.write_stage_log_csv(data.events, f["stage_log"])
        gen.write_roster_csv(data.roster, f["roster"])
        _save_meta(n, seed, files_done=True, n_leads=len(data.leads), n_events=len(data.events))
    if need_xlsx:
        if n > gen.XLSX_MAX_DATA_ROWS:
            raise ValueError("too many leads for one XLSX sheet")
        gen.write_template_xlsx(data.leads, f["template_xlsx"], seed=seed)
        _save_meta(n, seed, xlsx_done=True)
    log(f"  wrote files for {n:,} leads in {time.perf_counter() - t0:.1f} s")
    return f


def ensure_utf8_stage_log(n: int, seed: int = DEFAULT_SEED, log=print) -> Path:
    """The stage log also as UTF-8 (the same rows; the import is timed with either encoding)."""
    f = ensure_files(n, seed, log=log)
    if not f["stage_log_utf8"].exists():
        tmp = f["stage_log_utf8"].with_suffix(".tmp")
        tmp.write_text(f["stage_log"].read_text(encoding="gb18030"), encoding="utf-8")
        tmp.rename(f["stage_log_utf8"])
    return f["stage_log_utf8"]


def ensure_db(n: int, seed: int = DEFAULT_SEED, log=print) -> Path:
    """The bench database: template CSV + stage log + roster imported through funnel.store.loader."""
    from funnel.store.db import connect
    from funnel.store.loader import import_files

    f = ensure_files(n, seed, log=log)
    if _meta(n, seed).get("db_done") and f["db"].exists():
        if _meta(n, seed).get("derived_code") != derived_code():
            _rederive(f["db"], n, seed, log)
        return f["db"]
    for p in (f["db"], Path(str(f["db"]) + ".wal")):
        p.unlink(missing_ok=True)
    t0 = time.perf_counter()
    con = connect(f["db"])
    report = import_files(con, [f["template_csv"], f["stage_log"], f["roster"]], who="bench", max_bytes=MAX_BYTES)
    con.execute("checkpoint")
    counts = {t: con.execute(f"select count(*) from {t}").fetchone()[0]
              for t in ("leads", "stage_events", "activities", "lead_facts", "stage_intervals")}
    con.close()
    _save_meta(n, seed, db_done=True, db_build_s=time.perf_counter() - t0, rows=counts,
               accepted=report.rows_accepted, derived_code=derived_code())
    log(f"  built {f['db'].name} for {n:,} leads in {time.perf_counter() - t0:.1f} s: {counts}")
    return f["db"]


def derived_code() -> str:
    """A hash of the code that builds the derived tables and the schema: a cached DB built by other code is
    re-derived (the base tables stay; only refresh_derived runs again)."""
    import hashlib

    h = hashlib.sha256()
    for name in ("derived.py", "schema.py", "config.py"):
        h.update((ROOT / "funnel" / "store" / name).read_bytes())
    return h.hexdigest()[:16]


def _rederive(db: Path, n: int, seed: int, log) -> None:
    from funnel.store.db import connect
    from funnel.store.derived import refresh_derived

    t0 = time.perf_counter()
    con = connect(db)
    con.execute("begin transaction")
    refresh_derived(con)
    con.execute("commit")
    con.execute("checkpoint")
    con.close()
    _save_meta(n, seed, derived_code=derived_code(), rederive_s=time.perf_counter() - t0)
    log(f"  re-derived {db} (funnel/store code changed) in {time.perf_counter() - t0:.1f} s")


PARQUET_TABLES = ("leads", "stage_events", "activities", "roster", "stages")


def ensure_parquet(n: int, seed: int = DEFAULT_SEED, log=print) -> Path:
    """The base tables exported to Parquet once (input of the plain-pandas script)."""
    import duckdb

    f = files(n, seed)
    db = ensure_db(n, seed, log=log)
    if _meta(n, seed).get("parquet_done"):
        return f["parquet"]
    f["parquet"].mkdir(exist_ok=True)
    con = duckdb.connect(str(db), read_only=True)
    for table in PARQUET_TABLES:
        con.execute(f"copy (select * from {table}) to '{f['parquet'] / (table + '.parquet')}' (format parquet)")
    con.close()
    _save_meta(n, seed, parquet_done=True)
    return f["parquet"]


def meta(n: int, seed: int = DEFAULT_SEED) -> dict:
    return _meta(n, seed)


if __name__ == "__main__":  # python bench/datasets.py 10k 100k 1m [--xlsx-at 100k]
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("sizes", nargs="+")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--xlsx", action="store_true")
    a = ap.parse_args()
    for s in a.sizes:
        size = parse_size(s)
        ensure_files(size, a.seed, xlsx=a.xlsx and size <= 100_000)
        ensure_db(size, a.seed)
        ensure_parquet(size, a.seed)
