"""The ingest schedules: each runs its job (archive/<source> + raw/<dataset> for its sources,
pipelines/jobs.py) for one New York partition, in live mode (fetch, archive every response, parse;
BTCFLOWS_SCHEDULE_MODE=replay makes them parse what the archive holds instead, e.g. on a machine
that must not fetch).
They are stopped by default: turn them on in the UI (Automation) or with `dagster schedule start`
on a machine that should fetch. The marts and the report follow through the marts sensor
(pipelines/sensors.py).

A new source's daily fetch: one IngestSchedule below (its job is made from it).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import dagster as dg

from pipelines.partitions import TIMEZONE
from pipelines.timeutils import NEW_YORK, trading_days

SCHEDULE_MODE_ENV = "BTCFLOWS_SCHEDULE_MODE"


def schedule_run_config() -> dict:
    """The ingest settings of a scheduled run: live, unless BTCFLOWS_SCHEDULE_MODE says otherwise."""
    mode = os.environ.get(SCHEDULE_MODE_ENV) or "live"
    if mode not in ("live", "replay"):
        raise ValueError(f"{SCHEDULE_MODE_ENV}={mode!r}: a scheduled run either fetches (live) or parses "
                         "what the archive holds (replay)")
    return {"resources": {"ingest": {"config": {"mode": mode}}}}


@dataclass(frozen=True)
class IngestSchedule:
    name: str
    cron: str
    sources: tuple[str, ...]
    partition: str  # "today" | "previous_trading_day"
    description: str

    @property
    def job_name(self) -> str:
        return self.name.replace("_schedule", "_job")


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


def ingest_run_request(spec: IngestSchedule, scheduled: datetime) -> dg.RunRequest:
    """What a tick of the schedule launches (also what tests launch "as the schedule would")."""
    partition = schedule_partition(spec.partition, scheduled)
    return dg.RunRequest(run_key=f"{spec.name}:{partition}", partition_key=partition, run_config=schedule_run_config())


def ingest_schedule(spec: IngestSchedule) -> dg.ScheduleDefinition:
    @dg.schedule(name=spec.name, cron_schedule=spec.cron, execution_timezone=TIMEZONE, job_name=spec.job_name,
                 description=spec.description)
    def _schedule(context: dg.ScheduleEvaluationContext):
        return ingest_run_request(spec, context.scheduled_execution_time)

    return _schedule


schedules = [ingest_schedule(spec) for spec in INGEST_SCHEDULES]
