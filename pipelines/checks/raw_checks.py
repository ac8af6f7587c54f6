"""Blocking Dagster asset checks on the raw tables (the GX suites of expectations.py), and
freshness checks on the sources.

`raw_quality_checks`: one blocking check per `raw/<dataset>`, run once per run. It reads
the run's partition window of `raw.<dataset>` read-only (after the asset's writer has closed: the
check runs in the same "duckdb" pool, so no writer of this code location is open meanwhile), runs
the suite, and on failure names the failing rows in its metadata. Severity ERROR + blocking: dbt
models downstream of a failing raw table are not materialized in that run.

`freshness_checks`: per fetched source (`archive/<source>`; not the files `btcflows import` brings), at its
cadence (FRESHNESS below).
"""

import json
import time
from datetime import date, timedelta

import dagster as dg
import pandas as pd

from pipelines import sources
from pipelines.datasets import DATASETS, LINEAGE_COLUMNS
from pipelines.partitions import TIMEZONE
from pipelines.resources import GreatExpectationsWorker, WarehouseResource
from pipelines.run_window import run_window
from pipelines.runs.instance import DUCKDB_POOL
from pipelines.warehouse import RAW_SCHEMA, Warehouse, WarehouseLocked

CHECK_NAME = "great_expectations"
READ_WAIT_S = 60.0  # how long a check waits for another process's writer before failing
HISTORY_DAYS = 10  # daily_bars: earlier bars read as the previous close of a return


