"""Coinbase candles as fetched for New York date `day`: the hourly BTC-USD buckets starting in
that New York day, newest first, `[time, low, high, open, close, volume]` with JSON numbers."""
from __future__ import annotations

import json
from datetime import UTC, date

import pandas as pd

from pipelines.sources import coinbase
from pipelines.sources.base import Fetched


def _number(value):
    if value is None or pd.isna(value):
        return None
    value = float(value)
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def render(canonical: dict[str, pd.DataFrame], day: date) -> list[Fetched]:
    bars = canonical.get("hourly_bars")
    if bars is None or bars.empty:
        return []
    bars = bars[(bars["source"] == coinbase.NAME) & (bars["symbol"] == coinbase.PRODUCT)]
    start, end = coinbase.new_york_day_utc(day)
    starts = pd.to_datetime(bars["bar_start_utc"])
    lo, hi = pd.Timestamp(start.replace(tzinfo=None)), pd.Timestamp(end.replace(tzinfo=None))
    bars = bars.assign(start_ts=starts)[(starts >= lo) & (starts < hi)].sort_values("start_ts", ascending=False)
    if bars.empty:
        return []
    candles = [
        [int(row.start_ts.replace(tzinfo=UTC).timestamp()), _number(row.low), _number(row.high),
         _number(row.open), _number(row.close), _number(row.volume)]
        for row in bars.itertuples(index=False)
    ]
    url = coinbase.ENDPOINTS["candles"].format(product=coinbase.PRODUCT)
    (lo_w, hi_w), = coinbase.windows(start, end)
    params = {"granularity": coinbase.GRANULARITY_S, "start": coinbase.iso_utc(lo_w), "end": coinbase.iso_utc(hi_w)}
    data = json.dumps(candles, separators=(",", ":")).encode()
    return [Fetched(data, "candles", url, params, "application/json; charset=utf-8", coinbase.EXT)]
