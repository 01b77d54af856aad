"""Step timings (wall + process CPU) of one import of a bench CSV set into a fresh store (issue 16's profiles).

    .venv/bin/python bench/import_steps.py bench/out/n1000000_s20240101 utf8 . \
        funnel.ingest:parse_file funnel.store.loader:refresh_derived ...

DATASET_DIR is a bench/datasets.py folder; utf8|gb picks the stage log (xlsx: the folder's template XLSX alone); REPO the checkout whose code imports
(A/B: alternate two checkouts); each module:function is wrapped where its caller looks the name up. Prints the
whole import (checkpoint incl.), each wrapped function's wall / CPU seconds and calls, and the peak RSS.
"""
import sys, time, os, tempfile, functools, importlib
d = sys.argv[1]; enc = sys.argv[2] if len(sys.argv) > 2 else "utf8"
repo = sys.argv[3] if len(sys.argv) > 3 else os.getcwd()
sys.path.insert(0, repo)
from pathlib import Path
T = {}
def wrap(modname, fname):
    m = importlib.import_module(modname); f = getattr(m, fname)
    @functools.wraps(f)
    def g(*a, **k):
        w, c = time.perf_counter(), time.process_time()
        try: return f(*a, **k)
        finally:
            key = f"{modname.split('.')[-1]}.{fname}"
            t = T.setdefault(key, [0.0, 0.0, 0]); t[0] += time.perf_counter() - w; t[1] += time.process_time() - c; t[2] += 1
    setattr(m, fname, g)
    return g
for spec in sys.argv[4:]:
    mod, fn = spec.rsplit(":", 1); wrap(mod, fn)
import duckdb
from funnel.store import db as dbm
from funnel.store import loader
base = Path(d)
if enc == "xlsx":
    files = [base / "线索跟踪表.xlsx"]
else:
    files = [base / "线索跟踪表.csv", base / ("阶段记录_utf8.csv" if enc == "utf8" else "阶段记录.csv"), base / "销售团队.csv"]
tmp = tempfile.mkdtemp(); path = Path(tmp) / "f.duckdb"
w0, c0 = time.perf_counter(), time.process_time()
con = dbm.connect(path)
if hasattr(dbm, "keep_block_memory"):  # as `python -m funnel import` opens the store
    dbm.keep_block_memory(con)
w1, c1 = time.perf_counter(), time.process_time()
rep = loader.import_files(con, files, max_bytes=4 * 1024**3)
con.execute("checkpoint")
w2, c2 = time.perf_counter(), time.process_time()
print(f"TOTAL import wall {w2-w1:.2f} cpu {c2-c1:.2f}  (open {w1-w0:.2f})")
for k, (w, c, n) in sorted(T.items(), key=lambda x: -x[1][0]):
    print(f"  {k:40s} wall {w:7.2f} cpu {c:7.2f} n={n}")
import resource; print("maxrss MiB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
con.close()
import shutil; shutil.rmtree(tmp, ignore_errors=True)  # the store is only timed
