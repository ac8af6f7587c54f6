"""`btcflows`: the command line. Sub-commands: demo, materialize, import, parse, query, archive, report,
reconcile, instance."""
from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import time
from datetime import date
from pathlib import Path

CRASH_WINDOW_SQL = """
select trade_date, data_mode, btc_usd_4pm, btc_return, ibit_close, ibit_return,
       ibit_dollar_volume, ibit_flow_usd, total_etf_flow_usd,
       ibit_put_contracts, ibit_call_contracts, cme_front_basis_annualized,
       cme_open_interest, binance_open_interest_usd, dvol
from marts.fct_daily_snapshot_4pm_et
where trade_date between ? and ?
order by trade_date
"""


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _die(msg: str, code: int = 1) -> NoReturn:  # noqa: F821
    print(f"btcflows: {msg}", file=sys.stderr)
    raise SystemExit(code)


# -- materialization ------------------------------------------------------------------------
def run_materialization(mode: str, start: date, end: date, files_dir: str = "", allow_mixed: bool = False,
                        ingest_overrides: dict | None = None, asset_selection=None, full_refresh: bool = False):
    """Run the `materialize_all` job of the Definitions over [start, end] (archive -> raw -> checks ->
    dbt -> report), in this process, recorded in the warehouse's Dagster instance; exits 1 with the
    failed steps and checks named when it fails."""
    _quiet_library_warnings()
    import dagster as dg

    from pipelines.assets.dbt import FULL_REFRESH_TAG
    from pipelines.config import paths_from_env
    from pipelines.run_window import is_bulk, window_tags
    from pipelines.runs.execute import MATERIALIZE_JOB, execute_job
    from pipelines.runs.instance import dagster_home

    t0 = time.monotonic()
    ingest = {"mode": mode, "files_dir": files_dir, "allow_mixed": allow_mixed, **(ingest_overrides or {})}
    log_path = paths_from_env().warehouse.parent / "logs" / "last_run.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    bulk = is_bulk(window_tags(start, end))
    _say(f"run {start}..{end} (mode {mode}{', one bulk run' if bulk else ''}); dbt's full log: {log_path}; "
         f"Dagster instance: {dagster_home()}")
    # dagster-dbt echoes every dbt event on stdout; keep stdout for results and send those to a file.
    with open(log_path, "w") as dbt_log, contextlib.redirect_stdout(dbt_log):
        result = execute_job(MATERIALIZE_JOB, start, end, ingest=ingest, asset_selection=asset_selection,
                             tags={FULL_REFRESH_TAG: "true"} if full_refresh else None)

    failed_checks = []
    for check in result.get_asset_check_evaluations():
        if check.passed:
            continue
        blocking = check.severity == dg.AssetCheckSeverity.ERROR
        failed_checks += [check] if blocking else []
        rows = check.metadata.get("dagster_dbt/failed_row_count") or check.metadata.get("failing_row_count")
        _say(f"check {check.asset_key.to_user_string()}:{check.check_name} "
             f"{'FAILED' if blocking else 'warns'}" + (f" ({rows.value} row(s))" if rows is not None else ""))
    if not result.success or failed_checks:
        from pipelines.run_log import failure_report

        _say(f"run {result.run_id} failed: its events and logs are in the Dagster instance {dagster_home()} (make dev)")
        _die(failure_report(result, start, end))
    _say(f"materialized {start}..{end} in {time.monotonic() - t0:.1f}s (run {result.run_id})")
    return result


PERCENT_COLUMNS = ("btc_return", "ibit_return", "cme_front_basis_annualized")
MILLIONS_COLUMNS = ("ibit_dollar_volume", "ibit_flow_usd", "total_etf_flow_usd", "binance_open_interest_usd")


def readable(df):
    """The crash-window frame for a terminal: percentages, US$ millions, whole contracts."""
    out = df.copy()
    for col in out.columns:
        if col in PERCENT_COLUMNS:
            out[col] = (out[col] * 100).round(2)
        elif col in MILLIONS_COLUMNS:
            out[col] = (out[col] / 1e6).round(1)
        elif col.endswith(("_contracts", "open_interest")):
            out[col] = out[col].round(0).astype("Int64")
        elif out[col].dtype.kind == "f":
            out[col] = out[col].round(2)
    return out.rename(columns={c: c + "_pct" for c in PERCENT_COLUMNS if c in out}
                      | {c: c.replace("_usd", "") + "_usd_m" for c in MILLIONS_COLUMNS if c in out})


