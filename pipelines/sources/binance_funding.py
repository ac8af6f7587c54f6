"""Binance USD-M BTCUSDT funding rates -> funding_rates.

Endpoint: `fapi.binance.com/fapi/v1/fundingRate?symbol&startTime&endTime&limit` (limit <= 1000,
ascending; ms window). Units: `fundingRate` a decimal per 8-hour interval (0.0001 = 0.01%),
settled 00:00/08:00/16:00 UTC. Quirks: numbers are strings; `fundingTime` is stamped a few ms after
the settlement, so it is cut to the second (as in the project's real data); `markPrice` may be "".
`{"code","msg"}` error bodies. History: full, no snapshot needed.
"""
from __future__ import annotations

from datetime import date

from pipelines.archive import PayloadMeta
from pipelines.sources.base import Fetched, Parsed, ParseError, frame, ms_to_utc, to_float
from pipelines.sources.binance_common import check_request_window, fetch_day_pages, parse_list_body
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
    body = parse_list_body(NAME, payload)
    default_symbol = (meta.params or {}).get("symbol", SYMBOL)
    by_key: dict = {}
    times_ms = []
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
        times_ms.append(int(str(row["fundingTime"]).strip()))
        symbol = row.get("symbol") or default_symbol
        by_key[(ts, symbol)] = {"ts_utc": ts, "venue": VENUE, "symbol": symbol,
                                "funding_rate": rate, "source": NAME}
    check_request_window(NAME, meta, times_ms, "fundingTime")
    return Parsed(DATASET, frame(DATASET, [by_key[k] for k in sorted(by_key)]))


def fetch(client: HttpClient, day: date) -> list[Fetched]:
    return fetch_day_pages(client, NAME, "fundingRate", ENDPOINTS["fundingRate"], day, {"symbol": SYMBOL},
                           PAGE_LIMIT, lambda r: int(r["fundingTime"]))
