"""The marts sensor: after new raw partitions, one refresh_marts_job run over their range."""
from __future__ import annotations

import json
import os

import dagster as dg

from pipelines.jobs import refresh_marts_job
from pipelines.run_window import RANGE_END_TAG, RANGE_START_TAG

# Any mart will do: a run that rebuilt one rebuilt them all (one dbt build step).
MART_PROBE_KEY = dg.AssetKey(["marts", "fct_daily_snapshot_4pm_et"])
# How often the daemon evaluates the sensor (at least every 5 s, the daemon's own loop).
MARTS_SENSOR_INTERVAL_ENV = "BTCFLOWS_MARTS_SENSOR_INTERVAL_S"
DEFAULT_INTERVAL_S = 120


def raw_asset_keys() -> list[dg.AssetKey]:
    from pipelines.datasets import DATASETS

    return [dg.AssetKey(["raw", name]) for name in DATASETS]


@dg.sensor(
    job=refresh_marts_job,
    minimum_interval_seconds=int(os.environ.get(MARTS_SENSOR_INTERVAL_ENV) or DEFAULT_INTERVAL_S),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Rebuilds the marts and the report after new raw partitions: collects raw/* materializations since "
        "the last tick (skipping runs that already rebuilt the marts, such as materialize_all) and requests "
        "one refresh_marts_job run over the range of their partitions (or bulk windows). Running by default: "
        "it fetches nothing, it follows the ingest runs (schedules, the UI)."
    ),
)
def marts_after_raw_sensor(context: dg.SensorEvaluationContext):
    cursor = json.loads(context.cursor) if context.cursor else {}
    instance = context.instance
    mart_runs = {r.run_id for r in instance.fetch_materializations(MART_PROBE_KEY, limit=200).records}
    days: set[str] = set()
    for key in raw_asset_keys():
        name = key.to_user_string()
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, after_storage_id=cursor.get(name)), limit=1000, ascending=True
        ).records
        for record in records:
            cursor[name] = max(cursor.get(name) or 0, record.storage_id)
            if not (record.run_id and record.run_id in mart_runs):
                days.update(_window_of(record))
    context.update_cursor(json.dumps(cursor, sort_keys=True))
    if not days:
        return dg.SkipReason("no new raw partitions since the last tick")
    start, end = min(days), max(days)
    return dg.RunRequest(
        run_key=f"marts:{start}:{end}:{max(v for v in cursor.values() if v)}",
        tags={RANGE_START_TAG: start, RANGE_END_TAG: end},
    )


def _window_of(record) -> tuple[str, ...]:
    """First and last day a raw materialization wrote: its partition, or a bulk run's window."""
    if record.partition_key:
        return (record.partition_key,)
    window = record.asset_materialization.metadata.get("window") if record.asset_materialization else None
    return tuple(window.value.split("..")) if window is not None else ()


sensors = [marts_after_raw_sensor]
