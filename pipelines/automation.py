"""Partitions (daily, America/New_York), jobs and schedules."""
from __future__ import annotations

from datetime import date

import dagster as dg

PARTITIONS_START = "2024-01-01"
TIMEZONE = "America/New_York"
# Every raw and dbt asset shares one daily partitioning: a partition is the New York date (the
# trading date for ETF/equity/CME data, the calendar date for 24/7 crypto data).
daily_partitions = dg.DailyPartitionsDefinition(start_date=PARTITIONS_START, timezone=TIMEZONE, end_offset=1)
# DuckDB has one writer: every asset that writes the warehouse runs in this pool.
DUCKDB_POOL = "duckdb"


def window_vars(start: date, end: date) -> dict[str, str]:
    """A partition window as dbt vars."""
    if end < start:
        raise ValueError(f"window end {end} is before its start {start}")
    return {"min_date": start.isoformat(), "max_date": end.isoformat()}


def partition_window(context) -> tuple[date, date]:
    """The run's partition window as dates (one partition or a single-run range)."""
    keys = context.partition_key_range
    return date.fromisoformat(keys.start), date.fromisoformat(keys.end)
