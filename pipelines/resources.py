"""Dagster resources: the warehouse, the archive, how ingest gets its payloads (mode), and where
Great Expectations runs. Configured from env (BTCFLOWS_WAREHOUSE, BTCFLOWS_ARCHIVE, BTCFLOWS_MODE,
BTCFLOWS_FILES_DIR) and, per run, by run config (resources.ingest.config.mode, ...)."""
from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import dagster as dg

from pipelines.archive import Archive
from pipelines.config import paths_from_env
from pipelines.runs import gx_worker
from pipelines.warehouse import Warehouse, WarehouseLocked

MODES = ("replay", "live", "demo", "files")


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB file and the payload archive. Empty paths (the Definitions' default) are read from
    BTCFLOWS_WAREHOUSE and BTCFLOWS_ARCHIVE (or their defaults) when the run uses them, in the run's
    own process: a code location loaded once serves runs of whatever warehouse their environment
    names (in tests, one process runs many)."""

    warehouse_path: str = ""
    archive_path: str = ""

    @property
    def warehouse_file(self) -> str:
        return str(Path(self.warehouse_path).resolve()) if self.warehouse_path else str(paths_from_env().warehouse)

    @property
    def warehouse(self) -> Warehouse:
        return Warehouse(Path(self.warehouse_file))

    @property
    def archive(self) -> Archive:
        return Archive(Path(self.archive_path).resolve() if self.archive_path else paths_from_env().archive)


class IngestSettings(dg.ConfigurableResource):
    """Where raw rows come from in this run.

    replay: parse what the archive holds (no network).
    live:   fetch every source for the window, archive each response, then replay.
    demo:   render the simulator's payloads for the window into the archive, then replay.
    files:  import canonical CSVs `<files_dir>/<dataset>.csv` (btcflows import, pipelines/imports.py):
            the rows each file brings are added or revised (`replace`: the file's days are replaced);
            `funds` declares etf_flows tickers beyond pipelines/funds.py.
    """

    mode: str = "replay"
    files_dir: str = ""
    replace: bool = False
    funds: list[str] = []  # noqa: RUF012 (a pydantic field: each resource gets its own copy)
    demo_seed: int = 7
    demo_start: str = "2025-10-01"
    demo_end: str = "2026-03-31"
    demo_crash_day: str = "2026-02-05"
    allow_mixed: bool = False

    @classmethod
    def from_env(cls) -> IngestSettings:
        mode = os.environ.get("BTCFLOWS_MODE", "replay")
        if mode not in MODES:
            raise ValueError(f"BTCFLOWS_MODE={mode!r}: expected one of {', '.join(MODES)}")
        return cls(mode=mode, files_dir=os.environ.get("BTCFLOWS_FILES_DIR", ""))

    @property
    def demo_window(self) -> tuple[date, date, date]:
        """The simulated scenario's first and last day, and its crash day."""
        return (date.fromisoformat(self.demo_start), date.fromisoformat(self.demo_end),
                date.fromisoformat(self.demo_crash_day))

    @property
    def demo_run_window(self) -> tuple[date, date]:
        """The partitions a demo run archives and materializes: the scenario plus the days on which
        its last trade dates are still being reported (flows on T+1, CFTC on the Friday)."""
        from pipelines.demo.simulate import REPORTING_TAIL_DAYS

        start, end, _ = self.demo_window
        return start, end + timedelta(days=REPORTING_TAIL_DAYS)


class GreatExpectationsWorker(dg.ConfigurableResource):
    """Great Expectations in a second process for the length of a run (pipelines/runs/gx_worker.py):
    started when the run starts, before its first step, so GX is imported on the other core while
    the run ingests; each raw asset hands it the window it wrote, the blocking check collects the
    outcome. `separate_process: false` validates in the run's own process instead (same suites,
    same outcomes). The worker starts with multiprocessing's `spawn`: like any code that does, a
    script that runs jobs itself needs the `if __name__ == "__main__":` guard."""

    separate_process: bool = True

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        if self.separate_process:
            gx_worker.start()

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        gx_worker.stop()

    def validate_ahead(self, warehouse: Warehouse, dataset: str, start: date, end: date) -> None:
        """Start validating the window just written, when a worker runs (best effort: if another
        process holds the file, the check reads and validates later)."""
        if not gx_worker.running():
            return
        from pipelines.checks.raw_checks import read_window

        try:
            gx_worker.validate_ahead(dataset, start, end, *read_window(warehouse, dataset, start, end, wait_s=0))
        except WarehouseLocked:
            pass

    def outcome(self, warehouse: Warehouse, dataset: str, start: date, end: date):
        """The suite's outcome on the window: validated ahead, or now."""
        outcome = gx_worker.outcome_ahead(dataset, start, end)
        if outcome is None:
            from pipelines.checks.raw_checks import read_window

            frame, history = read_window(warehouse, dataset, start, end)
            outcome = gx_worker.validate(dataset, frame, history=history)
        return outcome
