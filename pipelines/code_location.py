"""The one Definitions object of the btcflows code location, assembled from small modules (loaded
through pipelines/definitions.py)."""
from __future__ import annotations

import dagster as dg

from pipelines.assets.archive import archive_assets
from pipelines.assets.dbt import dbt_models, dbt_resource
from pipelines.assets.raw import raw_assets, reference_tables
from pipelines.assets.report import report
from pipelines.checks.raw_checks import build_freshness_sensor, freshness_checks, raw_quality_checks
from pipelines.jobs import WAREHOUSE_EXECUTOR, jobs
from pipelines.resources import GreatExpectationsWorker, IngestSettings, WarehouseResource
from pipelines.run_log import COMMAND_LOGGER, command_logger
from pipelines.schedules import schedules
from pipelines.sensors import sensors

all_assets = [*archive_assets(), *raw_assets(), *reference_tables, dbt_models, report]


def resources() -> dict:
    warehouse = WarehouseResource()
    return {
        "warehouse": warehouse,
        "ingest": IngestSettings.from_env(),
        "great_expectations": GreatExpectationsWorker(),
        "dbt": dbt_resource(warehouse),
    }


defs = dg.Definitions(
    assets=all_assets,
    asset_checks=[*raw_quality_checks, *freshness_checks],
    jobs=jobs,
    schedules=schedules,
    sensors=[*sensors, build_freshness_sensor()],
    resources=resources(),
    # the executor of every job and of the UI's ad-hoc asset runs (Materialize)
    executor=WAREHOUSE_EXECUTOR,
    # console: runs from the UI, schedules and sensors; a `btcflows` command selects its own
    loggers={"console": dg.colored_console_logger, COMMAND_LOGGER: command_logger},
)
