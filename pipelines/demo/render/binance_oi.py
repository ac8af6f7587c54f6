"""Binance openInterestHist as fetched for New York date `day`: the hourly BTCUSDT rows stamped in
that New York day, oldest first, numbers as 8-decimal strings, `timestamp` an integer ms.
(`CMCCirculatingSupply`, which the live API adds, is left out: the canonical data does not hold it.)
Also the number and time helpers the other Binance renderers share."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pandas as pd

from pipelines.sources import binance_oi
from pipelines.sources.base import Fetched
from pipelines.sources.binance_common import new_york_day_ms


def binance_decimal(value) -> str | None:
    """Binance writes decimals as strings with 8 places ("20403.63700000"); more places when the
    value needs them, so the string always reads back as the same float."""
    if value is None or pd.isna(value):
        return None
    value = float(value)
    fixed = f"{value:.8f}"
    if float(fixed) == value:
        return fixed
    return format(Decimal(repr(value)), "f")


def utc_naive(values: pd.Series) -> pd.Series:
    ts = pd.to_datetime(values)
    if ts.dt.tz is not None:
        ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
    return ts


def epoch_ms(ts: pd.Timestamp) -> int:
    return int(ts.to_pydatetime().replace(tzinfo=UTC).timestamp() * 1000)


def rows_in_new_york_day(frame: pd.DataFrame | None, source: str, ts_column: str, day: date) -> pd.DataFrame:
    """The source's rows whose UTC instant falls in New York date `day`, oldest first."""
    if frame is None or frame.empty:
        return pd.DataFrame()
    rows = frame[frame["source"] == source]
    if rows.empty:
        return rows
    start_ms, end_ms = new_york_day_ms(day)
    start = pd.Timestamp(datetime.fromtimestamp(start_ms / 1000, UTC).replace(tzinfo=None))
    end = pd.Timestamp(datetime.fromtimestamp((end_ms + 1) / 1000, UTC).replace(tzinfo=None))
    ts = utc_naive(rows[ts_column])
    rows = rows.assign(ts_value=ts)[(ts >= start) & (ts < end)]
    return rows.sort_values("ts_value", kind="stable")


def render(canonical: dict[str, pd.DataFrame], day: date) -> list[Fetched]:
    rows = rows_in_new_york_day(canonical.get("perp_open_interest"), binance_oi.NAME, "ts_utc", day)
    if rows.empty:
        return []
    rows = rows[rows["symbol"] == binance_oi.SYMBOL]
    body = [
        {
            "symbol": r.symbol,
            "sumOpenInterest": binance_decimal(r.open_interest_base),
            "sumOpenInterestValue": binance_decimal(r.open_interest_usd),
            "timestamp": epoch_ms(r.ts_value),
        }
        for r in rows.itertuples(index=False)
    ]
    if not body:
        return []
    start_ms, end_ms = new_york_day_ms(day)
    params = {"symbol": binance_oi.SYMBOL, "period": binance_oi.PERIOD, "limit": binance_oi.PAGE_LIMIT,
              "startTime": start_ms, "endTime": end_ms}
    data = json.dumps(body, separators=(",", ":")).encode()
    return [Fetched(data, "openInterestHist", binance_oi.ENDPOINTS["openInterestHist"], params,
                    "application/json", "json")]
