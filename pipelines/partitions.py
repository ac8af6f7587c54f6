"""The daily partitions of the raw tables: a partition is a New York date (the trading date for
ETF/equity/CME data, the calendar date for 24/7 crypto data)."""
from __future__ import annotations

import dagster as dg

PARTITIONS_START = "2024-01-01"
TIMEZONE = "America/New_York"
# end_offset=1: today's partition exists from midnight New York on, so the 16:05 and 16:45
# schedules can fill it the same day.
daily_partitions = dg.DailyPartitionsDefinition(start_date=PARTITIONS_START, timezone=TIMEZONE, end_offset=1)
