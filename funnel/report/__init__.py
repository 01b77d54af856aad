"""The monthly report (线索转化分析报告): build once, write as HTML, XLSX or PDF, or present on screen.

    ctx = resolve_context(con, FunnelFilter(sources=("转介绍",)), stalled_days=10)
    report = build_report(con, ctx, period="2024-03", lang="zh")
    write_report(report, "report.pdf")          # .html / .xlsx / .pdf
    report_bytes(report, "xlsx")                # for a download button
    run_report(con, ctx, "2024-03", None, "zh", "out.html")   # what `python -m funnel report` calls

See docs/report.md for the sections and the figures behind each.
"""

from __future__ import annotations

from pathlib import Path

from funnel.i18n import t
from funnel.metrics.context import MetricContext
from funnel.report.build import build_report
from funnel.report.model import ReportData
from funnel.periods import Period, parse_period

FORMATS = ("html", "xlsx", "pdf")
MIME_TYPES = {"html": "text/html", "pdf": "application/pdf",
              "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def report_bytes(report: ReportData, fmt: str) -> bytes:
    """The report as ``fmt`` ('html', 'xlsx' or 'pdf') bytes (HTML as UTF-8)."""
    fmt = fmt.lower().lstrip(".")
    if fmt == "html":
        from funnel.report.html_writer import render_html

        return render_html(report).encode("utf-8")
    if fmt == "xlsx":
        from funnel.report.xlsx_writer import xlsx_bytes

        return xlsx_bytes(report)
    if fmt == "pdf":
        from funnel.report.pdf_writer import pdf_bytes

        return pdf_bytes(report)
    raise ValueError(f"report format must be one of {FORMATS}, got {fmt!r}")


def report_filename(report: ReportData, fmt: str) -> str:
    """A download name such as 线索转化分析报告_2024-03.pdf / lead-conversion-report_2024-03.pdf."""
    return download_name(report.period.label, report.lang, fmt)


def download_name(period_label: str, lang: str, fmt: str) -> str:
    """``report_filename`` before the report is built (a download button needs its name up front)."""
    stem = t("report.report_title", "zh") if lang == "zh" else "lead-conversion-report"
    return f"{stem}_{period_label}.{fmt}"


def write_report(report: ReportData, out_path: str | Path) -> Path:
    """Write the report to ``out_path``; the format follows the suffix (.html/.htm, .xlsx, .pdf). The file
    is written whole or not at all (a temporary file renamed into place)."""
    path = Path(out_path)
    suffix = path.suffix.lower().lstrip(".")
    fmt = "html" if suffix == "htm" else suffix
    if fmt not in FORMATS:
        raise ValueError(f"{path.name}: the report is written as .html, .xlsx or .pdf, not {path.suffix or 'no suffix'}")
    data = report_bytes(report, fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path


def run_report(con, ctx: MetricContext, period: str, grain: str | None, lang: str, out_path: str | Path) -> Path:
    """build_report + write_report, for the command line. ``grain`` None infers it from ``period``."""
    return write_report(build_report(con, ctx, period=period, grain=grain, lang=lang), out_path)


__all__ = ["FORMATS", "MIME_TYPES", "Period", "ReportData", "build_report", "download_name", "parse_period", "report_bytes",
           "report_filename", "run_report", "write_report"]
