"""The command line: ``python -m funnel import | metrics | report`` (SPEC §5), the same functions as the
dashboard, no browser needed.

Exit status: 0 success; 1 nothing could be imported / bad arguments; 2 usage error (argparse);
3 the database is busy (held by another process).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from funnel.filters import DIMENSIONS, FunnelFilter
from funnel.ingest.batch import ImportError_
from funnel.store.db import StoreBusyError, connect, default_db_path

EXIT_OK, EXIT_FAILED, EXIT_BUSY = 0, 1, 3
DEFAULT_MAX_MB = 200


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (write it as YYYY-MM-DD, e.g. 2024-06-30)") from err


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from err
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m funnel", description="Lead Funnel: import lead files, "
                                     "compute the funnel figures, write the monthly report.")
    sub = parser.add_subparsers(dest="command", required=True)

    imp = sub.add_parser("import", help="import CSV/XLSX files into the database (one transaction)")
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE")
    imp.add_argument("--db", type=Path, help=f"database file (default: $LEAD_FUNNEL_DB or {default_db_path()})")
    imp.add_argument("--mapping", type=Path, metavar="PROFILE.toml", help="column-mapping profile")
    imp.add_argument("--format", dest="fmt", default="auto",
                     choices=("auto", "template", "events", "wide", "roster"))
    imp.add_argument("--rejects-out", type=Path, metavar="FILE.csv", help="write the rejected rows here")
    imp.add_argument("--max-mb", type=_positive_int, default=DEFAULT_MAX_MB, metavar="MB",
                     help=f"refuse files larger than this many MiB (default {DEFAULT_MAX_MB}, as the dashboard's "
                          "upload limit; a 1M-lead export is about 400)")

    def add_source_and_filter(p: argparse.ArgumentParser) -> None:
        where = p.add_mutually_exclusive_group()
        where.add_argument("--db", type=Path, help="database file (default: $LEAD_FUNNEL_DB or data/)")
        where.add_argument("--input", nargs="+", type=Path, metavar="FILE",
                           help="compute on these files in an in-memory database instead")
        p.add_argument("--mapping", type=Path, metavar="PROFILE.toml", help="mapping profile for --input")
        p.add_argument("--max-mb", type=_positive_int, default=DEFAULT_MAX_MB, metavar="MB",
                       help=f"size limit of each --input file in MiB (default {DEFAULT_MAX_MB})")
        p.add_argument("--as-of", type=_date, help="as-of date (default: the latest date in the data)")
        for dim in DIMENSIONS:
            p.add_argument(dim.flag, dest=dim.field, action="append", default=[], help=dim.cli_help)
        p.add_argument("--stalled-days", type=_positive_int, default=7, help="idle days before a lead is stalled")
        p.add_argument("--skip-rule", choices=("passed", "strict"), default="passed",
                       help="skipped stages count as passed (default) or only stages with an event count")

    met = sub.add_parser("metrics", help="print the funnel figures (SPEC §4); --json for the documented shape")
    add_source_and_filter(met)
    met.add_argument("--from", dest="date_from", type=_date, help="first acquisition date (inclusive)")
    met.add_argument("--to", dest="date_to", type=_date, help="last acquisition date (inclusive)")
    met.add_argument("--grain", choices=("week", "month", "quarter"), default="month")
    met.add_argument("--lang", choices=("zh", "en"), default="en")
    met.add_argument("--json", action="store_true", help="print one JSON object (docs/metrics.md)")

    rep = sub.add_parser("report", help="write the monthly report (线索转化分析报告)")
    add_source_and_filter(rep)
    rep.add_argument("--period", required=True, help="2024-03 (month), 2024-Q1 (quarter) or 2024-W10 (week)")
    rep.add_argument("--grain", choices=("week", "month", "quarter"), default=None,
                     help="period grain (default: from the --period spelling)")
    rep.add_argument("--lang", choices=("zh", "en"), default="zh")
    rep.add_argument("--out", type=Path, default=None, help="FILE.html, FILE.xlsx or FILE.pdf")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "import":
            return _cmd_import(args)
        if args.command == "metrics":
            return _cmd_metrics(args)
        return _cmd_report(args)
    except StoreBusyError as err:
        print(f"busy: {err}", file=sys.stderr)
        return EXIT_BUSY
    except ImportError_ as err:
        hint = " (on the command line: --max-mb N)" if "over the limit" in str(err) else ""
        print(f"error: {err}{hint}", file=sys.stderr)
        return EXIT_FAILED


def _load_mapping(path: Path | None):
    if path is None:
        return None
    from funnel.ingest import load_profile

    return load_profile(path)


def _print_import_report(report, out=None) -> None:
    out = out or sys.stdout  # looked up at call time, so a redirected stdout is honoured
    for f in report.files:
        if f.skipped_unchanged:
            print(f"{f.file_name}: unchanged since its last import, skipped", file=out)
            continue
        print(f"{f.file_name} [{f.format}]: read {f.rows_read}, accepted {f.rows_accepted}, "
              f"rejected {f.rows_rejected}, warned {f.rows_warned}, blank {f.rows_blank}, "
              f"duplicate {f.rows_duplicate}", file=out)
        for note in f.notes:
            print(f"  note: {note}", file=out)
    for note in report.notes:
        print(f"note: {note}", file=out)
    for row in report.warnings.head(20).itertuples(index=False):
        print(f"  warning: {row.file_name} row {row.row_number}, column {row.column_name}: "
              f"{row.raw_value!r}: {row.problem}", file=out)
    if len(report.warnings) > 20:
        print(f"  ... and {len(report.warnings) - 20} more warnings (Data page, or the import_warnings table)",
              file=out)
    for row in report.rejects.head(20).itertuples(index=False):
        print(f"  rejected: {row.file_name} row {row.row_number}: {row.reason}", file=out)
    if len(report.rejects) > 20:
        print(f"  ... and {len(report.rejects) - 20} more rejected rows (use --rejects-out FILE.csv)", file=out)


def _cmd_import(args) -> int:
    from funnel.store.loader import import_files

    missing = [str(p) for p in args.files if not p.is_file()]
    if missing:
        print(f"error: no such file: {', '.join(missing)}", file=sys.stderr)
        return EXIT_FAILED
    mapping = _load_mapping(args.mapping)
    con = connect(args.db or default_db_path())
    try:
        report = import_files(con, list(args.files), mapping=mapping, fmt=args.fmt,
                              max_bytes=args.max_mb * 1024 * 1024)
    finally:
        con.close()
    _print_import_report(report)
    if args.rejects_out is not None and len(report.rejects):
        from funnel.exports import table_to_csv_bytes

        args.rejects_out.write_bytes(table_to_csv_bytes(report.rejects))
        print(f"rejected rows written to {args.rejects_out}")
    if report.all_unchanged:
        return EXIT_OK
    return EXIT_OK if report.rows_accepted > 0 else EXIT_FAILED


def _open_for_reading(args):
    """A connection to --db (or the default file) or, with --input, an in-memory database of those files."""
    if args.input:
        from funnel.store.loader import import_files

        con = connect(None)
        report = import_files(con, list(args.input), mapping=_load_mapping(args.mapping),
                              max_bytes=args.max_mb * 1024 * 1024)
        if report.rows_accepted == 0:
            raise ImportError_("none of the --input files held a usable row; see `python -m funnel import`")
        return con
    path = args.db or default_db_path()
    if not Path(path).exists():
        raise ImportError_(f"no database at {path}: import files first (python -m funnel import FILE...) "
                           "or pass --input FILE...")
    return connect(path)


def _filter(args, date_from=None, date_to=None):
    return FunnelFilter.of(date_from, date_to, {d.field: getattr(args, d.field) for d in DIMENSIONS})


def _cmd_metrics(args) -> int:
    from funnel.metrics import figures, render_text, resolve_context

    if args.date_from and args.date_to and args.date_from > args.date_to:
        print(f"error: --from {args.date_from} is after --to {args.date_to}", file=sys.stderr)
        return EXIT_FAILED
    con = _open_for_reading(args)
    try:
        ctx = resolve_context(con, _filter(args, args.date_from, args.date_to), as_of=args.as_of, grain=args.grain,
                              stalled_days=args.stalled_days, skip_rule=args.skip_rule)
        figs = figures(con, ctx)
        _add_forecast(figs, con, ctx)
    finally:
        con.close()
    if args.json:
        print(json.dumps(figs, ensure_ascii=False, indent=2))
    else:
        print(render_text(figs, lang=args.lang))
    return EXIT_OK


def _add_forecast(figs: dict, con, ctx) -> None:
    """SPEC §7.4–7.5's keys (win_curve, cohort_triangle, forecast, backtest, backtest_mae), added beside the
    §5 figures; existing keys are never renamed or dropped."""
    from funnel.metrics.figures import forecast_figures

    figs.update(forecast_figures(con, ctx))


def _cmd_report(args) -> int:
    from funnel.metrics import resolve_context
    from funnel.report import run_report

    con = _open_for_reading(args)
    out = args.out or Path(f"lead-funnel-report-{args.period}.html")
    try:
        ctx = resolve_context(con, _filter(args), as_of=args.as_of, stalled_days=args.stalled_days,
                              skip_rule=args.skip_rule)
        written = run_report(con, ctx, args.period, args.grain, args.lang, out)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        con.close()
    print(f"report written to {written}")
    return EXIT_OK
