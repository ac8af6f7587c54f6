"""Every job of the code location. The CLI, the UI, the schedules and the marts sensor launch these
same definitions.

Every job writes the one DuckDB file, which takes one writer at a time: its steps gain nothing from
a process each, and the multiprocess executor would start a Python process per step that imports
the whole code location again. So every job, and the UI's ad-hoc asset runs, runs its steps in the run's own process
(`in_process_executor`). The executor is the Definitions' (`Definitions(executor=...)`), not set per job,
so that another code location over the same jobs picks its own (pipelines/cluster.py).
"""
from __future__ import annotations

import dagster as dg

from pipelines.assets.raw import reference_tables
from pipelines.checks.raw_checks import freshness_checks
from pipelines.partitions import daily_partitions
from pipelines.schedules import INGEST_SCHEDULES, IngestSchedule

WAREHOUSE_EXECUTOR = dg.in_process_executor
# Written with the warehouse schema, not by a step: no job materializes them.
REFERENCE_TABLES = dg.AssetSelection.assets(*[spec.key for spec in reference_tables])
# The freshness sensor's, evaluated between runs, not steps of a run.
FRESHNESS_CHECKS = dg.AssetSelection.checks(*freshness_checks)

# archive -> raw (+ blocking checks) -> dbt -> report, for one partition, a partition range (a
# single-run backfill), or a bulk window (run tags: pipelines/run_window.py).
materialize_all = dg.define_asset_job(
    "materialize_all",
    selection=dg.AssetSelection.all() - REFERENCE_TABLES - FRESHNESS_CHECKS,
    description="Everything for a window: archive -> raw (+ blocking Great Expectations checks) -> dbt build "
                "(tests as checks) -> report. One partition, a partition range (single-run backfill), or a bulk "
                "window (tags btcflows/window_start and btcflows/window_end, YYYY-MM-DD). Ingest mode: "
                "resources.ingest.config.mode (replay, live, demo, files).",
)

# dbt models (groups staging, intermediate, marts) and the report, for the partitions that received
# new raw rows, as one run over their range (requested by pipelines/sensors.py).
refresh_marts_job = dg.define_asset_job(
    "refresh_marts_job",
    selection=dg.AssetSelection.groups("staging", "intermediate", "marts") | dg.AssetSelection.assets("report"),
    # its assets are not partitioned: this gives the launchpad a partition (range) picker
    partitions_def=daily_partitions,
    description="dbt build (staging -> intermediate -> marts, with tests) over a partition range, then the report.",
)


def ingest_job(spec: IngestSchedule) -> dg.UnresolvedAssetJobDefinition:
    """archive/<source> + raw/<dataset> for the sources of an ingest schedule."""
    from pipelines import sources

    datasets = sorted({ds for name in spec.sources for ds in sources.get(name).DATASETS})
    selection = dg.AssetSelection.assets(*[dg.AssetKey(["archive", n]) for n in spec.sources],
                                         *[dg.AssetKey(["raw", d]) for d in datasets]) - FRESHNESS_CHECKS
    return dg.define_asset_job(
        spec.job_name, selection=selection,
        description=f"archive + raw for {', '.join(spec.sources)} ({', '.join(datasets)}).",
    )


jobs = [materialize_all, refresh_marts_job, *[ingest_job(spec) for spec in INGEST_SCHEDULES]]
