"""Helpers for the reliability tests: generated lead files, a stable figure snapshot, the project root."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HEADER = ["lead_id", "source", "customer", "acquired_at", "current_stage", "stage_entered_at", "rep", "manager",
          "status", "lost_reason", "notes"]
STAGE_NAMES = ["线索获取", "初步筛选", "需求挖掘", "方案呈现与谈判", "售后跟进", "成交签约"]


def csv_cell(value: object) -> str:
    text = "" if value is None else str(value)
    if any(ch in text for ch in (",", '"', "\n", "\r")):
        text = '"' + text.replace('"', '""') + '"'
    return text


def csv_bytes(rows: list[list[object]], header: list[str] | None = None, encoding: str = "utf-8") -> bytes:
    lines = [",".join(csv_cell(c) for c in (header or HEADER))]
    lines += [",".join(csv_cell(c) for c in row) for row in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


def lead_rows(n: int, prefix: str = "L", pad: str = "") -> list[list[object]]:
    """``n`` template leads acquired in March 2024, spread over stages, reps and statuses."""
    rows = []
    statuses = ["跟进中", "已成交", "已流失", "未跟进"]
    for i in range(n):
        status = statuses[i % 4]
        stage = "成交签约" if status == "已成交" else STAGE_NAMES[i % 4]
        rows.append([f"{prefix}{i:06d}", ["展会", "官网", "转介绍"][i % 3], f"客户{i}", f"2024-03-{i % 28 + 1:02d}",
                     stage, f"2024-04-{i % 28 + 1:02d}", f"rep{i % 12}", f"mgr{i % 3}", status,
                     "价格太高" if status == "已流失" else "", f"note {i}{pad}"])
    return rows


def lead_csv(n: int, prefix: str = "L", pad: str = "") -> bytes:
    return csv_bytes(lead_rows(n, prefix, pad))


def figure_snapshot(con, as_of: dt.date = dt.date(2024, 6, 30)) -> str:
    """funnel.metrics.figures for all leads at a fixed as-of date, as canonical JSON (comparable)."""
    from funnel.metrics import figures, resolve_context

    ctx = resolve_context(con, as_of=as_of)
    return json.dumps(figures(con, ctx), sort_keys=True, default=str, ensure_ascii=False)


def counts(con) -> dict:
    tables = ("leads", "stage_events", "activities", "roster", "imports", "rejects", "import_warnings",
              "lead_facts", "stage_intervals", "event_problems")
    out = {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}  # noqa: S608 - fixed names
    out["data_version"] = con.execute("select value from settings where key = 'data_version'").fetchone()[0]
    return out