def print_frame(df, as_csv: bool = False) -> None:
    import pandas as pd

    if as_csv:
        df.to_csv(sys.stdout, index=False)
        return
    with pd.option_context("display.max_rows", 500, "display.max_columns", 60, "display.width", 250):
        print(df.to_string(index=False) if len(df) else "(no rows)")


# -- sub-commands ------------------------------------------------------------------------------
def cmd_demo(args) -> None:
    from pipelines.config import paths_from_env
    from pipelines.resources import IngestSettings
    from pipelines.warehouse import Warehouse

    settings = IngestSettings(mode="demo", demo_seed=args.seed)
    start, end, crash = settings.demo_window
    run_start, run_end = settings.demo_run_window
    paths = paths_from_env()
    _say(f"demo: simulated scenario (seed {args.seed}) {start}..{end}, crash day {crash}")
    _say(f"demo: warehouse {paths.warehouse}, archive {paths.archive}")
    run_materialization("demo", run_start, run_end, ingest_overrides={"demo_seed": args.seed})
    with Warehouse(paths.warehouse).reader() as con:
        from datetime import timedelta

        df = con.execute(CRASH_WINDOW_SQL, [crash - timedelta(days=7), crash + timedelta(days=5)]).df()
    print(f"SIMULATED DATA (seed {args.seed}) — crash window of marts.fct_daily_snapshot_4pm_et, "
          "4 pm New York; returns and basis in %, money in US$ m")
    print_frame(readable(df))
    print(f"\nEvery table: {paths.warehouse} (btcflows query \"select ...\"); report: {paths.reports / 'report.html'}")


def cmd_materialize(args) -> None:
    if args.mode == "files" and not args.files:
        _die("--mode files needs --files DIR")
    if args.mode == "files":
        return cmd_import(argparse.Namespace(dir=args.files, allow_mixed=args.allow_mixed,
                                             full_refresh=args.full_refresh))
    if not args.start or not args.end:
        _die("--start and --end are required (YYYY-MM-DD)")
    start, end = date.fromisoformat(args.start), date.fromisoformat(args.end)
    run_materialization(args.mode, start, end, allow_mixed=args.allow_mixed, full_refresh=args.full_refresh)


def cmd_import(args) -> None:
    from pipelines.config import paths_from_env
    from pipelines.files import ImportValidationError, validate_dir

    directory = Path(args.dir)
    funds = getattr(args, "fund", None) or []
    replace = getattr(args, "replace", False)
    try:
        summary = validate_dir(directory, progress=_say, funds=funds)
    except ImportValidationError as exc:
        print(str(exc), file=sys.stderr)
        raise SystemExit(1)
    if not summary.datasets:
        _die(f"{directory}: no canonical <dataset>.csv files found")
    if replace:
        _announce_replacement(summary, paths_from_env().warehouse)
    run_materialization("files", summary.start, summary.end, files_dir=str(directory.resolve()),
                        allow_mixed=getattr(args, "allow_mixed", False),
                        ingest_overrides={"replace": replace, "funds": funds},
                        full_refresh=getattr(args, "full_refresh", False))
    print(summary.render())


def _announce_replacement(summary, warehouse_path: Path) -> None:
    """--replace deletes rows: say which, per dataset, before anything is written."""
    from pipelines.imports import rows_held
    from pipelines.warehouse import Warehouse, WarehouseLocked

    for s in summary.datasets.values():
        try:
            held = rows_held(Warehouse(warehouse_path), s.dataset, s.first, s.last)
        except WarehouseLocked:
            held = None
        now = "" if held is None else f"the {held} row(s) it holds there "
        _say(f"--replace: raw.{s.dataset} {s.first}..{s.last}: {now}will be replaced by the {s.rows} row(s) of {s.file}")


