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


RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
PARTITION_TAG = "dagster/partition"


def window_from_tags(tags: dict) -> tuple[date, date] | None:
    if RANGE_START_TAG in tags and RANGE_END_TAG in tags:
        return date.fromisoformat(tags[RANGE_START_TAG]), date.fromisoformat(tags[RANGE_END_TAG])
    if PARTITION_TAG in tags:
        day = date.fromisoformat(tags[PARTITION_TAG])
        return day, day
    return None


def partition_window(context) -> tuple[date, date]:
    """The run's partition window as dates (one partition or a single-run range).

    Only the raw tables are partitioned; the archive assets, the checks and the dbt models run once
    per run over the window the run's partition tags name (Dagster records events per asset and per
    partition, which made years-long single runs of ~70 partitioned assets cost minutes of pure
    bookkeeping)."""
    if getattr(context, "has_partition_key_range", False) or getattr(context, "has_partition_key", False):
        keys = context.partition_key_range
        return date.fromisoformat(keys.start), date.fromisoformat(keys.end)
    run = getattr(context, "run", None) or context.op_execution_context.run
    window = window_from_tags(run.tags)
    if window is None:
        raise dg.Failure("this step needs a partition window: run it together with raw/<dataset> assets for a "
                         "partition or a range of partitions (e.g. btcflows materialize --start D --end D)")
    return window


# -- schedules and sensors -------------------------------------------------------------------------
# Each ingest schedule runs archive/<source> + raw/<dataset> for its sources, in live mode (fetch,
# archive every response, parse), for one New York partition. They are stopped by default: turn them
# on in the UI (Automation) on a machine that should fetch. The marts and the report follow through
# `marts_after_raw_sensor`.
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from pipelines.timeutils import NEW_YORK, trading_days

LIVE_RUN_CONFIG = {"resources": {"ingest": {"config": {"mode": "live"}}}}


@dataclass(frozen=True)
class IngestSchedule:
    name: str
    cron: str
    sources: tuple[str, ...]
    partition: str  # "today" | "previous_trading_day"
    description: str


INGEST_SCHEDULES = (
    IngestSchedule(
        "market_close_schedule", "45 16 * * 1-5",
        ("yahoo", "stooq", "coinbase", "binance-klines", "binance-funding", "deribit-dvol"),
        "today",
        "16:45 New York, weekdays: daily bars (IBIT, peers, BTC=F), hourly BTC-USD, funding and DVOL "
        "for today's partition, 45 minutes after the 4 pm close.",
    ),
    IngestSchedule(
        "crypto_snapshots_schedule", "5 16 * * *",
        ("binance-oi", "deribit-options"),
        "today",
        "16:05 New York, every day: Binance open interest and the Deribit option chain (snapshot sources "
        "with short or no history: a missed day is lost) for today's partition, next to the 4 pm snapshot.",
    ),
    IngestSchedule(
        "evening_snapshots_schedule", "30 19 * * 1-5",
        ("cme-settlements", "occ-volume", "ishares"),
        "today",
        "19:30 New York, weekdays: CME settlements and open interest, OCC IBIT option volume and the iShares "
        "fund file (published after the close, little or no history kept) for today's partition.",
    ),
    IngestSchedule(
        "etf_flows_schedule", "30 9 * * 1-5",
        ("farside",),
        "previous_trading_day",
        "09:30 New York, weekdays: ETF flows are reported on T+1, so the morning run fetches the previous "
        "NYSE trading day's partition (Friday's on Monday).",
    ),
    IngestSchedule(
        "sec_filings_schedule", "30 22 * * 1-5",
        ("sec-edgar",),
        "today",
        "22:30 New York, weekdays: the day's 424B2 pricing supplements naming the iShares Bitcoin Trust (EDGAR "
        "takes filings until 22:00; later ones are dated the next business day) for today's partition.",
    ),
)


def previous_trading_day(day: date) -> date:
    """The last NYSE trading day strictly before `day`."""
    return trading_days(day - timedelta(days=14), day - timedelta(days=1))[-1]


