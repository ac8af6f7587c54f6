"""Yahoo Finance chart v8: daily and hourly bars; `BTC=F` daily as the rolled CME front month.

Endpoint: GET https://query1.finance.yahoo.com/v8/finance/chart/{symbol}?period1&period2 (s)
&interval (1d | 60m)&includePrePost=false&events=div,split. Unofficial, no key; 429s for script
User-Agents (back off hard). Units: quote currency; volume in shares (BTC-USD: USD; BTC=F:
contracts). Datasets: interval 1d -> daily_bars (BTC=F -> futures_daily: venue CME, contract
BTC-front-continuous, no expiry, settle = the daily close, which is the last trade, not CME's
settlement); 60m/1h -> hourly_bars keyed by bar start (UTC).
Quirks handled: daily timestamps are the session open (09:30 ET; BTC-USD 00:00 UTC): the trade
date is the timestamp's date in meta.exchangeTimezoneName; a bar with any null price is dropped
(gap or halt, never forward-filled); a daily bar dated after the fetch's partition date is the
live, unfinished bar and is dropped (hourly bars are taken as served); a result without
`timestamp` = no bars; the error body {"chart":{"result":null,"error":{...}}}. Values are kept
as served (float noise such as 1032.47998046875 is not rounded here).
History: 1d unlimited, 1h ~730 days, 1m ~7 days.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipelines.archive import PayloadMeta
from pipelines.sources.base import (
    Fetched,
    Parsed,
    ParseError,
    frame,
    load_json,
    partition_date,
    s_to_utc,
    to_float,
)
from pipelines.sources.http import BROWSER_USER_AGENT, HttpClient
from pipelines.timeutils import NEW_YORK, is_trading_day

NAME = "yahoo"
DATASETS = ("daily_bars", "hourly_bars", "futures_daily")
EXT = "json"
RATE_PER_SECOND = 0.5
USER_AGENT = BROWSER_USER_AGENT  # script User-Agents get 429s
SNAPSHOT = False
ENDPOINTS = {"chart": "https://query1.finance.yahoo.com/v8/finance/chart/{symbol}"}

CME_FRONT_SYMBOL = "BTC=F"
CME_FRONT_CONTRACT = "BTC-front-continuous"
CRYPTO_SYMBOLS = ("BTC-USD",)
DAILY_SYMBOLS = ("IBIT", "FBTC", "GBTC", "ETHA", "BITO", "COIN", "MSTR", "MARA", "RIOT", "QQQ", "SPY",
                 "GLD", "TLT", "IWM", "UUP", "HYG", "XLK", "IGV", "BTC-USD", CME_FRONT_SYMBOL)
HOURLY_SYMBOLS = ("BTC-USD", "QQQ", "SPY", "GLD", "TLT", "IWM", "HYG")
DAILY_INTERVALS = ("1d",)
HOURLY_INTERVALS = ("60m", "1h")
PRICE_FIELDS = ("open", "high", "low", "close")


def _chart_result(payload: bytes) -> dict | None:
    body = load_json(NAME, payload)
    chart = body.get("chart") if isinstance(body, dict) else None
    if not isinstance(chart, dict):
        raise ParseError(NAME, "no 'chart' object", field="chart")
    if chart.get("error"):
        err = chart["error"]
        what = f"{err.get('code')}: {err.get('description')}" if isinstance(err, dict) else str(err)
        raise ParseError(NAME, f"error body: {what}", field="chart.error")
    results = chart.get("result")
    if not isinstance(results, list) or not results or not isinstance(results[0], dict):
        raise ParseError(NAME, "chart.result is empty", field="chart.result")
    return results[0]


def _series(quote: dict, name: str, n: int) -> list:
    values = quote.get(name)
    if values is None:
        return [None] * n
    if not isinstance(values, list) or len(values) != n:
        raise ParseError(NAME, f"{name} has {len(values) if isinstance(values, list) else values!r} "
                               f"values for {n} timestamps", field=f"indicators.quote[0].{name}")
    return values


def _bars(result: dict) -> list[dict]:
    """(timestamp, open, high, low, close, volume) per bar; bars with a null price dropped."""
    timestamps = result.get("timestamp") or []
    if not isinstance(timestamps, list):
        raise ParseError(NAME, "timestamp is not a list", field="timestamp")
    quotes = (result.get("indicators") or {}).get("quote") or [{}]
    quote = quotes[0] if isinstance(quotes[0], dict) else {}
    n = len(timestamps)
    columns = {f: _series(quote, f, n) for f in (*PRICE_FIELDS, "volume")}
    bars = []
    for i, ts in enumerate(timestamps):
        values = {f: to_float(NAME, columns[f][i], field=f"indicators.quote[0].{f}[{i}]")
                  for f in (*PRICE_FIELDS, "volume")}
        if any(values[f] is None for f in PRICE_FIELDS):
            continue
        bars.append({"ts": ts, **values})
    return bars


def dataset_for(meta: PayloadMeta) -> str | None:
    """The dataset a chart payload holds, read from its request alone (None: parse to find out)."""
    interval = (meta.params or {}).get("interval")
    if interval in HOURLY_INTERVALS:
        return "hourly_bars"
    if interval in DAILY_INTERVALS:
        symbol = unquote(meta.url or "").rstrip("/").rsplit("/", 1)[-1]
        return "futures_daily" if symbol == CME_FRONT_SYMBOL else "daily_bars"
    return None


def parse(payload: bytes, meta: PayloadMeta) -> Parsed:
    result = _chart_result(payload)
    info = result.get("meta") or {}
    symbol = info.get("symbol")
    if not symbol:
        raise ParseError(NAME, "meta has no symbol", field="meta.symbol")
    interval = info.get("dataGranularity") or (meta.params or {}).get("interval")
    bars = _bars(result)

    if interval in HOURLY_INTERVALS:
        records = [{"bar_start_utc": s_to_utc(NAME, b["ts"], field="timestamp"), "symbol": symbol,
                    **{f: b[f] for f in (*PRICE_FIELDS, "volume")}, "source": NAME} for b in bars]
        return Parsed("hourly_bars", frame("hourly_bars", records))
    if interval not in DAILY_INTERVALS:
        raise ParseError(NAME, f"unsupported interval {interval!r}", field="meta.dataGranularity")

    tz_name = info.get("exchangeTimezoneName")
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, TypeError, ValueError):
        raise ParseError(NAME, f"unknown time zone {tz_name!r}", field="meta.exchangeTimezoneName") from None
    last_day = partition_date(meta)
    dated = []
    for b in bars:
        trade_date = s_to_utc(NAME, b["ts"], field="timestamp").replace(tzinfo=UTC).astimezone(tz).date()
        if last_day is not None and trade_date > last_day:
            continue  # the live, unfinished bar
        dated.append((trade_date, b))

    if symbol == CME_FRONT_SYMBOL:
        records = [{"trade_date": d, "venue": "CME", "contract": CME_FRONT_CONTRACT, "expiry_date": None,
                    "settle": b["close"], "volume": b["volume"], "open_interest": None, "source": NAME}
                   for d, b in dated]
        return Parsed("futures_daily", frame("futures_daily", records))
    records = [{"trade_date": d, "symbol": symbol, **{f: b[f] for f in (*PRICE_FIELDS, "volume")},
                "source": NAME} for d, b in dated]
    return Parsed("daily_bars", frame("daily_bars", records))


def _epoch(ts: datetime) -> int:
    return int(ts.timestamp())


def chart_params(day: date, interval: str) -> dict:
    """Daily: the UTC day (it holds the 09:30 ET open and BTC-USD's 00:00 UTC bar); hourly: the
    New York day."""
    tz = UTC if interval in DAILY_INTERVALS else NEW_YORK
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return {"period1": str(_epoch(start)), "period2": str(_epoch(end)), "interval": interval,
            "includePrePost": "false", "events": "div,split"}


def fetch(client: HttpClient, day: date) -> list[Fetched]:
    """Daily bars for trade date `day` and hourly bars for the New York day; crypto only on days
    NYSE is closed."""
    trading = is_trading_day(day)
    wanted = [(s, "1d") for s in DAILY_SYMBOLS if trading or s in CRYPTO_SYMBOLS]
    wanted += [(s, "60m") for s in HOURLY_SYMBOLS if trading or s in CRYPTO_SYMBOLS]
    out = []
    for symbol, interval in wanted:
        url = ENDPOINTS["chart"].format(symbol=symbol)
        params = chart_params(day, interval)
        resp = client.get(url, params=params)
        out.append(Fetched(resp.content, "chart", url, params,
                           resp.headers.get("content-type", "application/json"), EXT))
    return out
