"""Dagster resources: the warehouse, the archive, and how ingest gets its payloads (mode).
Configured from env (BTCFLOWS_WAREHOUSE, BTCFLOWS_ARCHIVE, BTCFLOWS_MODE, BTCFLOWS_FILES_DIR)."""
from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import dagster as dg

from pipelines.archive import Archive
from pipelines.config import paths_from_env
from pipelines.warehouse import Warehouse

MODES = ("replay", "live", "demo", "files")


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB file and the payload archive (absolute paths)."""

    warehouse_path: str
    archive_path: str

    @classmethod
    def from_env(cls) -> WarehouseResource:
        paths = paths_from_env()
        return cls(warehouse_path=str(paths.warehouse), archive_path=str(paths.archive))

    @property
    def warehouse(self) -> Warehouse:
        return Warehouse(Path(self.warehouse_path))

    @property
    def archive(self) -> Archive:
        return Archive(Path(self.archive_path))


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
