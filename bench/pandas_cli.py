"""The plain-pandas counterpart of `python -m funnel metrics --db FILE --json`: the same figures computed
from the base tables exported to Parquet, printed as one JSON object.

    python bench/pandas_cli.py bench/out/n1000000_s20240101/parquet [--source S --from D --to D]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import pandas_figures as pf  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("parquet")
    ap.add_argument("--source", action="append", default=[])
    ap.add_argument("--from", dest="date_from", type=dt.date.fromisoformat)
    ap.add_argument("--to", dest="date_to", type=dt.date.fromisoformat)
    a = ap.parse_args()
    figs = pf.figures(pf.load_frames_parquet(a.parquet),
                      pf.Filter(date_from=a.date_from, date_to=a.date_to, sources=tuple(a.source)))
    print(json.dumps(figs, ensure_ascii=False, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
