"""The daily path end to end, as a deployment runs it: the Dagster daemon against a temporary
instance (created as btcflows creates it), an archive holding a new day, the market-close ingest run
launched as its schedule launches it (the schedule's own run request, through the instance's run
queue, the daemon's run launcher and a run worker process), then the marts sensor, evaluated by the
daemon, requests the refresh of the marts. Fails if either run fails or the sensor does not fire.

Replay mode (BTCFLOWS_SCHEDULE_MODE): nothing is fetched; the archive holds what the day's fetches
would have stored. The sensor's interval comes from BTCFLOWS_MARTS_SENSOR_INTERVAL_S."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

import dagster as dg
import pytest

from pipelines.archive import Archive
from pipelines.demo.simulate import DEMO_SOURCES
from pipelines.schedules import INGEST_SCHEDULES, ingest_run_request
from pipelines.timeutils import NEW_YORK
from pipelines.warehouse import Warehouse
from tests.unit.checks import helpers as h

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DAY = date(2026, 2, 6)  # a Friday of the helpers' short scenario
SCHEDULE = next(s for s in INGEST_SCHEDULES if s.name == "market_close_schedule")
TIMEOUT_S = 900
FINISHED = (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)


def _run_errors(instance, run) -> str:
    records = instance.all_logs(run.run_id, of_type={dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.RUN_FAILURE})
    return "\n".join(r.dagster_event.message or "" for r in records)


def _wait_for_both_runs(instance, daemon, log: Path) -> tuple:
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        assert daemon.poll() is None, f"the daemon exited ({daemon.returncode}):\n{log.read_text()[-3000:]}"
        ingest = instance.get_runs(dg.RunsFilter(job_name=SCHEDULE.job_name))
        refresh = instance.get_runs(dg.RunsFilter(job_name="refresh_marts_job"))
        for run in [*ingest, *refresh]:
            assert run.status not in (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED), (
                f"run {run.job_name} {run.run_id} {run.status.value}:\n{_run_errors(instance, run)}")
        if ingest and refresh and all(r.status in FINISHED for r in [*ingest, *refresh]):
            return ingest, refresh
        time.sleep(1)
    states = [(r.job_name, r.status.value) for r in instance.get_runs()]
    pytest.fail(f"not done after {TIMEOUT_S} s (did the marts sensor fire?): runs {states};\n"
                f"daemon log:\n{log.read_text()[-3000:]}")


def test_a_scheduled_ingest_run_and_the_marts_sensor_bring_the_new_day_into_the_daily_mart(tmp_path, monkeypatch):
    from pipelines.runs.instance import instance

    archive = Archive(tmp_path / "archive")
    for source in SCHEDULE.sources:
        if source in DEMO_SOURCES:
            h.write_payloads(archive, source, [DAY])
    env = {"DAGSTER_HOME": str(tmp_path / "dagster_home"), "BTCFLOWS_WAREHOUSE": str(tmp_path / "btcflows.duckdb"),
           "BTCFLOWS_ARCHIVE": str(tmp_path / "archive"), "BTCFLOWS_MODE": "replay",
           "BTCFLOWS_SCHEDULE_MODE": "replay", "BTCFLOWS_MARTS_SENSOR_INTERVAL_S": "5"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with instance():  # created as `btcflows instance` creates it, before the daemon and the launch open it
        pass
    # what a tick of the schedule at 16:45 New York on DAY requests
    request = ingest_run_request(SCHEDULE, datetime(DAY.year, DAY.month, DAY.day, 16, 45, tzinfo=NEW_YORK))
    assert request.partition_key == DAY.isoformat() and request.run_config["resources"]["ingest"]["config"]["mode"] == "replay"

    log = tmp_path / "daemon.log"
    with open(log, "w") as out:
        daemon = subprocess.Popen([str(BIN / "dagster-daemon"), "run"], cwd=REPO, env=dict(os.environ),
                                  stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        tags = {**request.tags, "dagster/partition": request.partition_key, "dagster/run_key": request.run_key,
                "dagster/schedule_name": SCHEDULE.name}
        launch = subprocess.run([str(BIN / "dagster"), "job", "launch", "-j", SCHEDULE.job_name,
                                 "--config-json", json.dumps(request.run_config), "--tags", json.dumps(tags)],
                                check=False, cwd=REPO, env=dict(os.environ), capture_output=True, text=True,
                                timeout=300)
        assert launch.returncode == 0, launch.stderr[-3000:]
        with instance() as dagster_instance:
            (ingest,), refresh = _wait_for_both_runs(dagster_instance, daemon, log)
            assert ingest.tags["dagster/partition"] == DAY.isoformat()
            assert ingest.tags["dagster/schedule_name"] == SCHEDULE.name
            by_sensor = [r for r in refresh if r.tags.get("dagster/sensor_name") == "marts_after_raw_sensor"]
            assert by_sensor, f"no refresh run requested by the marts sensor: {[r.tags for r in refresh]}"
            assert by_sensor[0].tags["dagster/asset_partition_range_start"] == DAY.isoformat()
            assert by_sensor[0].tags["dagster/asset_partition_range_end"] == DAY.isoformat()
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        try:
            daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)
            daemon.wait()

    ibit = h.canonical()["daily_bars"]
    expected = ibit[(ibit["symbol"] == "IBIT") & (ibit["trade_date"].astype(str) == DAY.isoformat())]["close"]
    assert len(expected) == 1
    with Warehouse(tmp_path / "btcflows.duckdb").reader() as con:
        rows = con.execute("select ibit_close, data_mode from marts.fct_daily_snapshot_4pm_et where trade_date = ?",
                           [DAY]).fetchall()
    assert rows == [(pytest.approx(float(expected.iloc[0])), "simulated")]