def cmd_parse(args) -> None:
    from pipelines import sources
    from pipelines.archive import PayloadMeta
    from pipelines.canonical_csv import write_canonical_csv
    from pipelines.sources.base import ParseError

    try:
        module = sources.get(args.source)
    except KeyError as exc:
        _die(str(exc), 2)
    path = Path(args.file)
    if not path.is_file():
        _die(f"{args.source}: no such file {path}", 2)
    meta_path = path.with_name(path.name + ".meta.json")
    if meta_path.exists():
        import json

        meta = PayloadMeta.from_dict(json.loads(meta_path.read_text()))
        if not meta.fetch_ok:
            _die(f"{args.source}: {path} is a response of a failed fetch, kept for diagnosis, not data "
                 f"(HTTP {meta.http_status}): {meta.fetch_error}")
    else:
        meta = PayloadMeta(source=args.source, endpoint=args.endpoint or "", url="", params=dict(p.split("=", 1) for p in args.param),
                           partition=args.partition or "")
    try:
        parsed = module.parse(path.read_bytes(), meta)
    except ParseError as exc:
        _die(str(exc.with_file(str(path))))
    except Exception as exc:  # noqa: BLE001 - one clear line, not a traceback
        _die(f"{args.source}: cannot parse payload in {path}: {type(exc).__name__}: {exc}")
    print(f"# dataset: {parsed.dataset} (save as {parsed.dataset}.csv for btcflows import)", file=sys.stderr)
    write_canonical_csv(parsed.dataset, parsed.rows, sys.stdout)


def cmd_query(args) -> None:
    import duckdb

    from pipelines.config import paths_from_env
    from pipelines.query import WarehouseLocked, refusal, run_query

    try:
        df = run_query(paths_from_env().warehouse, args.sql)
    except (WarehouseLocked, FileNotFoundError) as exc:
        _die(str(exc))
    except duckdb.Error as exc:
        _die(refusal(exc))
    print_frame(df, as_csv=args.csv)


def cmd_archive(args) -> None:
    from pipelines.archive import Archive, ArchiveError
    from pipelines.config import paths_from_env
    from pipelines.ingest import parse_payload
    from pipelines.sources.base import ParseError

    archive = Archive(paths_from_env().archive)
    bad = failed = 0
    broken: list[str] = []
    for stored in archive.list(args.source, problems=broken, include_failed=True):
        if stored.failed_fetch:
            failed += 1
            if args.bad:
                print(f"{stored.meta.partition}  {stored.path}\n    failed fetch (HTTP {stored.meta.http_status}), "
                      f"kept for diagnosis: {stored.meta.fetch_error}")
            else:
                print(f"{stored.meta.source:16} {stored.meta.partition}  {'FAILED':9} {stored.meta.endpoint:14} {stored.path}")
        elif args.bad:
            try:
                parse_payload(stored)
            except (ParseError, ArchiveError) as exc:
                bad += 1
                print(f"{stored.meta.partition}  {stored.path}\n    {exc}")
        else:
            print(f"{stored.meta.source:16} {stored.meta.partition}  {stored.meta.mode:9} {stored.meta.endpoint:14} {stored.path}")
    if args.bad:
        _say(f"{bad} payload(s) in {archive.root} do not parse; {failed} response(s) of failed fetches")
    elif failed:
        _say(f"{failed} response(s) of failed fetches (FAILED; `btcflows archive --bad` says why)")
    if broken:  # listed last, after every payload that could be read
        for problem in broken:
            _say(f"btcflows: {problem}")
        raise SystemExit(1)


def cmd_report(args) -> None:
    from pipelines.config import paths_from_env
    from pipelines.report import build_report
    from pipelines.warehouse import WarehouseLocked

    paths = paths_from_env()
    try:
        around = date.fromisoformat(args.around) if args.around else None
    except ValueError:
        _die(f"--around {args.around!r}: expected a date YYYY-MM-DD", 2)
    beside = Path(args.beside).expanduser().resolve() if args.beside else None
    if beside is not None and not beside.is_file():
        _die(f"--beside {args.beside}: no warehouse there", 2)
    try:
        report = build_report(paths.warehouse, out_dir=paths.reports, around=around, n_trading_days=args.days,
                              beside=beside)
    except (WarehouseLocked, FileNotFoundError) as exc:
        _die(str(exc))
    if report.banner:
        _say(report.banner.text)
    for chart in report.charts:
        _say(f"  {chart.path.name:32} {'as of ' + chart.data.as_of if chart.has_data else chart.data.reason}")
    print(report.html_path)


def cmd_instance(args) -> None:
    from pipelines.runs.instance import dagster_home, instance

    _quiet_library_warnings()
    with instance():  # its storage created now, before a webserver and a daemon start on it together
        pass
    print(dagster_home())


def cmd_reconcile(args) -> None:
    from pipelines.config import paths_from_env
    from pipelines.reconcile import render
    from pipelines.warehouse import Warehouse, WarehouseLocked

    try:
        with Warehouse(paths_from_env().warehouse).reader() as con:
            document = render(con)
    except (WarehouseLocked, FileNotFoundError) as exc:
        _die(str(exc))
    if args.out:
        Path(args.out).write_text(document)
        _say(f"wrote {args.out}")
    else:
        print(document, end="")


