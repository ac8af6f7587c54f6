"""The dbt project as Dagster assets: one step runs `dbt build` for the run's partition window;
dbt tests surface as asset checks; sources map to the raw ingest assets (lineage unbroken)."""

import json
import os
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from pipelines.automation import DUCKDB_POOL, partition_window, window_vars
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


@dbt_assets(
    manifest=MANIFEST_PATH,
    dagster_dbt_translator=Translator(),
    pool=DUCKDB_POOL,
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    start, end = partition_window(context)
    # dbt runs as a subprocess and finds the warehouse through its profile's env_var.
    os.environ["BTCFLOWS_WAREHOUSE"] = warehouse.warehouse_path
    yield from dbt.cli(["build", "--vars", json.dumps(window_vars(start, end))], context=context).stream()


def dbt_resource() -> DbtCliResource:
    from pipelines.dbt_manifest import dbt_executable

    return DbtCliResource(project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR),
                          dbt_executable=dbt_executable())
