"""The code location loads with its schedules and sensor, each schedule targets the partition it
should at a given New York time, and the marts sensor requests one run over the new raw partitions."""
from __future__ import annotations

from datetime import datetime

import dagster as dg
import pytest

from pipelines.definitions import defs
from pipelines.partitions import daily_partitions
from pipelines.schedules import INGEST_SCHEDULES, previous_trading_day
from pipelines.sensors import marts_after_raw_sensor
from pipelines.timeutils import NEW_YORK

REPO = defs.get_repository_def()


@pytest.fixture(scope="module")
def instance():
    with dg.instance_for_test() as inst:
        yield inst


def _ny(*args) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


def test_definitions_load_with_schedules_sensor_and_report():
    names = {s.name for s in REPO.schedule_defs}
    assert names == {s.name for s in INGEST_SCHEDULES}
    for schedule in REPO.schedule_defs:
        assert schedule.execution_timezone == "America/New_York"
        assert schedule.description  # visible in the UI
    assert sorted(s.name for s in REPO.sensor_defs) == ["marts_after_raw_sensor", "source_freshness_sensor"]
    assert marts_after_raw_sensor.description
    assert dg.AssetKey("report") in REPO.asset_graph.get_all_asset_keys()
    report_deps = REPO.asset_graph.get(dg.AssetKey("report")).parent_keys
    assert dg.AssetKey(["marts", "fct_daily_snapshot_4pm_et"]) in report_deps


@pytest.mark.parametrize(
    ("name", "at", "partition"),
    [
        ("market_close_schedule", _ny(2026, 2, 5, 16, 45), "2026-02-05"),  # crash day, after the close
        ("crypto_snapshots_schedule", _ny(2026, 2, 8, 16, 5), "2026-02-08"),  # Sunday: crypto runs daily
        ("evening_snapshots_schedule", _ny(2026, 2, 6, 19, 30), "2026-02-06"),
        ("etf_flows_schedule", _ny(2026, 2, 6, 9, 30), "2026-02-05"),  # T+1 morning
        ("etf_flows_schedule", _ny(2026, 2, 9, 9, 30), "2026-02-06"),  # Monday -> Friday
        ("etf_flows_schedule", _ny(2026, 2, 17, 9, 30), "2026-02-13"),  # after Presidents' Day
        ("market_close_schedule", _ny(2026, 7, 1, 16, 45), "2026-07-01"),  # summer time (EDT)
        ("sec_filings_schedule", _ny(2026, 2, 5, 22, 30), "2026-02-05"),  # the day's 424B2 filings, evening
    ],
)
def test_each_schedule_requests_its_partition(instance, monkeypatch, name, at, partition):
    monkeypatch.delenv("BTCFLOWS_SCHEDULE_MODE", raising=False)
    schedule = REPO.get_schedule_def(name)
    context = dg.build_schedule_context(instance=instance, scheduled_execution_time=at, repository_def=REPO)
    request = schedule.evaluate_tick(context).run_requests[0]
    assert request.partition_key == partition
    assert partition in daily_partitions.get_partition_keys(current_time=at)
    assert request.run_config == {"resources": {"ingest": {"config": {"mode": "live"}}}}
    resolved = dg.validate_run_config(REPO.get_job(schedule.job_name), request.run_config)
    assert resolved["resources"]["ingest"]["config"]["mode"] == "live"  # the scheduled run fetches


def test_schedule_jobs_select_their_sources_archive_and_raw_assets():
    def keys(job_name):
        return {k.to_user_string() for k in REPO.get_job(job_name).asset_layer.executable_asset_keys}

    assert keys("etf_flows_job") == {"archive/farside", "raw/etf_flows"}
    assert keys("sec_filings_job") == {"archive/sec-edgar", "raw/structured_notes"}
    assert {"archive/binance-oi", "raw/perp_open_interest", "archive/deribit-options",
            "raw/option_chain_snapshot"} == keys("crypto_snapshots_job")
    assert {"archive/occ-volume", "raw/options_volume", "archive/cme-settlements", "raw/futures_daily"} <= keys("evening_snapshots_job")
    market = keys("market_close_job")
    assert {"archive/yahoo", "raw/daily_bars", "raw/hourly_bars"} <= market and not any(k.startswith("marts/") for k in market)
    refresh = keys("refresh_marts_job")
    assert "report" in refresh and "marts/fct_daily_snapshot_4pm_et" in refresh
    assert not any(k.startswith(("raw/", "archive/")) for k in refresh)


def test_previous_trading_day_skips_weekends_and_holidays():
    from datetime import date

    assert previous_trading_day(date(2026, 2, 9)) == date(2026, 2, 6)
    assert previous_trading_day(date(2026, 2, 17)) == date(2026, 2, 13)


def test_marts_sensor_requests_one_run_over_new_raw_partitions_then_skips():
    with dg.instance_for_test() as instance:  # its own: the sensor reads every raw materialization
        for key, partition in ((["raw", "etf_flows"], "2026-02-05"), (["raw", "daily_bars"], "2026-02-06"),
                               (["raw", "etf_flows"], "2026-02-04")):
            instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=key, partition=partition))
        context = dg.build_sensor_context(instance=instance, definitions=defs)
        result = marts_after_raw_sensor(context)
        assert isinstance(result, dg.RunRequest)
        assert result.tags["dagster/asset_partition_range_start"] == "2026-02-04"
        assert result.tags["dagster/asset_partition_range_end"] == "2026-02-06"
        again = marts_after_raw_sensor(dg.build_sensor_context(instance=instance, definitions=defs, cursor=context.cursor))
        assert isinstance(again, dg.SkipReason)


def test_marts_sensor_covers_a_bulk_window_of_an_ingest_run():
    with dg.instance_for_test() as instance:
        instance.report_runless_asset_event(dg.AssetMaterialization(
            asset_key=["raw", "daily_bars"], metadata={"window": "2025-10-01..2026-01-31"}))
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=["raw", "etf_flows"], partition="2026-02-03"))
        result = marts_after_raw_sensor(dg.build_sensor_context(instance=instance, definitions=defs))
        assert result.tags["dagster/asset_partition_range_start"] == "2025-10-01"
        assert result.tags["dagster/asset_partition_range_end"] == "2026-02-03"


def test_scheduled_runs_fetch_unless_told_to_replay(monkeypatch):
    from pipelines.schedules import SCHEDULE_MODE_ENV, schedule_run_config

    monkeypatch.delenv(SCHEDULE_MODE_ENV, raising=False)
    assert schedule_run_config()["resources"]["ingest"]["config"]["mode"] == "live"
    monkeypatch.setenv(SCHEDULE_MODE_ENV, "replay")
    assert schedule_run_config()["resources"]["ingest"]["config"]["mode"] == "replay"
    monkeypatch.setenv(SCHEDULE_MODE_ENV, "demo")
    with pytest.raises(ValueError, match="BTCFLOWS_SCHEDULE_MODE='demo'"):
        schedule_run_config()


def test_every_job_and_the_ui_asset_runs_execute_in_the_run_process():
    assert {job.name: job.executor_def.name for job in REPO.get_all_jobs()} == {
        name: "in_process" for name in ("__ASSET_JOB", "materialize_all", "refresh_marts_job",
                                        *[spec.job_name for spec in INGEST_SCHEDULES])}
    for job in ("materialize_all", "market_close_job"):  # the freshness checks are the sensor's, not steps
        assert not [n for n in REPO.get_job(job).graph.node_dict if n.startswith("freshness")], job


def test_the_marts_sensor_runs_by_default():
    assert marts_after_raw_sensor.default_status == dg.DefaultSensorStatus.RUNNING
