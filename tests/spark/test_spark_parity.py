"""The same dbt project on Spark gives the same marts as on DuckDB (`make test-spark`).

The demo runs through the real pipeline (every source's payloads, parsers, raw assets) into a
temporary DuckDB warehouse and, through the raw assets' lake hook, into a local raw lake
(BTCFLOWS_LAKE). `dbt build --target spark` (dbt-spark's session method, Spark in local mode in this
process) then builds every model from the lake's Parquet files and runs every dbt test on Spark; a
second Spark run over a window recomputes the incremental model (insert_overwrite of its partitions).
Every mart, and every incremental model, is compared with the DuckDB build: same keys, same row
count, nulls in the same places, numbers within 1e-9 relative (tests/spark/parity.py)."""
from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

import pytest

from pipelines.config import DBT_PROJECT_DIR
from pipelines.dbt_project import prepare_if_stale
from tests.spark.parity import compare_mart, models_to_compare

pytestmark = pytest.mark.spark

COMPARED = models_to_compare(json.loads(prepare_if_stale().read_text()))


def _dbt_spark(args: list[str], work: Path):
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke([
        *args, "--target", "spark", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(work / "target-spark"), "--log-path", str(work / "logs-spark"),
    ])
    failed = [f"{r.node.name}: {r.status} {r.message}" for r in (result.result or []) if r.status in ("error", "fail")]
    assert result.success and not failed, f"dbt {' '.join(args)} --target spark failed:\n" + "\n".join(failed) + (
        f"\n{result.exception}" if result.exception else "")
    return result


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    from pipelines.cli import run_materialization
    from pipelines.resources import IngestSettings
    from pipelines.warehouse import Warehouse

    work = tmp_path_factory.mktemp("parity")
    timings = {}
    mp = pytest.MonkeyPatch()
    try:
        mp.setenv("BTCFLOWS_WAREHOUSE", str(work / "btcflows.duckdb"))
        mp.setenv("BTCFLOWS_ARCHIVE", str(work / "archive"))
        mp.setenv("BTCFLOWS_LAKE", f"file://{work / 'lake'}")
        mp.setenv("BTCFLOWS_SPARK_DIR", str(work / "spark"))
        settings = IngestSettings()
        start, end = settings.demo_run_window
        t0 = time.monotonic()
        run_materialization("demo", start, end)
        timings["demo (DuckDB build, lake written by the raw assets)"] = time.monotonic() - t0

        t0 = time.monotonic()
        _dbt_spark(["build"], work)
        timings["dbt build --target spark"] = time.monotonic() - t0

        crash = settings.demo_window[2]
        mp.setenv("BTCFLOWS_WINDOW_START", (crash - timedelta(days=3)).isoformat())
        mp.setenv("BTCFLOWS_WINDOW_END", (crash + timedelta(days=3)).isoformat())
        t0 = time.monotonic()
        incremental = [m.name for m in COMPARED if m.incremental]
        _dbt_spark(["build", "--select", " ".join(f"{name}+" for name in incremental)], work)
        timings["dbt build --target spark of the incremental models over a window"] = time.monotonic() - t0
        mp.delenv("BTCFLOWS_WINDOW_START")
        mp.delenv("BTCFLOWS_WINDOW_END")

        from pyspark.sql import SparkSession

        spark = SparkSession.builder.getOrCreate()  # the session dbt-spark started in this process
        for name, seconds in timings.items():
            print(f"{seconds:7.1f} s  {name}")
        yield Warehouse(work / "btcflows.duckdb"), spark
    finally:
        mp.undo()


@pytest.mark.parametrize("model", COMPARED, ids=[m.name for m in COMPARED])
def test_spark_builds_what_duckdb_builds(builds, model):
    warehouse, spark = builds
    with warehouse.reader() as con:
        duck = con.execute(f"select * from {model.schema}.{model.name}").df()
    spark_rows = spark.table(f"{model.schema}.{model.name}")
    on_spark = spark_rows.toPandas()
    assert len(duck), f"{model.name}: no rows in the DuckDB build: nothing compared"
    problems = compare_mart(model, duck, on_spark)
    assert not problems, "\n".join(problems[:40])