def _quiet_library_warnings() -> None:
    """Dagster's Beta/Preview/Supersession notices are for us, not for the person at the terminal."""
    import warnings

    import dagster as dg

    for category in (dg.BetaWarning, dg.PreviewWarning, dg.SupersessionWarning):
        warnings.filterwarnings("ignore", category=category)
    # A run mixes the partitioned raw assets (single-run backfill policy) with unpartitioned steps.
    warnings.filterwarnings("ignore", message=r"Asset job .* materializes assets with varying")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="btcflows", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="simulate, replay, materialize everything, print the crash window")
    p.add_argument("--seed", type=int, default=7)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("materialize", help="materialize archive -> raw -> marts for a window")
    p.add_argument("--mode", choices=["live", "replay", "files"], default="replay")
    p.add_argument("--start")
    p.add_argument("--end")
    p.add_argument("--files")
    p.add_argument("--allow-mixed", action="store_true", help="allow simulated and real rows in one warehouse")
    p.add_argument("--full-refresh", action="store_true",
                   help="rebuild incremental dbt models whole (once after their logic or columns change)")
    p.set_defaults(func=cmd_materialize)

    p = sub.add_parser("import", help="validate and load canonical CSVs (<dataset>.csv) from DIR")
    p.add_argument("dir")
    p.add_argument("--replace", action="store_true",
                   help="replace each dataset's rows in its file's days (first..last) by the file's rows; "
                        "default: add and revise the rows the files bring, delete nothing")
    p.add_argument("--fund", action="append", default=[], metavar="TICKER",
                   help="declare an etf_flows ticker that pipelines/funds.py does not list (repeatable)")
    p.add_argument("--allow-mixed", action="store_true")
    p.add_argument("--full-refresh", action="store_true", help="rebuild incremental dbt models whole")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("parse", help="parse one payload file and print its canonical rows as CSV (the layout "
                                     "btcflows import reads)")
    p.add_argument("source")
    p.add_argument("file")
    p.add_argument("--endpoint", help="endpoint name when the file has no .meta.json beside it")
    p.add_argument("--partition", help="partition date (YYYY-MM-DD) when the file has no .meta.json")
    p.add_argument("--param", action="append", default=[], help="request parameter k=v (repeatable)")
    p.set_defaults(func=cmd_parse)

    p = sub.add_parser("query", help="run read-only SQL against the warehouse (it reads the warehouse and nothing else)")
    p.add_argument("sql")
    p.add_argument("--csv", action="store_true")
    p.set_defaults(func=cmd_query)

    p = sub.add_parser("archive", help="list archived payloads (--bad: those that do not parse, and the "
                                       "responses of failed fetches)")
    p.add_argument("--source")
    p.add_argument("--bad", action="store_true")
    p.set_defaults(func=cmd_archive)

    p = sub.add_parser("report", help="render the charts (PNG) and the HTML report into <warehouse dir>/reports")
    p.add_argument("--around", help="centre the window on this date (YYYY-MM-DD); default: the last trading days")
    p.add_argument("--days", type=int, default=60, help="trading days in the window (default 60)")
    p.add_argument("--beside", metavar="WAREHOUSE", help="another warehouse (e.g. the demo's, or the real data's) "
                                                       "whose dealer-gamma profile is drawn beside this one's")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("reconcile", help="each claim of the event analysis beside the warehouse's figure and a verdict")
    p.add_argument("--out", help="write the markdown here (e.g. docs/RECONCILIATION.md) instead of printing it")
    p.set_defaults(func=cmd_reconcile)

    p = sub.add_parser("instance", help="print the Dagster instance directory (DAGSTER_HOME) runs of this warehouse "
                                        "record into, creating it (dagster.yaml, storage) on first use")
    p.set_defaults(func=cmd_instance)

    args = parser.parse_args(argv)
    if args.command == "report":
        _quiet_library_warnings()
    args.func(args)


def console_main() -> None:
    """The `btcflows` command: main(), then leave without the interpreter's teardown (freeing the
    modules of dagster, dbt and pandas at exit takes seconds); every file and warehouse connection is
    closed by then (context managers), and the streams are flushed."""
    try:
        main()
        code = 0
    except BrokenPipeError:
        # The reader left early (`btcflows archive | head`): stop quietly, as a Unix tool killed by
        # SIGPIPE would (128 + 13); stdout goes to /dev/null so the flush below cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 141
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if exc.code is not None and not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    console_main()
