"""The dbt project as Dagster assets: one step runs `dbt build` for the run's partition window;
dbt tests surface as asset checks; sources map to the raw ingest assets (lineage unbroken)."""

import os
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets
from packaging import version

from pipelines.automation import DUCKDB_POOL, partition_window, window_env
from pipelines.config import DBT_PROJECT_DIR
from pipelines.dbt_manifest import ensure_manifest
from pipelines.resources import WarehouseResource

MANIFEST_PATH = ensure_manifest()


class Translator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return "raw"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "dbt"


class BtcflowsDbtCliResource(DbtCliResource):
    """dagster-dbt's resource for the dbt installed beside this Python, without two start-up costs
    we get nothing for (~6 s a run here): it asks the dbt executable for its version by running
    `dbt --version` (a second dbt start-up), and it builds an in-process dbt adapter that only its
    row-count and column-metadata helpers use, which our assets do not call."""

    @cached_property
    def _cli_version(self) -> version.Version:
        from dbt.version import __version__

        return version.parse(__version__)

    def _initialize_dbt_core_adapter(self, args: Sequence[str]):
        return None


def dbt_target_path(warehouse_path: str) -> Path:
    """dbt's target directory for one warehouse, beside it (`btcflows.duckdb` -> `btcflows.dbt/`).

    One per warehouse rather than one per run: dbt keeps its partial-parse state there, and that
    state is only valid for the same profile (the warehouse path is part of it)."""
    path = Path(warehouse_path)
    return path.with_name(path.stem + ".dbt")


# Parse-ahead: a `dbt parse` started in another process at the beginning of a CLI run, so that a
# warehouse's first build does not spend ~7 s parsing the project on the critical path (the ingest
# steps before dbt use one core; the parse uses the other). run_dbt waits for it.
_parses_ahead: dict[Path, subprocess.Popen] = {}


def _dbt_env(warehouse_path: str, start: date, end: date) -> dict[str, str]:
    return {"BTCFLOWS_WAREHOUSE": warehouse_path, **window_env(start, end)}


def start_parse_ahead(dbt: DbtCliResource, warehouse_path: str, start: date, end: date) -> None:
    """Start `dbt parse` for this warehouse's target directory. When dbt's parse state there is
    current (the usual case) it confirms so in ~3 s of the other core; when it is missing or stale
    (a new warehouse, a moved one, changed models) the full parse happens here, off the critical path."""
    target = dbt_target_path(warehouse_path)
    if target in _parses_ahead:
        return
    target.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **_dbt_env(warehouse_path, start, end), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    with open(target / "parse_ahead.log", "w") as log:
        _parses_ahead[target] = subprocess.Popen(
            [dbt.dbt_executable, "parse", "--quiet", "--project-dir", dbt.project_dir,
             "--profiles-dir", dbt.profiles_dir, "--target-path", str(target), "--log-path", str(target)],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=dbt.project_dir)


def _wait_for_parse_ahead(target: Path) -> None:
    # Its outcome does not matter: the build parses whatever the parse-ahead did not.
    proc = _parses_ahead.pop(target, None)
    if proc is not None:
        proc.wait()


def stop_parses_ahead() -> None:
    """End parse-aheads no build waited for (a run that failed before dbt)."""
    while _parses_ahead:
        _, proc = _parses_ahead.popitem()
        if proc.poll() is None:
            proc.terminate()
        proc.wait()


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
    # the window. Restored afterwards so later dbt commands in this process do not inherit a window.
    target = dbt_target_path(warehouse.warehouse_path)
    _wait_for_parse_ahead(target)
    with _environment(_dbt_env(warehouse.warehouse_path, start, end)):
        invocation = dbt.cli(args, context=context, target_path=target)
    yield from invocation.stream()


# A run tagged with this ("true") rebuilds incremental models whole (`dbt build --full-refresh`):
# needed once after an incremental model's logic or columns change (`btcflows materialize
# --full-refresh`, or the tag in the UI's launchpad).
FULL_REFRESH_TAG = "btcflows/dbt_full_refresh"


def build_args(run_tags: Mapping[str, str]) -> list[str]:
    return ["build", "--full-refresh"] if run_tags.get(FULL_REFRESH_TAG) == "true" else ["build"]


@dbt_assets(
    manifest=MANIFEST_PATH,
    dagster_dbt_translator=Translator(),
    pool=DUCKDB_POOL,
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    start, end = partition_window(context)
    yield from run_dbt(context, dbt, warehouse, build_args(context.run.tags), start, end)


def dbt_resource() -> DbtCliResource:
    from pipelines.dbt_manifest import dbt_executable

    return BtcflowsDbtCliResource(project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR),
                                  dbt_executable=dbt_executable())
