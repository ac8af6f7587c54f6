"""The Dagster instance every run records into: DAGSTER_HOME when it is set, else the instance
beside the warehouse, `<warehouse dir>/dagster_home`. `btcflows` commands, `make dev` and `make
serve` use the same one, so runs, partitions, checks and lineage from every launch path show in
the UI. It is created on first use with the dagster.yaml below (an existing one is never touched).
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dagster import DagsterInstance

# Every step that writes the DuckDB file runs in this pool: DuckDB takes one writer at a time.
DUCKDB_POOL = "duckdb"

DAGSTER_YAML = """\
# The Dagster instance of the btcflows warehouse beside it: `btcflows` runs, `make dev` and
# `make serve` record here. Written by btcflows on first use; yours to edit (it is never rewritten).
concurrency:
  pools:
    # The pool "duckdb" holds every step that writes the warehouse (DuckDB takes one writer at a
    # time). granularity run: the queue launches a run only while no other run of that pool is in
    # progress, so two runs never wait on each other's write lock.
    granularity: run
    default_limit: 1
  runs:
    max_concurrent_runs: 4
run_queue:
  dequeue_interval_seconds: 2
# Dagster's SQLite event log, keeping its connections open (pipelines/runs/event_log.py).
event_log_storage:
  module: pipelines.runs.event_log
  class: PooledSqliteEventLogStorage
  config:
    instance_dir:
      env: DAGSTER_HOME
telemetry:
  enabled: false
"""


def dagster_home() -> Path:
    """DAGSTER_HOME if set, else `<warehouse dir>/dagster_home`."""
    if os.environ.get("DAGSTER_HOME"):
        return Path(os.environ["DAGSTER_HOME"]).expanduser().resolve()
    from pipelines.config import paths_from_env

    return paths_from_env().warehouse.parent / "dagster_home"


def ensure_dagster_home(home: Path | None = None) -> Path:
    """The instance directory, created with its dagster.yaml when it has none."""
    home = home or dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    return home


@contextmanager
def instance() -> Iterator[DagsterInstance]:
    """The persistent instance, open for the block. Its dagster.yaml reads DAGSTER_HOME (set in
    `make dev`, `make serve` and the processes they start): it is set to the instance's directory for
    the block, for this process and any it starts (a run's step processes load the instance again)."""
    import dagster as dg

    home = ensure_dagster_home()
    saved = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    try:
        with dg.DagsterInstance.from_config(str(home)) as opened:
            yield opened
    finally:
        if saved is None:
            del os.environ["DAGSTER_HOME"]
        else:
            os.environ["DAGSTER_HOME"] = saved
