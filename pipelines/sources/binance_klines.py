"""Binance USD-M BTCUSDT hourly klines -> hourly_bars.

Endpoint: `fapi.binance.com/fapi/v1/klines?symbol&interval=1h&startTime&endTime&limit` (limit <=
1500). Each kline is an array of 12: [open_time ms, open, high, low, close, volume (BTC),
close_time ms, quote_volume (USDT), trades, taker_buy_base, taker_buy_quote, ignore]; bar_start_utc
= open_time. Quirks: prices and volumes are strings; `{"code","msg"}` error bodies; overlapping
pages are deduplicated on open_time. History: full, no snapshot needed.
"""
from __future__ import annotations

from datetime import date

from pipelines.archive import PayloadMeta
from pipelines.sources.base import Fetched, Parsed, ParseError, frame, ms_to_utc, to_float
from pipelines.sources.binance_common import check_request_window, fetch_day_pages, parse_list_body
from pipelines.sources.http import HttpClient

NAME = "binance-klines"
DATASETS = ("hourly_bars",)
EXT = "json"
RATE_PER_SECOND = 2.0
SNAPSHOT = False
ENDPOINTS = {"klines": "https://fapi.binance.com/fapi/v1/klines"}
SYMBOL = "BTCUSDT"
INTERVAL = "1h"
PAGE_LIMIT = 1500
KLINE_FIELDS = ("open_time", "open", "high", "low", "close", "volume", "close_time")
DATASET = "hourly_bars"


def parse(payload: bytes, meta: PayloadMeta) -> Parsed:
    body = parse_list_body(NAME, payload, "klines")
    symbol = (meta.params or {}).get("symbol", SYMBOL)
    by_start: dict = {}
    for i, kline in enumerate(body):
        if not isinstance(kline, list) or len(kline) < len(KLINE_FIELDS):
            raise ParseError(NAME, f"kline {i} is not an array of 12: {str(kline)[:80]}", field=f"[{i}]")
        start = ms_to_utc(NAME, kline[0], "open_time")
        values = {f: to_float(NAME, kline[j], f) for j, f in enumerate(KLINE_FIELDS[1:6], start=1)}
        if values["close"] is None:
            raise ParseError(NAME, f"kline {i} has no close", field="close")
        by_start[start] = {"bar_start_utc": start, "symbol": symbol, **values, "source": NAME}
    check_request_window(NAME, meta, [int(str(k[0]).strip()) for k in body], "open_time")
    return Parsed(DATASET, frame(DATASET, [by_start[k] for k in sorted(by_start)]))


def fetch(client: HttpClient, day: date) -> list[Fetched]:
    return fetch_day_pages(client, NAME, "klines", ENDPOINTS["klines"], day,
                           {"symbol": SYMBOL, "interval": INTERVAL}, PAGE_LIMIT, lambda k: int(k[0]))
