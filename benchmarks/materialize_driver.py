"""One `run_materialization` call (the `materialize_all` job) in its own process (the benchmark times
this whole process).

Single-run backfill of a simulated scenario of any size (demo mode: render the payloads for the
window into the archive, replay them, build every table):

    python benchmarks/materialize_driver.py --start 2024-01-01 --end 2025-12-31 --crash-day 2025-02-27

`--archive-only` materializes only the archive assets (renders payloads, no raw tables, no dbt):
used to place a "new day" in the archive before timing its replay.
`--run-start/--run-end` (default: the scenario window) set the partitions of the run.
Warehouse and archive come from BTCFLOWS_WAREHOUSE / BTCFLOWS_ARCHIVE.
"""
from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--start", required=True)
    ap.add_argument("--end", required=True)
    ap.add_argument("--crash-day", required=True)
    ap.add_argument("--run-start")
    ap.add_argument("--run-end")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--archive-only", action="store_true")
    args = ap.parse_args()

    import dagster as dg

    from pipelines.cli import run_materialization

    overrides = {"demo_seed": args.seed, "demo_start": args.start, "demo_end": args.end,
                 "demo_crash_day": args.crash_day}
    run_start = date.fromisoformat(args.run_start or args.start)
    run_end = date.fromisoformat(args.run_end or args.end)
    selection = None
    if args.archive_only:
        from pipelines import sources

        selection = [dg.AssetKey(["archive", name]) for name in sources.names()]
    run_materialization("demo", run_start, run_end, ingest_overrides=overrides, asset_selection=selection)


if __name__ == "__main__":
    main()