# -- reading -----------------------------------------------------------------------------------
def read_window(warehouse: Warehouse, dataset: str, start: date, end: date,
                wait_s: float = READ_WAIT_S) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Rows of raw.<dataset> in [start, end] (and, for daily_bars, the HISTORY_DAYS before), read
    through a read-only connection; waits up to `wait_s` while another process writes."""
    ds = DATASETS[dataset]
    cols = ", ".join(f'"{c}"' for c in ds.column_names + [c for c in LINEAGE_COLUMNS])
    table = f"{RAW_SCHEMA}.{dataset}"
    order = ", ".join(f'"{k}"' for k in ds.key)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            with warehouse.reader() as con:
                frame = con.execute(f"select {cols} from {table} where _partition between ? and ? order by {order}",
                                    [start, end]).df()
                history = None
                if dataset == "daily_bars":
                    history = con.execute(
                        f"select {cols} from {table} where _partition >= ? and _partition < ? order by {order}",
                        [start - timedelta(days=HISTORY_DAYS), start]).df()
                return frame, history
        except WarehouseLocked:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.25)


def _jsonable(value):
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, (pd.Timestamp, date)):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _failing_rows_table(outcome) -> str:
    lines = ["| expectation | column | failing rows | first rows (key and value) |", "|---|---|---|---|"]
    for f in outcome.failures:
        rows = "<br>".join(", ".join(f"{k}={_jsonable(v)}" for k, v in r.items()) for r in f.rows[:10])
        lines.append(f"| {f.expectation} | {f.column} | {f.unexpected_count} | {rows or f.detail} |")
    return "\n".join(lines)


def check_result(dataset: str, outcome, start: date, end: date) -> dg.AssetCheckResult:
    failures = [
        {"expectation": f.expectation, "column": f.column, "unexpected_count": f.unexpected_count,
         "rows": [{k: _jsonable(v) for k, v in r.items()} for r in f.rows], "detail": f.detail}
        for f in outcome.failures
    ]
    metadata = {
        "window": f"{start}..{end}",
        "rows_checked": outcome.rows_checked,
        "expectations": outcome.expectations,
        "failed_expectations": len(outcome.failures),
        "elapsed_s": round(outcome.elapsed_s, 3),
    }
    if failures:
        metadata["failures"] = dg.MetadataValue.json(json.loads(json.dumps(failures, default=str)))
        metadata["failing_rows"] = dg.MetadataValue.md(_failing_rows_table(outcome))
        metadata["summary"] = outcome.summary()
    return dg.AssetCheckResult(passed=outcome.passed, severity=dg.AssetCheckSeverity.ERROR, metadata=metadata,
                               description=None if outcome.passed else outcome.summary()[:1000])


# -- the checks ----------------------------------------------------------------------------------
def build_raw_check(dataset: str) -> dg.AssetChecksDefinition:
    ds = DATASETS[dataset]

    @dg.asset_check(
        asset=dg.AssetKey(["raw", dataset]),
        name=CHECK_NAME,
        blocking=True,
        pool=DUCKDB_POOL,
        description=(f"Great Expectations suite on the run's window of raw.{dataset}: types, key "
                     f"({', '.join(ds.key)}) unique and not null, allowed values, non-negative columns, "
                     "dates not in the future, plausibility. Blocking: a failure stops the dbt models."),
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource,
               great_expectations: GreatExpectationsWorker) -> dg.AssetCheckResult:
        start, end = run_window(context)
        outcome = great_expectations.outcome(warehouse.warehouse, dataset, start, end)
        if outcome.passed:
            context.log.info(outcome.summary())
        else:
            context.log.error(outcome.summary())
        return check_result(dataset, outcome, start, end)

    return _check


def build_raw_quality_checks() -> list[dg.AssetChecksDefinition]:
    return [build_raw_check(name) for name in DATASETS]


raw_quality_checks = build_raw_quality_checks()


# -- freshness -----------------------------------------------------------------------------------
# Cadence per source. Daily sources: the day's payloads are due by 10:00 New York the next morning
# (T+1), i.e. by then a materialization made after T's 16:00 close must exist. Hourly sources: a
# materialization within the last 2 hours. The weekly CFTC report (Friday 15:30 ET) is due Saturday
# 10:00. `build_time_partition_freshness_checks` does not fit: our daily partitions end one day
# ahead (end_offset=1), so it would expect *today's* partition by the deadline.
HOURLY_SOURCES = ("coinbase", "binance-klines", "binance-oi")
WEEKLY_SOURCES = ("cftc-tff",)
DAILY_DEADLINE_CRON = "0 10 * * *"
DAILY_LOWER_BOUND = timedelta(hours=18)  # deadline 10:00 minus 18 h = 16:00 New York the day before
HOURLY_LOWER_BOUND = timedelta(hours=2)
WEEKLY_DEADLINE_CRON = "0 10 * * 6"
WEEKLY_LOWER_BOUND = timedelta(hours=18, minutes=30)  # since Friday 15:30 New York


def _archive_keys(names) -> list[dg.AssetKey]:
    return [dg.AssetKey(["archive", n]) for n in names]


def build_freshness_checks() -> list[dg.AssetChecksDefinition]:
    names = sources.fetched_names()
    hourly = [n for n in names if n in HOURLY_SOURCES]
    weekly = [n for n in names if n in WEEKLY_SOURCES]
    daily = [n for n in names if n not in HOURLY_SOURCES and n not in WEEKLY_SOURCES]
    checks: list[dg.AssetChecksDefinition] = []
    if hourly:
        checks += dg.build_last_update_freshness_checks(assets=_archive_keys(hourly),
                                                        lower_bound_delta=HOURLY_LOWER_BOUND)
    if daily:
        checks += dg.build_last_update_freshness_checks(assets=_archive_keys(daily), lower_bound_delta=DAILY_LOWER_BOUND,
                                                        deadline_cron=DAILY_DEADLINE_CRON, timezone=TIMEZONE)
    if weekly:
        checks += dg.build_last_update_freshness_checks(assets=_archive_keys(weekly), lower_bound_delta=WEEKLY_LOWER_BOUND,
                                                        deadline_cron=WEEKLY_DEADLINE_CRON, timezone=TIMEZONE)
    return checks


freshness_checks = build_freshness_checks()


def build_freshness_sensor() -> dg.SensorDefinition:
    """Evaluates the freshness checks on their own, between runs (they read the instance's records)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # superseded by FreshnessPolicy, which needs no sensor
        return dg.build_sensor_for_freshness_checks(freshness_checks=freshness_checks,
                                                    name="source_freshness_sensor")
