"""Binance USD-M BTCUSDT hourly klines -> hourly_bars.

Endpoint: `fapi.binance.com/fapi/v1/klines?symbol&interval=1h&startTime&endTime&limit` (limit <=
1500). Each kline is an array of 12: [open_time ms, open, high, low, close, volume (BTC),
close_time ms, quote_volume (USDT), trades, taker_buy_base, taker_buy_quote, ignore]; bar_start_utc
= open_time. Quirks: prices and volumes are strings; `{"code","msg"}` error bodies; overlapping
pages are deduplicated on open_time. History: full, no snapshot needed.
"""
from __future__ import annotations

import json
from datetime import date

from pipelines.archive import PayloadMeta
from pipelines.sources.base import Fetched, Parsed, ParseError, frame, ms_to_utc, to_float
from pipelines.sources.binance_oi import binance_json_page, new_york_day_ms
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
    try:
        body = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(NAME, f"not JSON: {exc}") from None
    if isinstance(body, dict) and "code" in body:
        raise ParseError(NAME, f"Binance error {body.get('code')}: {body.get('msg')}", field="code")
    if not isinstance(body, list):
        raise ParseError(NAME, f"expected a JSON list of klines, got {type(body).__name__}")
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
    return Parsed(DATASET, frame(DATASET, [by_start[k] for k in sorted(by_start)]))


def fetch(client: HttpClient, day: date) -> list[Fetched]:
    url = ENDPOINTS["klines"]
    start_ms, end_ms = new_york_day_ms(day)
    out = []
    while start_ms <= end_ms:
        params = {"symbol": SYMBOL, "interval": INTERVAL, "startTime": start_ms,
                  "endTime": end_ms, "limit": PAGE_LIMIT}
        resp = client.get(url, params)
        rows = binance_json_page(NAME, resp.content, str(resp.request.url))
        out.append(Fetched(resp.content, "klines", url, params,
                           resp.headers.get("content-type", "application/json"), "json"))
        if len(rows) < PAGE_LIMIT:
            break
        start_ms = max(int(k[0]) for k in rows) + 1
    return out
