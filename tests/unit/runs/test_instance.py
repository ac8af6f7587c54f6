"""The instance runs record into: DAGSTER_HOME if set, else beside the warehouse, created with its
dagster.yaml on first use (never rewritten); the DuckDB writers share one pool of one run."""
import yaml

from pipelines.runs.instance import DUCKDB_POOL, dagster_home, ensure_dagster_home, instance


def test_without_dagster_home_the_instance_is_beside_the_warehouse(tmp_path, monkeypatch):
    monkeypatch.setenv("BTCFLOWS_WAREHOUSE", str(tmp_path / "w" / "btcflows.duckdb"))
    assert dagster_home() == tmp_path / "w" / "dagster_home"
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "elsewhere"))
    assert dagster_home() == tmp_path / "elsewhere"


def test_the_instance_is_created_once_with_its_pool_limits_and_event_log(tmp_path):
    home = ensure_dagster_home(tmp_path / "dagster_home")
    config = yaml.safe_load((home / "dagster.yaml").read_text())
    assert config["concurrency"]["pools"] == {"granularity": "run", "default_limit": 1}
    assert config["event_log_storage"]["class"] == "PooledSqliteEventLogStorage"
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")  # the user's edit
    ensure_dagster_home(home)
    assert (home / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\n"


def test_the_instance_loads_with_that_config_and_sets_dagster_home_only_while_open(tmp_path, monkeypatch):
    import os

    monkeypatch.setenv("BTCFLOWS_WAREHOUSE", str(tmp_path / "btcflows.duckdb"))
    with instance() as inst:
        assert type(inst.event_log_storage).__name__ == "PooledSqliteEventLogStorage"
        assert inst.root_directory == str(tmp_path / "dagster_home")
        assert inst.event_log_storage._base_dir == str(tmp_path / "dagster_home" / "history" / "runs")
        assert inst.get_concurrency_config().pool_config.default_pool_limit == 1
        assert os.environ["DAGSTER_HOME"] == str(tmp_path / "dagster_home")  # for processes the run starts
    assert "DAGSTER_HOME" not in os.environ
    assert DUCKDB_POOL == "duckdb"