def schedule_partition(rule: str, scheduled: datetime) -> str:
    """The partition key a schedule tick targets: the New York date of the tick, or the trading day before it."""
    today = scheduled.astimezone(NEW_YORK).date()
    return (today if rule == "today" else previous_trading_day(today)).isoformat()


def _ingest_job(spec: IngestSchedule) -> dg.UnresolvedAssetJobDefinition:
    from pipelines import sources

    datasets = sorted({ds for name in spec.sources for ds in sources.get(name).DATASETS})
    selection = dg.AssetSelection.assets(*[dg.AssetKey(["archive", n]) for n in spec.sources],
                                         *[dg.AssetKey(["raw", d]) for d in datasets])
    return dg.define_asset_job(
        spec.name.replace("_schedule", "_job"), selection=selection, partitions_def=daily_partitions,
        description=f"archive + raw for {', '.join(spec.sources)} ({', '.join(datasets)}).",
    )


def _ingest_schedule(spec: IngestSchedule) -> dg.ScheduleDefinition:
    @dg.schedule(name=spec.name, cron_schedule=spec.cron, execution_timezone=TIMEZONE, job=_ingest_job(spec),
                 description=spec.description)
    def _schedule(context: dg.ScheduleEvaluationContext):
        partition = schedule_partition(spec.partition, context.scheduled_execution_time)
        return dg.RunRequest(run_key=f"{spec.name}:{partition}", partition_key=partition, run_config=LIVE_RUN_CONFIG)

    return _schedule


ingest_schedules = [_ingest_schedule(spec) for spec in INGEST_SCHEDULES]

# dbt models (groups staging, intermediate, marts) and the report: rebuilt for the partitions that
# received new raw rows, as one run over their range (dbt reads the window from the run tags).
refresh_marts_job = dg.define_asset_job(
    "refresh_marts_job",
    selection=dg.AssetSelection.groups("staging", "intermediate", "marts") | dg.AssetSelection.assets("report"),
    partitions_def=daily_partitions,
    description="dbt build (staging -> intermediate -> marts, with tests) over a partition range, then the report.",
)

# Any mart will do: a run that rebuilt one rebuilt them all (one dbt build step).
MART_PROBE_KEY = dg.AssetKey(["marts", "fct_daily_snapshot_4pm_et"])


def raw_asset_keys() -> list[dg.AssetKey]:
    from pipelines.datasets import DATASETS

    return [dg.AssetKey(["raw", name]) for name in DATASETS]


@dg.sensor(
    job=refresh_marts_job,
    minimum_interval_seconds=120,
    description=(
        "Rebuilds the marts and the report after new raw partitions: collects raw/* materializations since "
        "the last tick (skipping runs that already rebuilt the marts, such as materialize_all and the demo) "
        "and requests one refresh_marts_job run over the range of their partitions."
    ),
)
def marts_after_raw_sensor(context: dg.SensorEvaluationContext):
    cursor = json.loads(context.cursor) if context.cursor else {}
    instance = context.instance
    mart_runs = {r.run_id for r in instance.fetch_materializations(MART_PROBE_KEY, limit=200).records}
    partitions: set[str] = set()
    for key in raw_asset_keys():
        name = key.to_user_string()
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, after_storage_id=cursor.get(name)), limit=1000, ascending=True
        ).records
        for record in records:
            cursor[name] = max(cursor.get(name) or 0, record.storage_id)
            if record.partition_key and not (record.run_id and record.run_id in mart_runs):
                partitions.add(record.partition_key)
    context.update_cursor(json.dumps(cursor, sort_keys=True))
    if not partitions:
        return dg.SkipReason("no new raw partitions since the last tick")
    start, end = min(partitions), max(partitions)
    return dg.RunRequest(
        run_key=f"marts:{start}:{end}:{max(v for v in cursor.values() if v)}",
        tags={"dagster/asset_partition_range_start": start, "dagster/asset_partition_range_end": end},
    )


schedules = [*ingest_schedules]
sensors = [marts_after_raw_sensor]
