"""The btcflows code location for a Kubernetes cluster: the same assets, checks, jobs, schedules and
sensors as `pipelines.definitions` (the graph does not change), run by dagster-k8s.

* Runs: the instance's `K8sRunLauncher` starts each run in its own pod (deploy/k8s/dagster.yaml).
* Steps: `k8s_job_executor` makes every step of a run a Kubernetes Job, so a backfill's archive steps
  (one per source: HTTP fetches) and raw steps (one per dataset: parse, write) fan out over the
  cluster, at most `max_concurrent` at once. The raw steps still share the `duckdb` pool: with the
  warehouse file on a shared volume, one writes at a time (the pool's limit is set on the instance).
* dbt stays one step: `dbt build` on the engine the pod's DBT_TARGET names (`spark_thrift`, or
  dbt-databricks), whose parallelism is the cluster's, reading the raw lake (BTCFLOWS_LAKE).

Serve it with `dagster code-server start -m pipelines.cluster` in the image the executor names
(docs/SCALING.md). Needs `pip install -e '.[cluster]'` (dagster-k8s).
"""
from __future__ import annotations

import dagster as dg
from dagster_k8s import k8s_job_executor

from pipelines.definitions import defs as local_defs
from pipelines.resources import GreatExpectationsWorker

NAMESPACE = "btcflows"
# Where a step pod finds the configuration (a ConfigMap: BTCFLOWS_LAKE, BTCFLOWS_WAREHOUSE,
# BTCFLOWS_ARCHIVE, DBT_TARGET=spark_thrift, BTCFLOWS_SPARK_HOST) and the credentials (a Secret:
# AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), and the shared volume of the archive and the warehouse file.
EXECUTOR_CONFIG = {
    "job_namespace": NAMESPACE,
    "max_concurrent": 8,
    "env_config_maps": ["btcflows-env"],
    "env_secrets": ["btcflows-object-storage"],
    "volumes": [{"name": "btcflows-data", "persistentVolumeClaim": {"claimName": "btcflows-data"}}],
    "volume_mounts": [{"name": "btcflows-data", "mountPath": "/data"}],
    "step_k8s_config": {
        "container_config": {"resources": {"requests": {"cpu": "500m", "memory": "1Gi"},
                                           "limits": {"memory": "4Gi"}}},
    },
    # the dbt step only submits SQL to the engine: a small pod, however big the cluster's work
    "per_step_k8s_config": {
        "dbt_models": {"container_config": {"resources": {"requests": {"cpu": "250m", "memory": "1Gi"}}}},
    },
}

cluster_executor = k8s_job_executor.configured(EXECUTOR_CONFIG, name="btcflows_k8s_job_executor")

defs = dg.Definitions(
    assets=local_defs.assets,
    asset_checks=local_defs.asset_checks,
    jobs=local_defs.jobs,
    schedules=local_defs.schedules,
    sensors=local_defs.sensors,
    # a step per pod: a GX worker started beside a raw step would validate for a check that runs in
    # another pod, so GX validates in the check's own process
    resources={**local_defs.resources, "great_expectations": GreatExpectationsWorker(separate_process=False)},
    loggers=local_defs.loggers,
    executor=cluster_executor,
)
