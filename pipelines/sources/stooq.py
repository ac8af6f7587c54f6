"""Stooq daily bars: the daily fallback for Yahoo.

Endpoint: GET https://stooq.com/q/d/l/?s=ibit.us&i=d&d1=YYYYMMDD&d2=YYYYMMDD (+ `apikey`, from
env BTCFLOWS_STOOQ_APIKEY, which Stooq reportedly needs since early 2026) -> CSV
`Date,Open,High,Low,Close,Volume`, ISO dates, oldest first, prices in the quote currency.
The symbol comes from the request's `s` parameter (`ibit.us` -> `IBIT`). Quirks handled: plain-
text bodies served with HTTP 200 - "No data" is a valid empty answer (zero rows); a quota body
("Exceeded the daily hits limit") is a failed fetch and, if archived, a ParseError naming its
first line; a missing Volume column (indices) -> null volume. History: full daily history.
"""
from __future__ import annotations

import csv
import io
import os
from datetime import date

from pipelines.archive import PayloadMeta
from pipelines.sources.base import Fetched, Parsed, ParseError, frame, to_float
from pipelines.sources.http import FetchError, HttpClient
from pipelines.timeutils import is_trading_day

NAME = "stooq"
DATASETS = ("daily_bars",)
EXT = "csv"
RATE_PER_SECOND = 0.2  # a small daily quota
SNAPSHOT = False
ENDPOINTS = {"daily": "https://stooq.com/q/d/l/"}
SYMBOLS = ("ibit.us", "fbtc.us", "gbtc.us", "qqq.us", "spy.us", "gld.us", "tlt.us", "iwm.us", "hyg.us")
HEADER = ["Date", "Open", "High", "Low", "Close"]
NO_DATA = "no data"
APIKEY_ENV = "BTCFLOWS_STOOQ_APIKEY"


def canonical_symbol(stooq_symbol: str) -> str:
    """`ibit.us` -> `IBIT`: drop the market suffix, upper case."""
    base = stooq_symbol.strip()
    if "." in base:
        base = base.rsplit(".", 1)[0]
    return base.upper()


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0].strip() if text.strip() else ""


def is_csv(text: str) -> bool:
    return _first_line(text).lstrip("\ufeff").split(",")[:5] == HEADER


def is_no_data(text: str) -> bool:
    return _first_line(text).lower().startswith(NO_DATA)


def parse(payload: bytes, meta: PayloadMeta) -> Parsed:
    text = payload.decode("utf-8-sig", errors="replace")
    if is_no_data(text):
        return Parsed("daily_bars", frame("daily_bars", []))
    if not is_csv(text):
        raise ParseError(NAME, f"not a price CSV: {_first_line(text)[:120]!r}", field="Date")
    stooq_symbol = (meta.params or {}).get("s")
    if not stooq_symbol:
        raise ParseError(NAME, "the request parameters name no symbol", field="s")
    symbol = canonical_symbol(stooq_symbol)
    records = []
    for i, row in enumerate(csv.DictReader(io.StringIO(text.strip())), start=2):
        try:
            trade_date = date.fromisoformat((row.get("Date") or "").strip())
        except ValueError:
            raise ParseError(NAME, f"line {i}: not an ISO date: {row.get('Date')!r}", field="Date") from None
        values = {k.lower(): to_float(NAME, row.get(k), field=f"{k} (line {i})") for k in HEADER[1:]}
        if values["close"] is None:
            raise ParseError(NAME, f"line {i} has no close", field="Close")
        volume = to_float(NAME, row.get("Volume"), field=f"Volume (line {i})")
        records.append({"trade_date": trade_date, "symbol": symbol, **values, "volume": volume, "source": NAME})
    return Parsed("daily_bars", frame("daily_bars", records))


def fetch(client: HttpClient, day: date) -> list[Fetched]:
    if not is_trading_day(day):
        return []
    url = ENDPOINTS["daily"]
    out = []
    for symbol in SYMBOLS:
        params = {"s": symbol, "i": "d", "d1": day.strftime("%Y%m%d"), "d2": day.strftime("%Y%m%d")}
        if os.environ.get(APIKEY_ENV):
            params["apikey"] = os.environ[APIKEY_ENV]
        resp = client.get(url, params=params)
        text = resp.content.decode("utf-8-sig", errors="replace")
        if not (is_csv(text) or is_no_data(text)):
            raise FetchError(NAME, url, resp.status_code, 1, f"served {_first_line(text)[:120]!r} instead of a CSV")
        out.append(Fetched(resp.content, "daily", url, {k: v for k, v in params.items() if k != "apikey"},
                           resp.headers.get("content-type", "text/csv"), EXT))
    return out
