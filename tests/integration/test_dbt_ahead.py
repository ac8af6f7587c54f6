"""dbt-ahead against a real dbt on a two-model project: a command it prepared for runs there with
the same outcome, events and exit code as plain `dbt`; anything else falls back to plain `dbt`."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines import dbt_project
from pipelines.runs import dbt_ahead

pytestmark = pytest.mark.integration

BTCFLOWS_DBT = Path(sys.executable).with_name("btcflows-dbt")
WINDOW = (date(2026, 4, 7), date(2026, 4, 8))


@pytest.fixture
def project(tmp_path):
    """A dbt-duckdb project: a model that reads the window, one downstream, a test that fails."""
    root = tmp_path / "project"
    (root / "models").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "dbt_project.yml").write_text("name: ahead\nversion: '1.0.0'\nconfig-version: 2\nprofile: ahead\n"
                                          "models:\n  ahead:\n    +materialized: table\n")
    (root / "profiles.yml").write_text(
        "ahead:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        "      path: \"{{ env_var('BTCFLOWS_WAREHOUSE') }}\"\n      threads: 2\n")
    (root / "models" / "window.sql").write_text(
        "select cast('{{ env_var(\"BTCFLOWS_WINDOW_START\") }}' as date) as window_start, "
        "cast('{{ env_var(\"BTCFLOWS_WINDOW_END\") }}' as date) as window_end")
    (root / "models" / "days.sql").write_text(
        "select window_end - window_start + 1 as days from {{ ref('window') }}")
    (root / "tests" / "always_fails.sql").write_text("select * from {{ ref('days') }} where days > 0")
    an_hour_ago = time.time() - 3600  # written well before any run (a file changed around a parse is not served)
    for path in root.rglob("*"):
        os.utime(path, (an_hour_ago, an_hour_ago))
    return root


@pytest.fixture
def warehouse(tmp_path):
    return str(tmp_path / "w" / "btcflows.duckdb")


@pytest.fixture(autouse=True)
def _stop_every_ahead():
    yield
    dbt_ahead.stop_dbt_ahead()


def step_env(warehouse: str, project: Path, start: date = WINDOW[0], end: date = WINDOW[1]) -> dict[str, str]:
    """The environment dagster-dbt gives the dbt step's executable (see DbtCliResource.cli)."""
    target = dbt_project.dbt_target_path(warehouse)
    return {**os.environ, **dbt_project.dbt_env(warehouse, start, end),
            **dbt_ahead.server_dbt_env(target, project, project), "DAGSTER_DBT_CLI": "true"}


def run_step(args: list[str], env: dict[str, str], project: Path) -> tuple[int, list[dict], str]:
    proc = subprocess.run([str(BTCFLOWS_DBT), *args], env=env, cwd=project, capture_output=True, text=True,
                          timeout=180, check=False)
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    return proc.returncode, events, proc.stdout + proc.stderr


def results(events: list[dict]) -> dict[str, str]:
    return {e["data"]["node_info"]["unique_id"]: e["data"]["node_info"]["node_status"]
            for e in events if e["info"]["name"] in ("LogModelResult", "LogTestResult")}


def ahead_log(warehouse: str) -> str:
    return (dbt_project.dbt_target_path(warehouse) / "dbt_ahead.log").read_text()


def start(warehouse: str, project: Path) -> dict[str, str]:
    dbt_ahead.start_dbt_ahead(warehouse, *WINDOW, project_dir=project, profiles_dir=project)
    return dbt_ahead.ahead_env(dbt_project.dbt_target_path(warehouse))


def test_a_prepared_build_runs_in_the_ahead_process_like_plain_dbt(project, warehouse):
    env = step_env(warehouse, project)
    served_code, served_events, _ = run_step(["build"], {**env, **start(warehouse, project)}, project)
    assert "serving ['build']" in ahead_log(warehouse)
    with duckdb.connect(warehouse, read_only=True) as con:
        assert con.execute("select window_start, window_end from main.window").fetchone() == WINDOW
        assert con.execute("select days from main.days").fetchone() == (2,)

    plain_code, plain_events, _ = run_step(["build"], env, project)  # no dbt-ahead: plain dbt
    # The failing test makes both exit 1 (dbt's "a node failed"), with the same node results.
    assert served_code == plain_code == 1
    assert results(served_events) == results(plain_events)
    assert results(served_events)["model.ahead.days"] == "success"
    assert results(served_events)["test.ahead.always_fails"] == "fail"


