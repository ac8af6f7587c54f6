"""The parse-ahead of CLI runs: a `dbt parse` in another process, waited for by the dbt step and
ended when no dbt step ran. A stand-in executable records how it was called."""
import os
import stat
import time
from datetime import date

import pytest

from pipelines import dbt_parse_ahead
from pipelines.assets import dbt as dbt_assets
from pipelines.side_process import SIDE_PROCESS_NICENESS


@pytest.fixture
def fake_dbt(tmp_path):
    """An executable that logs its arguments and window, sleeps SECONDS (env), then exits 0."""
    exe = tmp_path / "dbt"
    exe.write_text("#!/bin/sh\necho \"$@ $BTCFLOWS_WAREHOUSE $BTCFLOWS_WINDOW_START $BTCFLOWS_WINDOW_END\" "
                   ">> \"$FAKE_DBT_LOG\"\nsleep \"${SECONDS_TO_SLEEP:-0}\"\n")
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    (tmp_path / "dbt_project.yml").write_text("name: stand_in\n")
    (tmp_path / "profiles.yml").write_text("stand_in: {}\n")
    return {"executable": str(exe), "project_dir": tmp_path, "profiles_dir": tmp_path}


def test_parse_ahead_runs_dbt_parse_for_the_warehouse_target_and_window(fake_dbt, tmp_path, monkeypatch):
    log = tmp_path / "calls.log"
    monkeypatch.setenv("FAKE_DBT_LOG", str(log))
    warehouse = str(tmp_path / "w" / "btcflows.duckdb")
    dbt_parse_ahead.start_parse_ahead(warehouse, date(2026, 4, 7), date(2026, 4, 8), **fake_dbt)
    target = dbt_parse_ahead.dbt_target_path(warehouse)
    assert target == tmp_path / "w" / "btcflows.dbt"
    dbt_parse_ahead.wait_for_parse_ahead(target)
    call = log.read_text().split()
    assert call[0] == "parse" and call[call.index("--target-path") + 1] == str(target)
    assert call[-3:] == [warehouse, "2026-04-07", "2026-04-08"]
    assert "BTCFLOWS_WINDOW_START" not in os.environ  # set for the child only
    assert dbt_parse_ahead._parses_ahead == {}


def test_a_parse_nobody_waited_for_is_ended(fake_dbt, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_DBT_LOG", str(tmp_path / "calls.log"))
    monkeypatch.setenv("SECONDS_TO_SLEEP", "60")
    warehouse = str(tmp_path / "btcflows.duckdb")
    dbt_parse_ahead.start_parse_ahead(warehouse, date(2026, 4, 7), date(2026, 4, 7), **fake_dbt)
    proc = dbt_parse_ahead._parses_ahead[dbt_parse_ahead.dbt_target_path(warehouse)]
    assert os.getpriority(os.PRIO_PROCESS, proc.pid) == SIDE_PROCESS_NICENESS  # yields to the run
    t0 = time.monotonic()
    dbt_parse_ahead.stop_parses_ahead()
    assert proc.returncode is not None and time.monotonic() - t0 < 10
    assert dbt_parse_ahead._parses_ahead == {}


def test_the_parse_ahead_starts_without_loading_dagster():
    """It starts first thing in a command run, before the pipeline (dagster, dagster-dbt, dbt-core)
    is imported: its module must not pull them in."""
    import subprocess
    import sys

    code = ("import sys, pipelines.dbt_parse_ahead, pipelines.checks.gx_worker; "
            "print(sorted(m for m in ('dagster', 'dagster_dbt', 'dbt', 'great_expectations') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_dagster_dbt_internals_we_override_still_exist():
    """BtcflowsDbtCliResource replaces two private members of dagster-dbt's resource (the `dbt
    --version` call and the in-process adapter). If an upgrade renames them, the overrides would
    silently stop saving ~6 s a run: this fails instead, and the versions must agree."""
    from dagster_dbt import DbtCliResource
    from dbt.version import __version__

    assert hasattr(DbtCliResource, "_cli_version") and hasattr(DbtCliResource, "_initialize_dbt_core_adapter")
    resource = dbt_assets.dbt_resource()
    assert str(resource._cli_version) == __version__.split("+")[0]
    assert resource._initialize_dbt_core_adapter(["build"]) is None


def test_a_full_refresh_run_rebuilds_incremental_models_whole(monkeypatch):
    assert dbt_assets.build_args({}) == ["build"]
    assert dbt_assets.build_args({dbt_assets.FULL_REFRESH_TAG: "true"}) == ["build", "--full-refresh"]
    captured = {}
    monkeypatch.setattr("pipelines.cli.run_materialization", lambda *a, **kw: captured.update(kw))
    from pipelines.cli import main

    main(["materialize", "--start", "2026-04-07", "--end", "2026-04-07", "--full-refresh"])
    assert captured["full_refresh"] is True
    main(["materialize", "--start", "2026-04-07", "--end", "2026-04-07"])
    assert captured["full_refresh"] is False
