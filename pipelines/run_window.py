"""The window of New York dates a run covers, and the run tags that name it.

Only the raw tables are partitioned; the archive assets, the checks, the dbt models and the report
run once per run over the run's window. A run names its window in one of three ways:

* one partition (`dagster/partition`): a scheduled day, or one day from the UI or the CLI;
* a partition range (`dagster/asset_partition_range_start`/`_end`): a single-run backfill, the
  marts sensor's refresh, `btcflows materialize` over up to BULK_RUN_MIN_DAYS days;
* a bulk window (`btcflows/window_start`/`_end`): the same job run without partitions, for long
  windows (the demo, imports, backfills of months or years). Dagster records every asset
  materialization of a partition range once per partition; over two years that is ~8,000 events for
  the 11 raw tables, minutes of bookkeeping (see BENCHMARKS.md). A bulk run records one
  materialization per asset, for the window its metadata names; the rows written are the same.
"""
from __future__ import annotations

from datetime import date

import dagster as dg

PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
WINDOW_START_TAG = "btcflows/window_start"
WINDOW_END_TAG = "btcflows/window_end"
# Windows longer than this run as bulk runs.
BULK_RUN_MIN_DAYS = 31


def window_tags(start: date, end: date) -> dict[str, str]:
    """The tags of a run over [start, end]: a partition, a partition range, or a bulk window."""
    if end < start:
        raise ValueError(f"window end {end} is before its start {start}")
    if start == end:
        return {PARTITION_TAG: start.isoformat()}
    if (end - start).days + 1 > BULK_RUN_MIN_DAYS:
        return {WINDOW_START_TAG: start.isoformat(), WINDOW_END_TAG: end.isoformat()}
    return {RANGE_START_TAG: start.isoformat(), RANGE_END_TAG: end.isoformat()}


def is_bulk(tags: dict[str, str]) -> bool:
    return WINDOW_START_TAG in tags


def window_from_tags(tags: dict[str, str]) -> tuple[date, date] | None:
    for first, last in ((WINDOW_START_TAG, WINDOW_END_TAG), (RANGE_START_TAG, RANGE_END_TAG)):
        if first in tags and last in tags:
            return date.fromisoformat(tags[first]), date.fromisoformat(tags[last])
    if PARTITION_TAG in tags:
        day = date.fromisoformat(tags[PARTITION_TAG])
        return day, day
    return None


def run_window(context) -> tuple[date, date]:
    """The run's window as dates, from an asset's or a check's context."""
    if getattr(context, "has_partition_key_range", False) or getattr(context, "has_partition_key", False):
        keys = context.partition_key_range
        return date.fromisoformat(keys.start), date.fromisoformat(keys.end)
    run = getattr(context, "run", None) or context.op_execution_context.run
    window = window_from_tags(run.tags)
    if window is None:
        raise dg.Failure("this step needs a window: run it for a partition or a range of partitions (in the UI), "
                         f"or with the tags {WINDOW_START_TAG} and {WINDOW_END_TAG} (YYYY-MM-DD), "
                         "or from the command line: btcflows materialize --start D --end D")
    return window
