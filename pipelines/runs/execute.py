"""How a `btcflows` command runs a job: it resolves the job from the Definitions and executes it in
this process with the job's own executor (in-process) and resources, as a run worker launched by
the daemon does (`dg.execute_job` on the reconstructable job), recording into the persistent
instance (pipelines/runs/instance.py). The mode and the other ingest settings go in as run config,
the window as run tags, as the schedules and the sensor pass them: nothing is assembled here.
"""
from __future__ import annotations

import os
from datetime import date
from typing import Any

from pipelines.run_window import window_tags

MATERIALIZE_JOB = "materialize_all"


def resolved_job(name: str):
    """A job of the Definitions (what `dg.build_reconstructable_job` reconstructs the run's job from)."""
    from pipelines.definitions import defs

    return defs.resolve_job_def(name)


def ingest_run_config(**settings: Any) -> dict:
    """Run config for the `ingest` resource (pipelines/resources.py: mode, files_dir, demo_*, ...)."""
    return {"resources": {"ingest": {"config": settings}}}


def execute_job(job_name: str, start: date, end: date, *, ingest: dict[str, Any], tags: dict[str, str] | None = None,
                asset_selection=None):
    """Execute `job_name` over [start, end] in this process; its result (run id, success, events)."""
    import dagster as dg

    from pipelines.run_log import COMMAND_LOGGER
    from pipelines.runs.instance import instance

    job = dg.build_reconstructable_job(__name__, "resolved_job", reconstructable_args=(job_name,))
    run_config = {**ingest_run_config(**ingest),
                  "loggers": {COMMAND_LOGGER: {"config": {"log_level": os.environ.get("BTCFLOWS_LOG_LEVEL", "INFO")}}}}
    with instance() as dagster_instance:
        # Not opened as a context manager: that would initialize the resources again (and start the
        # run's side processes) only to read outputs back; the events are there without it.
        return dg.execute_job(job, dagster_instance, run_config=run_config,
                              tags={**window_tags(start, end), **(tags or {})}, asset_selection=asset_selection)
