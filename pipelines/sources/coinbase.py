"""Coinbase Exchange: BTC-USD hourly candles.

Endpoint: GET https://api.exchange.coinbase.com/products/BTC-USD/candles?granularity=3600&start=&end=
(ISO 8601, no key). Body `[[time, low, high, open, close, volume], ...]`: time = bucket start in
Unix seconds, prices in USD, volume in BTC. Quirks handled: newest first (sorted ascending),
repeated buckets across pages (deduped on time, first kept), low before high and open fourth,
hours without trades absent (left missing, never a zero bar), an error object instead of a list.
At most 300 buckets per request (a longer range is rejected, not truncated): fetch pages in
windows of <= 300 buckets. History: years; no snapshot needed.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from pipelines.archive import PayloadMeta
from pipelines.sources.base import Fetched, Parsed, ParseError, frame, load_json, s_to_utc, to_float
from pipelines.sources.http import HttpClient
from pipelines.timeutils import NEW_YORK

NAME = "coinbase"
DATASETS = ("hourly_bars",)
EXT = "json"
RATE_PER_SECOND = 3.0  # the limit is 10/s per IP; the endpoint is not meant for polling
SNAPSHOT = False
PRODUCT = "BTC-USD"
GRANULARITY_S = 3600
MAX_BUCKETS = 300
ENDPOINTS = {"candles": "https://api.exchange.coinbase.com/products/{product}/candles"}


def parse(payload: bytes, meta: PayloadMeta) -> Parsed:
    body = load_json(NAME, payload)
    if isinstance(body, dict):
        raise ParseError(NAME, f"error body: {body.get('message', body)!r}", field="message")
    if not isinstance(body, list):
        raise ParseError(NAME, f"expected a list of candles, got {type(body).__name__}")
    by_time: dict[int, dict] = {}
    for i, candle in enumerate(body):
        if not isinstance(candle, list) or len(candle) < 6:
            raise ParseError(NAME, f"candle {i} is not [time, low, high, open, close, volume]: {candle!r}",
                             field=f"[{i}]")
        t, low, high, open_, close, volume = candle[:6]
        start = s_to_utc(NAME, t, field=f"[{i}].time")
        if int(t) in by_time:
            continue
        values = {k: to_float(NAME, v, field=f"[{i}].{k}")
                  for k, v in (("low", low), ("high", high), ("open", open_), ("close", close), ("volume", volume))}
        if values["close"] is None:
            raise ParseError(NAME, f"candle {i} has no close", field=f"[{i}].close")
        by_time[int(t)] = {"bar_start_utc": start, "symbol": PRODUCT, **values, "source": NAME}
    records = [by_time[t] for t in sorted(by_time)]
    return Parsed("hourly_bars", frame("hourly_bars", records))


def iso_utc(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_york_day_utc(day: date) -> tuple[datetime, datetime]:
    """[start, end) of the New York calendar day as aware UTC instants (23, 24 or 25 hours)."""
    start = datetime.combine(day, time(0), tzinfo=NEW_YORK).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=NEW_YORK).astimezone(UTC)
    return start, end


def windows(start: datetime, end: datetime, granularity_s: int = GRANULARITY_S,
            max_buckets: int = MAX_BUCKETS) -> list[tuple[datetime, datetime]]:
    """Request windows covering the buckets starting in [start, end), each naming at most
    `max_buckets` buckets (start and end both inclusive bucket starts)."""
    step = timedelta(seconds=granularity_s)
    out, lo = [], start
    while lo < end:
        hi = min(lo + step * max_buckets, end)
        out.append((lo, hi - step))
        lo = hi
    return out


def fetch_range(client: HttpClient, start: datetime, end: datetime) -> list[Fetched]:
    url = ENDPOINTS["candles"].format(product=PRODUCT)
    out = []
    for lo, hi in windows(start, end):
        params = {"granularity": GRANULARITY_S, "start": iso_utc(lo), "end": iso_utc(hi)}
        resp = client.get(url, params=params)
        out.append(Fetched(resp.content, "candles", url, params,
                           resp.headers.get("content-type", "application/json"), EXT))
    return out


def fetch(client: HttpClient, day: date) -> list[Fetched]:
    """The hours of New York date `day` (one request: a day is far below 300 buckets)."""
    return fetch_range(client, *new_york_day_utc(day))
