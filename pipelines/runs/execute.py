"""How a `btcflows` command runs a job: it resolves the job from the Definitions and executes it in
this process (the job's own in-process executor, its resources), recording into the persistent
instance (pipelines/runs/instance.py). The mode and the other ingest settings go in as run config,
the window as run tags, exactly as the schedules and the sensor pass them: nothing is assembled here.
"""
from __future__ import annotations

import os
from datetime import date
from typing import Any

from pipelines.run_window import window_tags

MATERIALIZE_JOB = "materialize_all"


def ingest_run_config(**settings: Any) -> dict:
    """Run config for the `ingest` resource (pipelines/resources.py: mode, files_dir, demo_*, ...)."""
    return {"resources": {"ingest": {"config": settings}}}


def execute_job(job_name: str, start: date, end: date, *, ingest: dict[str, Any], tags: dict[str, str] | None = None,
                asset_selection=None):
    """Execute `job_name` over [start, end] in this process; its ExecuteInProcessResult."""
    from pipelines.definitions import defs
    from pipelines.runs.instance import instance

    job = defs.resolve_job_def(job_name)
    run_config = {**ingest_run_config(**ingest),
                  "loggers": {"console": {"config": {"log_level": os.environ.get("BTCFLOWS_LOG_LEVEL", "INFO")}}}}
    with instance() as dagster_instance:
        return job.execute_in_process(run_config=run_config, instance=dagster_instance, raise_on_error=False,
                                      tags={**window_tags(start, end), **(tags or {})},
                                      asset_selection=asset_selection)
