"""Deribit get_book_summary_by_currency (kind=option) as fetched at each snapshot instant of New
York date `day` (the simulator's: 16:00 New York). `usOut` is the snapshot instant in µs. Fields
the canonical chain does not hold are derived: mark_price is the Black-76 price (BTC per option,
r = 0) from mark_iv, underlying_price and strike; quiet-strike fields are null. One linear
`BTC_USDC-` copy of the first row is added, as the live endpoint mixes them in."""
from __future__ import annotations

import json
import math
from datetime import date

import pandas as pd

from pipelines.demo.render.binance_oi import rows_in_new_york_day
from pipelines.sources import deribit_options
from pipelines.sources.base import Fetched

YEAR_S = 365.0 * 24 * 3600


def _float(value):
    return None if value is None or pd.isna(value) else float(value)


def black76_btc(forward: float | None, strike: float, iv: float | None, years: float, put_call: str) -> float | None:
    """Option price in BTC per 1-BTC option (USD price / forward), zero rates."""
    if forward is None or iv is None or forward <= 0 or strike <= 0:
        return None
    if years <= 0 or iv <= 0:
        intrinsic = max(forward - strike, 0.0) if put_call == "C" else max(strike - forward, 0.0)
        return round(intrinsic / forward, 8)
    sd = iv * math.sqrt(years)
    d1 = (math.log(forward / strike) + sd * sd / 2) / sd
    d2 = d1 - sd
    n = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))
    usd = forward * n(d1) - strike * n(d2) if put_call == "C" else strike * n(-d2) - forward * n(-d1)
    return round(usd / forward, 8)


def _summary(r, snapshot_ms: int) -> dict:
    expiry = pd.Timestamp(r.expiry_utc)
    if expiry.tzinfo is not None:
        expiry = expiry.tz_convert("UTC").tz_localize(None)
    years = (expiry - r.ts_value).total_seconds() / YEAR_S
    iv, forward = _float(r.mark_iv), _float(r.underlying_price)
    return {
        "volume": 0.0,
        "underlying_price": forward,
        "underlying_index": r.instrument.rsplit("-", 2)[0],
        "quote_currency": "BTC",
        "price_change": None,
        "open_interest": _float(r.open_interest),
        "mid_price": None,
        "mark_price": black76_btc(forward, float(r.strike), iv, years, r.put_call),
        "mark_iv": None if iv is None else iv * 100.0,
        "low": None,
        "last": None,
        "interest_rate": 0.0,
        "instrument_name": r.instrument,
        "high": None,
        "estimated_delivery_price": forward,
        "creation_timestamp": snapshot_ms,
        "bid_price": None,
        "base_currency": "BTC",
        "ask_price": None,
    }


def render(canonical: dict[str, pd.DataFrame], day: date) -> list[Fetched]:
    rows = rows_in_new_york_day(canonical.get("option_chain_snapshot"), deribit_options.NAME, "snapshot_utc", day)
    if rows.empty:
        return []
    out = []
    for instant, chain in rows.groupby("ts_value", sort=True):
        chain = chain.sort_values("instrument", kind="stable")
        us = int((instant - pd.Timestamp("1970-01-01")) // pd.Timedelta(microseconds=1))
        result = [_summary(r, us // 1000) for r in chain.itertuples(index=False)]
        linear = dict(result[0], instrument_name="BTC_USDC-" + result[0]["instrument_name"][4:],
                      quote_currency="USDC", open_interest=0.0)
        body = {"jsonrpc": "2.0", "result": [linear] + result, "usIn": us - 16314, "usOut": us,
                "usDiff": 16314, "testnet": False}
        data = json.dumps(body, separators=(",", ":")).encode()
        out.append(Fetched(data, "get_book_summary_by_currency",
                           deribit_options.ENDPOINTS["get_book_summary_by_currency"],
                           {"currency": "BTC", "kind": "option"}, "application/json", "json"))
    return out
