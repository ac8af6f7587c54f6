"""`btcflows materialize` runs the `materialize_all` job of the Definitions (the very job the UI,
the schedules' backfills and the sensor's neighbours launch), in its own process, recording into the
Dagster instance beside the warehouse: per partition over a short window, one bulk materialization
per asset over a long one; a failed run exits 1 naming the step, the run and what failed."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from pipelines.archive import Archive
from tests.unit.checks import helpers as h

pytestmark = pytest.mark.integration
START, END = date(2026, 2, 4), date(2026, 2, 6)
SOURCES = ("farside", "yahoo", "coinbase", "cme-settlements", "occ-volume", "deribit-dvol", "binance-oi",
           "binance-funding", "ishares", "cftc-tff")


@pytest.fixture
def warehouse_dir(tmp_path, monkeypatch) -> Path:
    archive = Archive(tmp_path / "archive")
    for source in SOURCES:
        h.write_payloads(archive, source, h.days(date(2026, 1, 30), END))
    monkeypatch.setenv("BTCFLOWS_WAREHOUSE", str(tmp_path / "btcflows.duckdb"))
    monkeypatch.setenv("BTCFLOWS_ARCHIVE", str(tmp_path / "archive"))
    return tmp_path


def _instance(warehouse_dir: Path):
    from pipelines.runs.instance import instance

    assert (warehouse_dir / "dagster_home" / "dagster.yaml").exists()
    return instance()


def test_a_short_window_runs_the_definitions_job_per_partition_into_the_instance_beside_the_warehouse(warehouse_dir):
    from pipelines.cli import run_materialization
    from pipelines.definitions import defs

    result = run_materialization("replay", START, END)
    job = defs.resolve_job_def("materialize_all")
    with _instance(warehouse_dir) as instance:
        run = instance.get_run_by_id(result.run_id)
        assert run.job_name == "materialize_all" and run.status == dg.DagsterRunStatus.SUCCESS
        assert run.job_snapshot_id == job.get_job_snapshot_id()  # the Definitions' job, not one of its own
        assert run.tags["dagster/asset_partition_range_start"] == START.isoformat()
        partitions = {r.partition_key for r in instance.fetch_materializations(
            dg.AssetKey(["raw", "daily_bars"]), limit=10).records}
        assert partitions == {"2026-02-04", "2026-02-05", "2026-02-06"}
        assert instance.fetch_materializations(dg.AssetKey(["marts", "fct_daily_snapshot_4pm_et"]), limit=1).records
        in_process = [r for r in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT)
                      if "in process" in (r.dagster_event.message or "")]
        assert in_process, "the steps did not run in the run's own process"


def test_a_window_over_31_days_is_one_bulk_run_with_one_materialization_per_asset(warehouse_dir):
    from pipelines.cli import run_materialization

    start, end = date(2026, 1, 6), END
    result = run_materialization("replay", start, end, asset_selection=[dg.AssetKey(["raw", "daily_bars"])])
    with _instance(warehouse_dir) as instance:
        run = instance.get_run_by_id(result.run_id)
        assert run.tags["btcflows/window_start"] == start.isoformat() and "dagster/partition" not in run.tags
        (record,) = instance.fetch_materializations(dg.AssetKey(["raw", "daily_bars"]), limit=10).records
        assert record.partition_key is None
        assert record.asset_materialization.metadata["window"].value == f"{start}..{end}"
    from pipelines.warehouse import Warehouse

    with Warehouse(warehouse_dir / "btcflows.duckdb").reader() as con:
        first, last = con.execute("select min(_partition), max(_partition) from raw.daily_bars").fetchone()
    assert (first, last) == (date(2026, 1, 30), END)  # the archive's first and last days, in one write


def test_a_failed_run_exits_1_naming_the_step_and_the_run(warehouse_dir, capsys):
    from pipelines.cli import main

    bad = h.write_raw_payload(Archive(warehouse_dir / "archive"), "binance-funding", END, b"<html>blocked</html>",
                              "json", endpoint="fundingRate", fetched="2026-02-07T12:00:00Z")
    with pytest.raises(SystemExit) as exit_:
        main(["materialize", "--mode", "replay", "--start", END.isoformat(), "--end", END.isoformat()])
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert "raw__funding_rates failed: raw.funding_rates: 1 payload(s) failed, nothing written" in err
    assert str(bad) in (warehouse_dir / "logs" / "last_run.log").read_text()  # the step's error in full
    assert f"materialization of {END}..{END} failed" in err
    run_id = re.search(r"^run ([0-9a-f-]{36}) failed: its events and logs are in the Dagster instance", err, re.MULTILINE)[1]
    with _instance(warehouse_dir) as dagster_instance:
        assert dagster_instance.get_run_by_id(run_id).is_failure
