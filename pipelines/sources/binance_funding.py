"""Binance USD-M BTCUSDT funding rates -> funding_rates.

Endpoint: `fapi.binance.com/fapi/v1/fundingRate?symbol&startTime&endTime&limit` (limit <= 1000,
ascending; ms window). Units: `fundingRate` a decimal per 8-hour interval (0.0001 = 0.01%),
settled 00:00/08:00/16:00 UTC. Quirks: numbers are strings; `fundingTime` is stamped a few ms after
the settlement, so it is cut to the second (as in the project's real data); `markPrice` may be "".
`{"code","msg"}` error bodies. History: full, no snapshot needed.
"""
from __future__ import annotations

import json
from datetime import date

from pipelines.archive import PayloadMeta
from pipelines.sources.base import Fetched, Parsed, ParseError, frame, ms_to_utc, to_float
from pipelines.sources.binance_oi import binance_json_page, new_york_day_ms
from pipelines.sources.http import HttpClient

NAME = "binance-funding"
DATASETS = ("funding_rates",)
EXT = "json"
RATE_PER_SECOND = 1.0  # 500 requests / 5 min / IP, shared with fundingInfo
SNAPSHOT = False
ENDPOINTS = {"fundingRate": "https://fapi.binance.com/fapi/v1/fundingRate"}
VENUE = "Binance"
SYMBOL = "BTCUSDT"
PAGE_LIMIT = 1000
DATASET = "funding_rates"


def parse(payload: bytes, meta: PayloadMeta) -> Parsed:
    try:
        body = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(NAME, f"not JSON: {exc}") from None
    if isinstance(body, dict) and "code" in body:
        raise ParseError(NAME, f"Binance error {body.get('code')}: {body.get('msg')}", field="code")
    if not isinstance(body, list):
        raise ParseError(NAME, f"expected a JSON list of rows, got {type(body).__name__}")
    default_symbol = (meta.params or {}).get("symbol", SYMBOL)
    by_key: dict = {}
    for i, row in enumerate(body):
        if not isinstance(row, dict):
            raise ParseError(NAME, f"row {i} is not an object", field=f"[{i}]")
        for key in ("fundingTime", "fundingRate"):
            if key not in row:
                raise ParseError(NAME, f"row {i} has no {key!r}", field=key)
        rate = to_float(NAME, row["fundingRate"], "fundingRate")
        if rate is None:
            raise ParseError(NAME, f"row {i} has an empty fundingRate", field="fundingRate")
        ts = ms_to_utc(NAME, row["fundingTime"], "fundingTime").replace(microsecond=0)
        symbol = row.get("symbol") or default_symbol
        by_key[(ts, symbol)] = {"ts_utc": ts, "venue": VENUE, "symbol": symbol,
                                "funding_rate": rate, "source": NAME}
    return Parsed(DATASET, frame(DATASET, [by_key[k] for k in sorted(by_key)]))


def fetch(client: HttpClient, day: date) -> list[Fetched]:
    url = ENDPOINTS["fundingRate"]
    start_ms, end_ms = new_york_day_ms(day)
    out = []
    while start_ms <= end_ms:
        params = {"symbol": SYMBOL, "startTime": start_ms, "endTime": end_ms, "limit": PAGE_LIMIT}
        resp = client.get(url, params)
        rows = binance_json_page(NAME, resp.content, str(resp.request.url))
        out.append(Fetched(resp.content, "fundingRate", url, params,
                           resp.headers.get("content-type", "application/json"), "json"))
        if len(rows) < PAGE_LIMIT:
            break
        start_ms = max(int(r["fundingTime"]) for r in rows) + 1
    return out
