"""Binance 1h klines as fetched for New York date `day`: the BTCUSDT bars starting in that New York
day, oldest first, arrays of 12 with prices and volumes as 8-decimal strings. Fields the canonical
bars do not hold are derived so they stay plausible (quote volume = volume x close, taker buys =
half the volume, trades = 0); the parser does not read them."""
from __future__ import annotations

import json
from datetime import date

import pandas as pd

from pipelines.demo.render.binance_oi import binance_decimal, epoch_ms, rows_in_new_york_day
from pipelines.sources import binance_klines
from pipelines.sources.base import Fetched
from pipelines.sources.binance_common import new_york_day_ms

HOUR_MS = 3_600_000


def _kline(r) -> list:
    open_ms = epoch_ms(r.ts_value)
    volume = None if pd.isna(r.volume) else float(r.volume)
    quote = None if volume is None else volume * float(r.close)
    half = None if volume is None else volume / 2
    return [open_ms, binance_decimal(r.open), binance_decimal(r.high), binance_decimal(r.low),
            binance_decimal(r.close), binance_decimal(volume), open_ms + HOUR_MS - 1,
            binance_decimal(quote), 0, binance_decimal(half),
            binance_decimal(None if quote is None else quote / 2), "0"]


def render(canonical: dict[str, pd.DataFrame], day: date) -> list[Fetched]:
    rows = rows_in_new_york_day(canonical.get("hourly_bars"), binance_klines.NAME, "bar_start_utc", day)
    if rows.empty:
        return []
    rows = rows[rows["symbol"] == binance_klines.SYMBOL]
    body = [_kline(r) for r in rows.itertuples(index=False)]
    if not body:
        return []
    start_ms, end_ms = new_york_day_ms(day)
    params = {"symbol": binance_klines.SYMBOL, "interval": binance_klines.INTERVAL,
              "startTime": start_ms, "endTime": end_ms, "limit": binance_klines.PAGE_LIMIT}
    data = json.dumps(body, separators=(",", ":")).encode()
    return [Fetched(data, "klines", binance_klines.ENDPOINTS["klines"], params, "application/json", "json")]
