"""dbt-ahead's parts that need no dbt: the environment of a dbt step, when a prepared parse may
serve a request, and that the run-side modules stay light (tests/integration/test_dbt_ahead.py
runs it against a real dbt)."""
import argparse
import time
from datetime import date
from types import SimpleNamespace

import pytest

from pipelines import dbt_project
from pipelines.assets import dbt as dbt_assets
from pipelines.resources import WarehouseResource
from pipelines.runs import dbt_ahead, dbt_ahead_server


def test_the_target_is_beside_the_warehouse_and_the_window_reaches_dbt_as_env():
    assert dbt_project.dbt_target_path("/w/btcflows.duckdb").as_posix() == "/w/btcflows.dbt"
    assert dbt_project.dbt_env("/w/btcflows.duckdb", date(2026, 4, 7), date(2026, 4, 8)) == {
        "BTCFLOWS_WAREHOUSE": "/w/btcflows.duckdb", "BTCFLOWS_WINDOW_START": "2026-04-07",
        "BTCFLOWS_WINDOW_END": "2026-04-08"}
    with pytest.raises(ValueError, match="before its start"):
        dbt_project.window_env(date(2026, 4, 8), date(2026, 4, 7))


A_MANIFEST = object()


def _parse(tmp_path, manifest=A_MANIFEST, problem=""):
    (tmp_path / "models").mkdir(exist_ok=True)
    (tmp_path / "models" / "m.sql").write_text("select 1")
    args = argparse.Namespace(project_dir=str(tmp_path), profiles_dir=str(tmp_path))
    return SimpleNamespace(args=args, manifest=manifest, problem=problem, started_at=time.time() + 5)


ENV = {"BTCFLOWS_WAREHOUSE": "/w/b.duckdb", "BTCFLOWS_WINDOW_START": "2026-04-07", "BTCFLOWS_WINDOW_END": "2026-04-07",
       "DBT_TARGET_PATH": "/w/b.dbt", "DBT_PROJECT_DIR": "/p", "DBT_PROFILES_DIR": "/p"}


@pytest.mark.parametrize(("args", "env", "parse_kw", "why"), [
    (["build", "--select", "fqn:*"], ENV, {}, ""),
    (["--no-write-json", "test"], ENV, {}, ""),
    (["parse"], ENV, {}, "command 'parse' is not one it runs"),
    (["docs", "generate"], ENV, {}, "command 'docs' is not one it runs"),
    (["build"], ENV, {"manifest": None, "problem": "parse failed: boom"}, "parse failed: boom"),
    (["build"], {**ENV, "BTCFLOWS_WINDOW_END": "2026-04-08"}, {}, "prepared for another BTCFLOWS_WINDOW_END"),
    (["build"], {**ENV, "BTCFLOWS_WAREHOUSE": "/x.duckdb", "DBT_TARGET_PATH": "/x.dbt"}, {},
     "prepared for another BTCFLOWS_WAREHOUSE, DBT_TARGET_PATH"),
])
def test_a_request_is_served_only_with_the_parse_it_was_prepared_for(tmp_path, args, env, parse_kw, why):
    parse = _parse(tmp_path, **parse_kw)
    assert dbt_ahead_server.refusal({"args": args, "env": env}, parse, ENV) == why


@pytest.mark.parametrize("parse_started_seconds_after_the_write", [-60, 0, 0.5])
def test_a_project_file_newer_than_the_parse_or_just_older_refuses(tmp_path, parse_started_seconds_after_the_write):
    # just older too: file timestamps lag the clock, so a write right after the parse began can look earlier
    parse = _parse(tmp_path)
    parse.started_at = (tmp_path / "models" / "m.sql").stat().st_mtime + parse_started_seconds_after_the_write
    assert dbt_ahead_server.refusal({"args": ["build"], "env": ENV}, parse, ENV) == "a project file changed since its parse"


def test_dbt_debug_file_log_is_off_unless_asked_for(monkeypatch):
    monkeypatch.delenv("DBT_LOG_LEVEL_FILE", raising=False)
    assert dbt_project.dbt_file_log_level() == "none"
    monkeypatch.setenv("DBT_LOG_LEVEL_FILE", "debug")
    assert dbt_project.dbt_file_log_level() == "debug"
    assert dbt_ahead.server_dbt_env(dbt_project.dbt_target_path("/w/b.duckdb"), "/p", "/p")["DBT_LOG_LEVEL_FILE"] == "debug"


def test_the_dbt_step_runs_btcflows_dbt_when_installed():
    # installed by pyproject's [project.scripts]; the dbt step's resource runs it
    assert dbt_ahead.dbt_step_executable().endswith("/btcflows-dbt")
    assert _resource().dbt_executable == dbt_ahead.dbt_step_executable()


def test_the_side_processes_start_without_loading_dagster():
    """btcflows-dbt starts on every dbt step, and dbt-ahead's server and the GX worker import what
    they need themselves (the server imports dbt in its parse thread, not at import): their modules
    must not pull in dagster, dagster-dbt, dbt-core or GX."""
    import subprocess
    import sys

    code = ("import sys, pipelines.runs.dbt_ahead, pipelines.runs.dbt_ahead_server, pipelines.runs.gx_worker; "
            "print(sorted(m for m in ('dagster', 'dagster_dbt', 'dbt', 'great_expectations') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def _resource():
    return dbt_assets.dbt_resource(WarehouseResource(warehouse_path="/w/b.duckdb", archive_path="/w/archive"))


def test_the_dagster_dbt_internals_we_override_still_exist():
    """BtcflowsDbtCliResource replaces two private members of dagster-dbt's resource (the `dbt
    --version` call and the in-process adapter). If an upgrade renames them, the overrides would
    silently stop saving ~6 s a run: this fails instead, and the versions must agree."""
    from dagster_dbt import DbtCliResource
    from dbt.version import __version__

    assert hasattr(DbtCliResource, "_cli_version") and hasattr(DbtCliResource, "_initialize_dbt_core_adapter")
    resource = _resource()
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
