"""The dbt project as Dagster assets: one step runs `dbt build` for the run's window; dbt tests
surface as asset checks; sources map to the raw ingest assets (lineage unbroken)."""

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from functools import cached_property
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets
from dagster_dbt.errors import DagsterDbtCliRuntimeError
from packaging import version

from pipelines.dbt_project import dbt_env, dbt_file_log_level, dbt_project, dbt_target_path
from pipelines.resources import WarehouseResource
from pipelines.run_window import run_window, window_from_tags
from pipelines.runs.dbt_ahead import ahead_env, dbt_step_executable, start_dbt_ahead, stop_dbt_ahead
from pipelines.runs.instance import DUCKDB_POOL

MANIFEST_PATH = dbt_project().manifest_path
from pipelines.warehouse import WarehouseLocked

CHECKPOINT_WAIT_S = 30.0  # dbt's process may still be closing the file when its command returns
DBT_LOCK_WAIT_S = 60.0


class Translator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return "raw"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "dbt"


class BtcflowsDbtCliResource(DbtCliResource):
    """dagster-dbt's resource for the dbt installed beside this Python, with dbt-ahead: when a run
    that builds dbt starts, it starts a process that imports dbt and parses the project for the
    run's warehouse and window while the run ingests; the dbt step then builds there
    (pipelines/runs/dbt_ahead.py). The same for every run, whoever launched it.

    Without two start-up costs we get nothing for: dagster-dbt asks the dbt executable for its
    version by running `dbt --version` (a second dbt start-up), and it builds an in-process dbt
    adapter that only its row-count and column-metadata helpers use, which our assets do not call."""

    warehouse: WarehouseResource

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        super().setup_for_execution(context)
        window = window_from_tags(context.dagster_run.tags) if context.dagster_run else None
        if window is not None:
            start_dbt_ahead(self.warehouse.warehouse_file, *window)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        stop_dbt_ahead()

    @cached_property
    def _cli_version(self) -> version.Version:
        from dbt.version import __version__

        return version.parse(__version__)

    def _initialize_dbt_core_adapter(self, args: Sequence[str]):
        return None


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource,
            args: list[str], start: date, end: date) -> Iterator:
    # dbt runs as a subprocess started inside dbt.cli() with a copy of this environment: the
    # profile finds the warehouse through BTCFLOWS_WAREHOUSE, the window_start()/window_end() macros
    # the window, btcflows-dbt its dbt-ahead (if the run started one). Restored afterwards
    # so later dbt commands in this process do not inherit a window.
    target = dbt_target_path(warehouse.warehouse_file)
    # dbt fails at once when another process holds the file: wait for it to be free first (up to a
    # minute; another run's dbt build takes seconds), and name the lock if dbt still meets it.
    warehouse.warehouse.checkpoint(wait_s=DBT_LOCK_WAIT_S)
    with _environment({**dbt_env(warehouse.warehouse_file, start, end), **ahead_env(target),
                       "DBT_LOG_LEVEL_FILE": dbt_file_log_level()}):
        invocation = dbt.cli(args, context=context, target_path=target)
    try:
        yield from invocation.stream()
    except DagsterDbtCliRuntimeError as exc:
        raise DbtFailed(dbt_failure(exc, args, invocation.process.returncode, warehouse.warehouse_file)) from exc
    finally:
        checkpoint_after_dbt(context, warehouse)


class DbtFailed(Exception):
    """The dbt command of a run failed (a model, a test, or dbt itself)."""


def dbt_failure(exc: Exception, args: list[str], code: int | None, warehouse_path: str) -> str:
    """One line for a failed dbt command: its first error, or the lock it met."""
    _, _, errors = str(exc).partition("Errors parsed from dbt logs:")
    first = " ".join(errors.strip().split("\n\n", 1)[0].split())  # dagster-dbt joins dbt's messages with blank lines
    if "could not set lock" in errors.lower():
        return (f"dbt could not open the warehouse {warehouse_path}: another process holds its lock "
                "(a second run?); the marts were not rebuilt")
    return f"dbt {args[0]} failed (exit code {code})" + (f": {first}" if first else "") + "; dbt's events are in the run's log"


def checkpoint_after_dbt(context, warehouse: WarehouseResource) -> None:
    """dbt wrote from its own process, which may end without closing DuckDB (dbt-ahead's does):
    its writes can sit in the .wal beside the warehouse. Fold them into the .duckdb file now, in
    every launch path, so that file alone holds the marts whenever no run is active."""
    try:
        warehouse.warehouse.checkpoint(wait_s=CHECKPOINT_WAIT_S)
    except WarehouseLocked as exc:  # another run writes now; its own checkpoint will include these
        context.log.warning(f"warehouse not checkpointed after dbt: {exc}")


# A run tagged with this ("true") rebuilds incremental models whole (`dbt build --full-refresh`):
# needed once after an incremental model's logic or columns change (`btcflows materialize
# --full-refresh`, or the tag in the UI's launchpad).
FULL_REFRESH_TAG = "btcflows/dbt_full_refresh"


def build_args(run_tags: Mapping[str, str]) -> list[str]:
    return ["build", "--full-refresh"] if run_tags.get(FULL_REFRESH_TAG) == "true" else ["build"]


@dbt_assets(
    manifest=MANIFEST_PATH,
    project=dbt_project(),
    dagster_dbt_translator=Translator(),
    pool=DUCKDB_POOL,
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    start, end = run_window(context)
    yield from run_dbt(context, dbt, warehouse, build_args(context.run.tags), start, end)


def dbt_resource(warehouse: WarehouseResource) -> DbtCliResource:
    return BtcflowsDbtCliResource(project_dir=dbt_project(), dbt_executable=dbt_step_executable(), warehouse=warehouse)
