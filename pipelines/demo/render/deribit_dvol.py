"""Deribit DVOL as fetched for New York date `day`: the 1D candle starting 00:00 UTC that date, in
the JSON-RPC envelope. The canonical data holds only the close: the candle opens at the previous
day's close (its own close when there is none) and high/low span the two."""
from __future__ import annotations

import json
from datetime import date

import pandas as pd

from pipelines.sources import deribit_dvol
from pipelines.sources.base import Fetched
from pipelines.timeutils import snapshot_instant


def render(canonical: dict[str, pd.DataFrame], day: date) -> list[Fetched]:
    frame = canonical.get("vol_index_daily")
    if frame is None or frame.empty:
        return []
    rows = frame[(frame["source"] == deribit_dvol.NAME) & (frame["index_name"] == f"DVOL-{deribit_dvol.CURRENCY}")]
    dates = pd.to_datetime(rows["trade_date"]).dt.date
    today = rows[dates == day]
    if today.empty:
        return []
    close = float(today["close"].iloc[-1])
    earlier = rows[dates < day].assign(d=dates[dates < day]).sort_values("d", kind="stable")
    open_ = float(earlier["close"].iloc[-1]) if not earlier.empty else close
    start_ms, end_ms = deribit_dvol.utc_day_ms(day)
    answered_us = int(snapshot_instant(day).timestamp() * 1_000_000) + 4 * 3_600_000_000
    body = {"jsonrpc": "2.0",
            "result": {"data": [[start_ms, open_, max(open_, close), min(open_, close), close]], "continuation": None},
            "usIn": answered_us - 812, "usOut": answered_us, "usDiff": 812, "testnet": False}
    params = {"currency": deribit_dvol.CURRENCY, "start_timestamp": start_ms, "end_timestamp": end_ms,
              "resolution": deribit_dvol.RESOLUTION}
    data = json.dumps(body, separators=(",", ":")).encode()
    return [Fetched(data, "get_volatility_index_data", deribit_dvol.ENDPOINTS["get_volatility_index_data"],
                    params, "application/json", "json")]
