"""Binance fundingRate as fetched for New York date `day`: the BTCUSDT settlements stamped in that
New York day, oldest first; `fundingRate` an 8-decimal string, `fundingTime` integer ms.
`markPrice` is "" (as Binance serves it for rows without one): the canonical data has no mark."""
from __future__ import annotations

import json
from datetime import date

import pandas as pd

from pipelines.demo.render.binance_oi import binance_decimal, epoch_ms, rows_in_new_york_day
from pipelines.sources import binance_funding
from pipelines.sources.base import Fetched
from pipelines.sources.binance_common import new_york_day_ms


def render(canonical: dict[str, pd.DataFrame], day: date) -> list[Fetched]:
    rows = rows_in_new_york_day(canonical.get("funding_rates"), binance_funding.NAME, "ts_utc", day)
    if rows.empty:
        return []
    rows = rows[rows["symbol"] == binance_funding.SYMBOL]
    body = [
        {"symbol": r.symbol, "fundingTime": epoch_ms(r.ts_value),
         "fundingRate": binance_decimal(r.funding_rate), "markPrice": ""}
        for r in rows.itertuples(index=False)
    ]
    if not body:
        return []
    start_ms, end_ms = new_york_day_ms(day)
    params = {"symbol": binance_funding.SYMBOL, "startTime": start_ms, "endTime": end_ms,
              "limit": binance_funding.PAGE_LIMIT}
    data = json.dumps(body, separators=(",", ":")).encode()
    return [Fetched(data, "fundingRate", binance_funding.ENDPOINTS["fundingRate"], params,
                    "application/json", "json")]
