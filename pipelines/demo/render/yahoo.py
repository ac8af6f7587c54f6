"""Yahoo chart v8 bodies as fetched on New York date `day`: per symbol, one daily chart for trade
date `day` (equities stamped at the 09:30 ET open, BTC-USD at 00:00 UTC, BTC=F from the rolled
futures_daily series) and one 60m chart with the hours of the New York day."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pandas as pd

from pipelines.sources import yahoo
from pipelines.sources.base import Fetched
from pipelines.timeutils import NEW_YORK

SESSION_OPEN = time(9, 30)


def _number(value):
    if value is None or pd.isna(value):
        return None
    value = float(value)
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _is_crypto(symbol: str) -> bool:
    return symbol in yahoo.CRYPTO_SYMBOLS or symbol.endswith("-USD")


def _timezone_name(symbol: str) -> str:
    return "UTC" if _is_crypto(symbol) else "America/New_York"


def _daily_stamp(symbol: str, day: date) -> int:
    if _is_crypto(symbol):
        return int(datetime.combine(day, time(0), tzinfo=UTC).timestamp())
    if symbol == yahoo.CME_FRONT_SYMBOL:
        return int(datetime.combine(day, time(0), tzinfo=NEW_YORK).timestamp())
    return int(datetime.combine(day, SESSION_OPEN, tzinfo=NEW_YORK).timestamp())


def _chart(symbol: str, interval: str, day: date, stamps: list[int], bars: pd.DataFrame) -> bytes:
    tz_name = _timezone_name(symbol)
    tz = ZoneInfo(tz_name)
    offset = datetime.combine(day, time(12), tzinfo=tz).utcoffset()
    quote = {f: [_number(v) for v in bars[f]] for f in ("open", "high", "low", "close", "volume")}
    indicators = {"quote": [quote]}
    if interval == "1d":
        indicators["adjclose"] = [{"adjclose": quote["close"]}]
    meta = {
        "currency": "USD",
        "symbol": symbol,
        "exchangeName": "CCC" if _is_crypto(symbol) else ("CME" if symbol == yahoo.CME_FRONT_SYMBOL else "NMS"),
        "instrumentType": "CRYPTOCURRENCY" if _is_crypto(symbol) else (
            "FUTURE" if symbol == yahoo.CME_FRONT_SYMBOL else "ETF"),
        "gmtoffset": int(offset.total_seconds()),
        "timezone": datetime.combine(day, time(12), tzinfo=tz).tzname(),
        "exchangeTimezoneName": tz_name,
        "regularMarketPrice": quote["close"][-1],
        "dataGranularity": interval,
        "range": "",
    }
    body = {"chart": {"result": [{"meta": meta, "timestamp": stamps, "indicators": indicators}], "error": None}}
    return json.dumps(body, separators=(",", ":")).encode()


def _fetched(symbol: str, interval: str, day: date, data: bytes) -> Fetched:
    url = yahoo.ENDPOINTS["chart"].format(symbol=symbol)
    return Fetched(data, "chart", url, yahoo.chart_params(day, interval), "application/json;charset=utf-8",
                   yahoo.EXT)


def _ours(canonical: dict[str, pd.DataFrame], dataset: str) -> pd.DataFrame | None:
    df = canonical.get(dataset)
    if df is None or df.empty:
        return None
    df = df[df["source"] == yahoo.NAME]
    return None if df.empty else df


def render(canonical: dict[str, pd.DataFrame], day: date) -> list[Fetched]:
    out = []
    daily = _ours(canonical, "daily_bars")
    if daily is not None:
        daily = daily[pd.to_datetime(daily["trade_date"]).dt.date == day]
        for symbol in sorted(set(daily["symbol"])):
            bars = daily[daily["symbol"] == symbol]
            out.append(_fetched(symbol, "1d", day,
                                _chart(symbol, "1d", day, [_daily_stamp(symbol, day)] * len(bars), bars)))

    futures = _ours(canonical, "futures_daily")
    if futures is not None:
        futures = futures[(futures["contract"] == yahoo.CME_FRONT_CONTRACT)
                          & (pd.to_datetime(futures["trade_date"]).dt.date == day)]
        if not futures.empty:
            bars = pd.DataFrame({"open": futures["settle"], "high": futures["settle"], "low": futures["settle"],
                                 "close": futures["settle"], "volume": futures["volume"]})
            sym = yahoo.CME_FRONT_SYMBOL
            out.append(_fetched(sym, "1d", day, _chart(sym, "1d", day, [_daily_stamp(sym, day)], bars)))

    hourly = _ours(canonical, "hourly_bars")
    if hourly is not None:
        starts = pd.to_datetime(hourly["bar_start_utc"])
        ny_dates = starts.dt.tz_localize("UTC").dt.tz_convert(NEW_YORK).dt.date
        hourly = hourly.assign(start_ts=starts)[ny_dates == day]
        for symbol in sorted(set(hourly["symbol"])):
            bars = hourly[hourly["symbol"] == symbol].sort_values("start_ts")
            stamps = [int(t.tz_localize("UTC").timestamp()) for t in bars["start_ts"]]
            out.append(_fetched(symbol, "60m", day, _chart(symbol, "60m", day, stamps, bars)))
    return out
