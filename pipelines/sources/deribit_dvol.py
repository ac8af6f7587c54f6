"""Deribit DVOL (BTC 30-day implied volatility index) daily candles -> vol_index_daily.

Endpoint: `deribit.com/api/v2/public/get_volatility_index_data?currency=BTC&start_timestamp&
end_timestamp&resolution=1D` (ms) -> `{"result": {"data": [[ts_ms, open, high, low, close], ...],
"continuation": ms | null}}`; a non-null continuation is the end_timestamp of the next (older)
page. trade_date = the UTC date of the candle's start; close in vol points (55.2 = 55.2%).
index_name `DVOL-<currency>`. `{"error":{...}}` -> ParseError. History: full, no snapshot needed.
"""
from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

from pipelines.archive import PayloadMeta
from pipelines.sources.base import (
    Fetched,
    Parsed,
    ParseError,
    deribit_out_of_credits,
    frame,
    load_jsonrpc,
    ms_to_utc,
    to_float,
)
from pipelines.sources.http import FetchError, HttpClient

NAME = "deribit-dvol"
DATASETS = ("vol_index_daily",)
EXT = "json"
RATE_PER_SECOND = 1.0
RETRY_WHEN = deribit_out_of_credits  # error 10028 (out of credits), even with HTTP 400: back off, retry
SNAPSHOT = False
ENDPOINTS = {
    "get_volatility_index_data": "https://www.deribit.com/api/v2/public/get_volatility_index_data",
}
CURRENCY = "BTC"
RESOLUTION = "1D"
DATASET = "vol_index_daily"
MAX_PAGES = 50  # a one-day window needs one; stop a continuation loop that never ends


def parse(payload: bytes, meta: PayloadMeta) -> Parsed:
    body = load_jsonrpc(NAME, payload)
    result = body.get("result")
    if not isinstance(result, dict) or not isinstance(result.get("data"), list):
        raise ParseError(NAME, "no 'result.data' list in the envelope", field="result.data")
    index_name = f"DVOL-{(meta.params or {}).get('currency', CURRENCY)}"
    by_date: dict = {}
    for i, candle in enumerate(result["data"]):
        if not isinstance(candle, list) or len(candle) < 5:
            raise ParseError(NAME, f"candle {i} is not [ts, open, high, low, close]", field=f"data[{i}]")
        close = to_float(NAME, candle[4], "close")
        if close is None:
            raise ParseError(NAME, f"candle {i} has no close", field="close")
        trade_date = ms_to_utc(NAME, candle[0], "timestamp").date()
        by_date[trade_date] = {"trade_date": trade_date, "index_name": index_name,
                               "close": close, "source": NAME}
    return Parsed(DATASET, frame(DATASET, [by_date[k] for k in sorted(by_date)]))


def utc_day_ms(day: date) -> tuple[int, int]:
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return int(start.timestamp() * 1000), int((start + timedelta(days=1)).timestamp() * 1000) - 1


def fetch(client: HttpClient, day: date) -> list[Fetched]:
    """The 1D candle starting at 00:00 UTC on `day` (complete at 19:00/20:00 New York)."""
    url = ENDPOINTS["get_volatility_index_data"]
    start_ms, end_ms = utc_day_ms(day)
    out = []
    for _ in range(MAX_PAGES):
        params = {"currency": CURRENCY, "start_timestamp": start_ms, "end_timestamp": end_ms,
                  "resolution": RESOLUTION}
        resp = client.get(url, params)
        try:
            body = json.loads(resp.content)
            continuation = body["result"].get("continuation")
            body["result"]["data"]
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError):
            raise FetchError(NAME, str(resp.request.url), resp.status_code, 1,
                             f"not a volatility-index result: {resp.text[:200]}") from None
        out.append(Fetched(resp.content, "get_volatility_index_data", url, params,
                           resp.headers.get("content-type", "application/json"), "json"))
        if continuation is None or int(continuation) < start_ms or int(continuation) >= end_ms:
            break
        end_ms = int(continuation)
    return out