def test_a_passing_selection_exits_0_and_each_ahead_serves_once(project, warehouse):
    env = {**step_env(warehouse, project), **start(warehouse, project)}
    code, events, _ = run_step(["build", "--select", "window"], env, project)
    assert code == 0 and set(results(events)) == {"model.ahead.window"}
    # The same socket again: the ahead process has served and left; plain dbt runs instead.
    code, events, _ = run_step(["run", "--select", "days"], env, project)
    assert code == 0 and set(results(events)) == {"model.ahead.days"}
    assert ahead_log(warehouse).count("serving") == 1


def test_another_window_is_not_served_but_runs_as_plain_dbt(project, warehouse):
    env = {**step_env(warehouse, project, date(2026, 5, 1), date(2026, 5, 1)), **start(warehouse, project)}
    code, events, output = run_step(["build", "--select", "window"], env, project)
    assert code == 0 and results(events) == {"model.ahead.window": "success"}
    assert "prepared for another BTCFLOWS_WINDOW_START, BTCFLOWS_WINDOW_END" in output
    with duckdb.connect(warehouse, read_only=True) as con:
        assert con.execute("select window_start from main.window").fetchone() == (date(2026, 5, 1),)


def test_a_model_changed_after_the_parse_is_not_served_from_the_stale_parse(project, warehouse):
    extra = start(warehouse, project)
    (project / "models" / "days.sql").write_text("select 42 as days from {{ ref('window') }}")
    code, _, output = run_step(["run"], {**step_env(warehouse, project), **extra}, project)
    assert code == 0 and "a project file changed since its parse" in output
    with duckdb.connect(warehouse, read_only=True) as con:
        assert con.execute("select days from main.days").fetchone() == (42,)


def test_a_project_that_does_not_parse_fails_as_plain_dbt_fails(project, warehouse):
    (project / "models" / "days.sql").write_text("select {{ ref('no_such_model') }}")
    code, _, output = run_step(["build"], {**step_env(warehouse, project), **start(warehouse, project)}, project)
    plain_code, _, plain_output = run_step(["build"], step_env(warehouse, project), project)
    assert code == plain_code == 2  # dbt's exit code for "dbt itself failed"
    assert "dbt-ahead not used (parse failed" in output
    assert "no_such_model" in output and "no_such_model" in plain_output


def test_an_unused_ahead_is_ended_at_once(project, warehouse):
    start(warehouse, project)
    (ahead,) = dbt_ahead._started.values()
    t0 = time.monotonic()
    dbt_ahead.stop_dbt_ahead()
    assert ahead.process.returncode is not None and time.monotonic() - t0 < 5
    assert not ahead.socket_path.parent.exists()
    assert dbt_ahead.ahead_env(dbt_project.dbt_target_path(warehouse)) == {}


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states from /proc (Linux)")
def test_an_ahead_outlives_no_killed_run(project, warehouse):
    """The run that started it dies (SIGKILL, nothing cleaned up): its lifeline closes and it exits."""
    code = ("import sys, time; from datetime import date; from pipelines.runs import dbt_ahead; "
            f"dbt_ahead.start_dbt_ahead({warehouse!r}, date(2026, 4, 7), date(2026, 4, 8), "
            f"project_dir={str(project)!r}, profiles_dir={str(project)!r}); "
            "print(next(iter(dbt_ahead._started.values())).process.pid, flush=True); time.sleep(60)")
    code = code.replace(".process.pid, flush", ".process.pid, next(iter(dbt_ahead._started.values())).socket_path, flush")
    run = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    pid, socket_path = run.stdout.readline().split()
    run.kill()
    run.wait()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and _alive(int(pid)):
        time.sleep(0.1)
    assert not _alive(int(pid))
    assert not Path(socket_path).parent.exists()  # nothing left behind in the temp directory


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"  # a zombie has exited (its parent is gone: init reaps it)
    except FileNotFoundError:
        return False


def test_without_an_ahead_btcflows_dbt_is_dbt():
    out = subprocess.run([str(BTCFLOWS_DBT), "--version"], capture_output=True, text=True, check=True).stdout
    from dbt.version import __version__

    assert __version__ in out
