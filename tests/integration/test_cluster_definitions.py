"""The cluster code location (pipelines/cluster.py) loads with dagster-k8s's executor and has the
local graph unchanged: the same assets, checks, jobs, schedules and sensors; archive and raw steps
one per source and dataset (they fan out as Kubernetes Jobs), dbt one step. The documented instance
(deploy/k8s/dagster.yaml) and the executor's settings pass dagster-k8s's own config schemas."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from dagster._config import process_config
from dagster._core.instance.config import dagster_instance_config_schema

from pipelines import sources
from pipelines.datasets import DATASETS

INSTANCE_YAML = Path(__file__).resolve().parents[2] / "deploy" / "k8s" / "dagster.yaml"


@pytest.fixture(scope="module")
def cluster():
    from pipelines import cluster

    return cluster


def test_the_cluster_location_has_the_local_graph(cluster):
    from pipelines.definitions import defs as local

    local_repo, cluster_repo = local.get_repository_def(), cluster.defs.get_repository_def()
    assert cluster_repo.asset_graph.get_all_asset_keys() == local_repo.asset_graph.get_all_asset_keys()
    assert set(cluster_repo.asset_checks_defs_by_key) == set(local_repo.asset_checks_defs_by_key)
    assert {s.name for s in cluster_repo.schedule_defs} == {s.name for s in local_repo.schedule_defs}
    assert {s.name for s in cluster_repo.sensor_defs} == {s.name for s in local_repo.sensor_defs}
    assert set(cluster_repo.job_names) == set(local_repo.job_names)
    assert cluster.defs.loggers == local.loggers  # a command's run config selects btcflows_command there too
    assert not cluster.defs.resources["great_expectations"].separate_process  # raw step and check: two pods


def test_every_job_runs_its_steps_as_kubernetes_jobs_with_dbt_one_step(cluster):
    job = cluster.defs.resolve_job_def("materialize_all")
    assert job.executor_def.name == "btcflows_k8s_job_executor"
    steps = {node.name for node in job.nodes}
    assert {f"archive__{name.replace('-', '_')}" for name in sources.names()} <= steps
    assert {f"raw__{name}" for name in DATASETS} <= steps
    assert [s for s in steps if s.startswith("dbt")] == ["dbt_models"]
    assert "dbt_models" in cluster.EXECUTOR_CONFIG["per_step_k8s_config"]
    for schedule in cluster.defs.get_repository_def().schedule_defs:
        assert cluster.defs.resolve_job_def(schedule.job_name).executor_def.name == "btcflows_k8s_job_executor"


def test_the_executor_settings_pass_dagster_k8s_schema(cluster):
    from dagster_k8s import k8s_job_executor

    checked = process_config(k8s_job_executor.config_schema.config_type, cluster.EXECUTOR_CONFIG)
    assert checked.success, checked.errors


def test_the_documented_instance_passes_dagsters_and_dagster_k8s_schemas(monkeypatch):
    from dagster_k8s import K8sRunLauncher

    for name in ("DAGSTER_PG_HOST", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD"):
        monkeypatch.setenv(name, "x")
    instance = yaml.safe_load(INSTANCE_YAML.read_text())
    checked = process_config(dagster_instance_config_schema(), instance)
    assert checked.success, checked.errors
    assert instance["run_launcher"]["class"] == "K8sRunLauncher"
    launcher = process_config(K8sRunLauncher.config_type(), instance["run_launcher"]["config"])
    assert launcher.success, launcher.errors
