"""The command line: ``python -m funnel import | metrics | changes | report | publish | export-lake`` (SPEC §5,
§7.6, docs/deploy.md), the same functions as the
dashboard, no browser needed.

Exit status: 0 success; 1 nothing could be imported / bad arguments; 2 usage error (argparse);
3 the database is busy (held by another process).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

from funnel import jsontext
from funnel.filters import DIMENSIONS, FunnelFilter
from funnel.i18n import t
from funnel.ingest import DEFAULT_MAX_BYTES, UPLOAD_MAX_MB
from funnel.ingest.batch import ImportError_
from funnel.store.db import StoreBusyError, connect, default_db_path, keep_block_memory

EXIT_OK, EXIT_FAILED, EXIT_BUSY = 0, 1, 3
SPARK_DEFAULT_MASTER = "local[*]"  # funnel.store.spark_engine.DEFAULT_MASTER (not imported: pyspark is optional)
DEFAULT_MAX_MB = DEFAULT_MAX_BYTES // (1024 * 1024)


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
    imp.add_argument("--lang", choices=("en", "zh"), default="en",
                     help="language of the notes, warnings and reasons (the count lines stay as they are)")
    imp.add_argument("--max-mb", type=_positive_int, default=DEFAULT_MAX_MB, metavar="MB",
                     help=f"refuse files larger than this many MiB (default {DEFAULT_MAX_MB}; the dashboard's uploads "
                          f"stop at {UPLOAD_MAX_MB} MB; a 1M-lead export is about 400)")

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
    met.add_argument("--grain", choices=("week", "month", "quarter"), default=None,
                     help="period grain (default: from the --period spelling, else month)")
    met.add_argument("--period", default=None,
                     help="period of the bridge and the attribution (SPEC §7.1, §7.3): 2024-05, 2024-Q2 or "
                          "2024-W20 (default: the period holding the as-of date)")
    met.add_argument("--lang", choices=("zh", "en"), default="en")
    met.add_argument("--json", action="store_true", help="print one JSON object (docs/metrics.md)")
    met.add_argument("--out", type=Path, metavar="FILE.json", help="also write the figure set (the JSON) to this file")
    met.add_argument("--save", nargs="?", const="", default=None, metavar="NAME",
                     help="also save the figure set, with where and when it was computed, in the folder the "
                          "dashboard's Figure sets page reads ($LEAD_FUNNEL_FIGURES_DIR, else data/figures/); "
                          "NAME.json, or engine-as_of-time.json without NAME")
    met.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                     help="duckdb (default): the database file; spark: a lake written by export-lake (docs/spark.md)")
    met.add_argument("--lake", type=Path, metavar="DIR", help="for --engine spark: the lake folder (export-lake)")
    met.add_argument("--spark-master", metavar="URL",
                     help="for --engine spark: a master URL, or sc://host:port for Spark Connect (default: "
                          "$SPARK_REMOTE, else " + SPARK_DEFAULT_MASTER + ")")
    met.add_argument("--spark-memory", default="6g", metavar="SIZE",
                     help="for --engine spark on a local master: the driver's memory (default 6g)")

    chg = sub.add_parser("changes", help="what changed between two lead imports (SPEC §7.2)")
    chg.add_argument("--db", type=Path, help="database file (default: $LEAD_FUNNEL_DB or data/)")
    chg.add_argument("--from", dest="from_import", metavar="IMPORT_ID",
                     help="the earlier lead import (default: the second-to-last)")
    chg.add_argument("--to", dest="to_import", metavar="IMPORT_ID", help="the later lead import (default: the last)")
    chg.add_argument("--grain", choices=("week", "month", "quarter"), default="month",
                     help="period of close_pushed_out (default month)")
    chg.add_argument("--lang", choices=("zh", "en"), default="en")
    chg.add_argument("--json", action="store_true", help="print one JSON object (docs/metrics.md)")

    rep = sub.add_parser("report", help=f"write the monthly report ({t('report.report_title', 'zh')})")
    add_source_and_filter(rep)
    rep.add_argument("--period", default=None,
                     help="2024-03 (month), 2024-Q1 (quarter) or 2024-W10 (week); default: the last whole period "
                          "of --grain before the as-of date, as the dashboard's download opens on")
    rep.add_argument("--grain", choices=("week", "month", "quarter"), default=None,
                     help="period grain (default: from the --period spelling, else month)")
    rep.add_argument("--lang", choices=("zh", "en"), default="zh")
    rep.add_argument("--out", type=Path, default=None, help="FILE.html, FILE.xlsx or FILE.pdf")
    lake = sub.add_parser("export-lake", help="write the base tables as Parquet (leads partitioned by "
                          "acquisition month) for an engine past one machine")
    lake.add_argument("--db", type=Path, help=f"database file (default: $LEAD_FUNNEL_DB or {default_db_path()})")
    lake.add_argument("folder", type=Path, metavar="DIR", help="a new or empty folder")

    pub = sub.add_parser("publish", help="publish a read-only copy of the database for dashboard replicas "
                         "(switches publishing on: every later import publishes again)")
    pub.add_argument("--db", type=Path, help=f"writer database (default: $LEAD_FUNNEL_DB or {default_db_path()})")
    pub.add_argument("--with-sample", action="store_true",
                     help="first import data/sample/ into an empty database, as the dashboard does on its first start")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "import":
            return _cmd_import(args)
        if args.command == "metrics":
            return _cmd_metrics(args)
        if args.command == "changes":
            return _cmd_changes(args)
        if args.command == "publish":
            return _cmd_publish(args)
        if args.command == "export-lake":
            return _cmd_export_lake(args)
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


def _print_import_report(report, out=None, lang: str = "en") -> None:
    """The import's outcome; with ``lang`` zh the notes, warnings and reasons in Chinese (funnel/messages.py),
    the count lines unchanged (tools read them)."""
    from funnel.messages import problem_text, translate
    from funnel.text import en_plural

    out = out or sys.stdout  # looked up at call time, so a redirected stdout is honoured
    say = (lambda text: translate(text, "zh")) if lang == "zh" else en_plural  # "1 lead had", not "1 leads had"
    for f in report.files:
        if f.skipped_unchanged:
            print(f"{f.file_name}: unchanged since its last import, skipped", file=out)
            continue
        print(f"{f.file_name} [{f.format}]: read {f.rows_read}, accepted {f.rows_accepted}, "
              f"rejected {f.rows_rejected}, warned {f.rows_warned}, blank {f.rows_blank}, "
              f"duplicate {f.rows_duplicate}", file=out)
        for note in f.notes:
            print(f"  note: {say(note)}", file=out)
    leads = getattr(report, "leads", None)
    if leads is not None and leads.leads:
        print(f"leads: {leads.leads} ({leads.new} new, {leads.changed} changed, {leads.unchanged} unchanged)", file=out)
    for note in report.notes:
        print(f"note: {say(note)}", file=out)
    for row in report.warnings.head(20).itertuples(index=False):
        problem = problem_text(row.code, row.params, row.problem, "zh") if lang == "zh" else row.problem
        print(f"  warning: {row.file_name} row {row.row_number}, column {row.column_name}: "
              f"{row.raw_value!r}: {problem}", file=out)
    if len(report.warnings) > 20:
        print(f"  ... and {len(report.warnings) - 20} more warnings (Data page, or the import_warnings table)",
              file=out)
    for row in report.rejects.head(20).itertuples(index=False):
        reason = problem_text(row.code, row.params, row.reason, "zh") if lang == "zh" else row.reason
        print(f"  rejected: {row.file_name} row {row.row_number}: {reason}", file=out)
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
        keep_block_memory(con)  # the store is closed, and the process ends, after the import
        report = import_files(con, list(args.files), mapping=mapping, fmt=args.fmt,
                              max_bytes=args.max_mb * 1024 * 1024)
    finally:
        con.close()
    _print_import_report(report, lang=args.lang)
    if args.rejects_out is not None and len(report.rejects):
        from funnel.exports import table_to_csv_bytes

        args.rejects_out.write_bytes(table_to_csv_bytes(report.rejects.drop(columns=["code", "params"])))
        print(f"rejected rows written to {args.rejects_out}")
    if report.all_unchanged:
        return EXIT_OK
    return EXIT_OK if report.rows_accepted > 0 else EXIT_FAILED


def _open_for_reading(args):
    """A connection to --db (or the default file) or, with --input, an in-memory database of those files."""
    if args.input:
        from funnel.store.loader import import_files

        con = connect(None)
        keep_block_memory(con)  # an in-memory database of the command line's own process
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
    try:
        grain, period_day = _review_period(args)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_FAILED
    if (args.engine == "spark") != (args.lake is not None) or (args.engine == "spark" and (args.db or args.input)):
        print("error: --engine spark reads --lake DIR (written by export-lake), and only --engine spark does",
              file=sys.stderr)
        return EXIT_FAILED
    if args.save:  # a bad NAME is said before anything is computed
        from funnel.store.figure_sets import checked_name

        try:
            checked_name(args.save)
        except ValueError as err:
            print(f"error: --save: {err}", file=sys.stderr)
            return EXIT_FAILED
    began = dt.datetime.now(dt.timezone.utc)
    con, stop = _open_spark(args) if args.engine == "spark" else (_open_for_reading(args), None)
    try:
        version = _data_version(con, args)
        ctx = resolve_context(con, _filter(args, args.date_from, args.date_to), as_of=args.as_of, grain=grain,
                              stalled_days=args.stalled_days, skip_rule=args.skip_rule)
        _as_of_notes(con, args.as_of, ctx.as_of)
        started = time.perf_counter()
        figs = figures(con, ctx)
        figs.update(_review_keys(con, ctx, period_day))
        _add_forecast(figs, con, ctx)
        if stop is not None:
            print(f"note: figure set computed on Spark in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    finally:
        con.close()
        if stop is not None:
            stop()
    # what json.dumps(indent=2) writes, faster (funnel/jsontext.py); only when it is written or printed
    text = jsontext.dumps(figs) if args.out is not None or args.json else ""
    if args.out is not None:
        args.out.write_text(text + "\n", encoding="utf-8")
    if args.save is not None:
        from funnel.store.figure_sets import save_figure_set

        saved = save_figure_set(figs, _provenance(args, began, version), name=args.save or None)
        print(f"note: figure set saved to {saved}", file=sys.stderr)
    if args.json:
        print(text)
    else:
        print(render_text(figs, lang=args.lang))
    return EXIT_OK


def _data_version(con, args) -> str | None:
    """The data version the figures were computed from: the lake's manifest (Spark), else the database's."""
    if args.engine == "spark":
        manifest = json.loads((args.lake / "manifest.json").read_text(encoding="utf-8"))
        return manifest.get("data_version")
    rows = con.execute("select value from settings where key = 'data_version'").fetchall()
    return rows[0][0] if rows else None


def _provenance(args, began: dt.datetime, version: str | None) -> dict:
    """Where and when a saved figure set was computed (only in the saved file: stdout and --out stay the
    figures alone, so the two engines' JSON still compare equal)."""
    if args.engine == "spark":
        source = {"lake": str(args.lake.resolve()),
                  "spark_master": _spark_master(args)}
        manifest = json.loads((args.lake / "manifest.json").read_text(encoding="utf-8"))
        source["lake_exported_at"] = manifest.get("exported_at")
    elif args.input:
        source = {"input": [p.name for p in args.input]}
    else:
        source = {"db": str(Path(args.db or default_db_path()).resolve())}
    now = dt.datetime.now(dt.timezone.utc)
    return {"engine": args.engine, **source, "data_version": version, "period": args.period,
            "computed_at": began.isoformat(timespec="seconds"),
            "computed_in_s": round((now - began).total_seconds(), 1)}


def _open_spark(args):
    """(a SparkConnection over --lake with the derived tables built, the session's stop) for metrics --engine
    spark; its timings on stderr (stdout stays the figures)."""
    if not (args.lake / "manifest.json").is_file():
        raise ImportError_(f"no lake at {args.lake}: write one with python -m funnel export-lake --db DB DIR")
    try:
        import pyspark  # noqa: F401  (the Spark extra)

        from funnel.store.spark_engine import open_lake, spark_session
    except ImportError as err:
        raise ImportError_(f"--engine spark needs pyspark and Java 17: pip install -r requirements-spark.txt "
                           f"(docs/spark.md); {err}") from err
    started = time.perf_counter()
    try:
        spark = spark_session(args.spark_master, driver_memory=args.spark_memory)
    except ImportError as err:  # Spark Connect (sc://) without its client packages (grpcio ...)
        raise ImportError_(f"Spark Connect needs pyspark's connect extra: pip install -r requirements-spark.txt "
                           f"(docs/spark.md); {err}") from err
    session_s = time.perf_counter() - started
    try:
        con = open_lake(spark, args.lake)
    except BaseException:
        spark.stop()
        raise
    print(f"note: Spark {_spark_where(args, spark.conf.get('spark.master', None))}: session {session_s:.1f} s, "
          f"lake read and derived tables built in {time.perf_counter() - started - session_s:.1f} s", file=sys.stderr)
    return con, spark.stop


def _spark_master(args) -> str:
    """The Spark master asked for: --spark-master, else $SPARK_REMOTE, else local[*]."""
    return args.spark_master or os.environ.get("SPARK_REMOTE") or SPARK_DEFAULT_MASTER


def _spark_where(args, server_master: str | None) -> str:
    """The Spark the figures came from, for the stderr note: the master asked for, and for Spark Connect
    (``sc://``) also the master the server runs on (``local[2]`` alone would hide the Connect URL)."""
    asked = _spark_master(args)
    if asked.startswith("sc://") and server_master and server_master != asked:
        return f"{asked} (server master {server_master})"
    return asked


def _review_period(args) -> tuple[str, dt.date | None]:
    """(grain, first day of --period or None) for metrics: the grain from --grain, else from the spelling."""
    if args.period is None:
        return args.grain or "month", None
    from funnel.periods import parse_period

    period = parse_period(args.period, args.grain)
    return period.grain, period.start


def _review_keys(con, ctx, period_day) -> dict:
    """metrics --json's review keys (SPEC §7.6): bridge and attribution of --period."""
    from funnel.metrics.figures import review_figures

    return review_figures(con, ctx, period_day)


def _cmd_changes(args) -> int:
    from funnel.metrics import FunnelFilter, resolve_context
    from funnel.metrics.review_changes import changes_json
    from funnel.metrics.render import render_changes

    path = args.db or default_db_path()
    if not Path(path).exists():
        raise ImportError_(f"no database at {path}: import files first (python -m funnel import FILE...)")
    con = connect(path)
    try:
        ctx = resolve_context(con, FunnelFilter(), grain=args.grain)
        known = set(con.execute("select import_id from imports").df()["import_id"])
        for given in (args.from_import, args.to_import):
            if given is not None and given not in known:
                print(f"error: no import {given!r}; `python -m funnel changes` lists the lead imports",
                      file=sys.stderr)
                return EXIT_FAILED
        if (args.from_import is None) != (args.to_import is None):
            from funnel.metrics.review_changes import lead_import_list

            ids = list(lead_import_list(con)["import_id"])
            if args.from_import is None:  # only --to: compare with the lead import before it
                before = ids[:ids.index(args.to_import)] if args.to_import in ids else []
                args.from_import = before[-1] if before else None
            else:  # only --from: compare with the last lead import
                args.to_import = ids[-1] if ids else None
        out = changes_json(con, ctx, args.from_import, args.to_import)
        if args.from_import is None and args.to_import is None:
            out["imports"] = _lead_import_rows(con)
    finally:
        con.close()
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        print(render_changes(out, lang=args.lang))
    return EXIT_OK


def _lead_import_rows(con) -> list[dict]:
    from funnel.metrics._common import records
    from funnel.metrics.review_changes import lead_import_list

    return records(lead_import_list(con))


def _add_forecast(figs: dict, con, ctx) -> None:
    """SPEC §7.4–7.5's keys (win_curve, cohort_triangle, forecast, backtest, backtest_mae), added beside the
    §5 figures; existing keys are never renamed or dropped."""
    from funnel.metrics.figures import forecast_figures

    figs.update(forecast_figures(con, ctx))


def _as_of_notes(con, given, as_of) -> None:
    """On stderr (stdout stays the figures): stray dates left out of the default as-of date, or a given
    as-of date outside the data (the dashboard shows the same warnings)."""
    from funnel.metrics.context import as_of_outside_data, data_end

    end = data_end(con)
    if given is None and end.ignored:
        print(f"note: {end.ignored} dates lie far beyond the rest of the data (latest {end.latest}); the default "
              f"as-of date is {end.as_of}", file=sys.stderr)
    where = as_of_outside_data(as_of, end) if given is not None else None
    if where == "before":
        print(f"warning: --as-of {as_of} is before the first date in the data ({end.first})", file=sys.stderr)
    elif where == "after":
        print(f"warning: --as-of {as_of} is long after the latest date in the data ({end.as_of}); nearly every "
              "open lead will show as stalled", file=sys.stderr)


def _cmd_report(args) -> int:
    from funnel.metrics import resolve_context
    from funnel.report import run_report

    con = _open_for_reading(args)
    try:
        ctx = resolve_context(con, _filter(args), as_of=args.as_of, stalled_days=args.stalled_days,
                              skip_rule=args.skip_rule)
        period = args.period
        if period is None:  # the last whole period, as the Overview's report download opens on
            from funnel.periods import review_period

            period = review_period(ctx.as_of, args.grain or "month").label
            print(f"note: no --period given: the last whole {args.grain or 'month'} before the as-of date "
                  f"{ctx.as_of}, {period}", file=sys.stderr)
        out = args.out or Path(f"lead-funnel-report-{period}.html")
        written = run_report(con, ctx, period, args.grain, args.lang, out)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        con.close()
    print(f"report written to {written}")
    return EXIT_OK


def _cmd_publish(args) -> int:
    """Create the publish folder of the writer database and publish its current state (docs/deploy.md)."""
    from funnel.store.transaction import WRITE_LOCK
    from funnel.store.publish import enable_publishing, latest, publish

    path = args.db or default_db_path()
    folder = enable_publishing(path)
    con = connect(path)
    try:
        if args.with_sample:
            from funnel.store.bootstrap import ensure_sample_data

            ensure_sample_data(con)  # an import: publishes by itself
        with WRITE_LOCK:
            version = con.execute("select value from settings where key = 'data_version'").fetchall()[0][0]
            current = latest(folder)
            info = current if current is not None and current.data_version == version else publish(con, folder)
    finally:
        con.close()
    print(f"published {info.path} (data version {info.data_version})")
    return EXIT_OK


def _cmd_export_lake(args) -> int:
    """Export the base tables as Parquet. While the dashboard holds the database, the newest published copy
    is exported instead, when there is one (docs/deploy.md)."""
    from funnel.store.lake import LakeError, export_lake
    from funnel.store.publish import latest, publish_dir_for

    path = args.db or default_db_path()
    if not Path(path).exists():
        print(f"error: no database at {path}", file=sys.stderr)
        return EXIT_FAILED
    try:
        con = connect(path, read_only=True)
    except StoreBusyError:
        copy = latest(publish_dir_for(path))
        if copy is None:
            raise
        print(f"the database is in use: exporting its newest published copy ({copy.published_at})")
        con = connect(copy.path, read_only=True)
    try:
        manifest = export_lake(con, args.folder)
    except LakeError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        con.close()
    rows = ", ".join(f"{name} {count:,}" for name, count in manifest["tables"].items() if count)
    print(f"wrote {args.folder} ({rows})")
    return EXIT_OK
