"""Deribit BTC option book summaries -> option_chain_snapshot.

Endpoint: `deribit.com/api/v2/public/get_book_summary_by_currency?currency=BTC&kind=option`,
JSON-RPC envelope `{"jsonrpc","result":[...],"usIn","usOut","usDiff","testnet"}`.
snapshot_utc = the envelope's `usOut` (µs, when the server answered): one instant for the whole
chain, where each row's `creation_timestamp` (ms) may differ; the latest creation_timestamp is used
only if usOut is missing. Instrument `BTC-27MAR26-70000-P` -> underlying BTC, strike 70000 USD,
put, expiry that date 08:00 UTC. open_interest in BTC = contracts of 1 BTC (multiplier 1.0);
mark_iv percent -> decimal; underlying_price USD (that expiry's forward). Linear `BTC_USDC-`
instruments and non-options are skipped; `{"error":{...}}` -> ParseError.
History: none (live state only) -> snapshot at 16:00 New York.
"""
from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta

from pipelines.archive import PayloadMeta
from pipelines.cme_calendar import MONTH_ABBR
from pipelines.sources.base import (
    Fetched,
    Parsed,
    ParseError,
    deribit_out_of_credits,
    frame,
    load_jsonrpc,
    ms_to_utc,
    to_float,
)
from pipelines.sources.http import FetchError, HttpClient

NAME = "deribit-options"
DATASETS = ("option_chain_snapshot",)
EXT = "json"
RATE_PER_SECOND = 1.0
RETRY_WHEN = deribit_out_of_credits  # error 10028 (out of credits), even with HTTP 400: back off, retry
SNAPSHOT = True
LIVE_STATE_ONLY = True  # the chain as it is now: a past partition cannot be fetched
ENDPOINTS = {
    "get_book_summary_by_currency": "https://www.deribit.com/api/v2/public/get_book_summary_by_currency",
}
VENUE = "Deribit"
DATASET = "option_chain_snapshot"
MULTIPLIER_BTC = 1.0  # inverse options on 1 BTC; open_interest is already in BTC
EXPIRY_HOUR_UTC = 8
OPTION_NAME = re.compile(r"^(BTC)-(\d{1,2})([A-Z]{3})(\d{2})-(\d+)-([CP])$")


def parse(payload: bytes, meta: PayloadMeta) -> Parsed:
    body = _envelope(payload)
    rows = body["result"]
    snapshot = _snapshot_utc(body, rows)
    records = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or not isinstance(row.get("instrument_name"), str):
            raise ParseError(NAME, f"result row {i} has no instrument_name", field="instrument_name")
        name = row["instrument_name"]
        if not name.startswith("BTC-") or name.count("-") != 3:
            continue  # BTC_USDC- linear options use other units; futures and perpetuals are not options
        underlying, expiry, strike, put_call = _instrument(name)
        mark_iv_pct = to_float(NAME, row.get("mark_iv"), "mark_iv")
        records.append({
            "snapshot_utc": snapshot,
            "venue": VENUE,
            "instrument": name,
            "underlying": underlying,
            "expiry_utc": expiry,
            "strike": strike,
            "put_call": put_call,
            "open_interest": to_float(NAME, row.get("open_interest"), "open_interest"),
            "multiplier": MULTIPLIER_BTC,
            "mark_iv": None if mark_iv_pct is None else mark_iv_pct / 100.0,
            "underlying_price": to_float(NAME, row.get("underlying_price"), "underlying_price"),
            "source": NAME,
        })
    return Parsed(DATASET, frame(DATASET, records))


def _envelope(payload: bytes) -> dict:
    body = load_jsonrpc(NAME, payload)
    if not isinstance(body.get("result"), list):
        raise ParseError(NAME, "no 'result' list in the envelope", field="result")
    return body


def _snapshot_utc(body: dict, rows: list) -> datetime:
    if body.get("usOut") is not None:
        try:
            us = int(body["usOut"])
        except (TypeError, ValueError):
            raise ParseError(NAME, f"usOut {body['usOut']!r} is not microseconds", field="usOut") from None
        return datetime(1970, 1, 1) + timedelta(microseconds=us)
    stamps = [r.get("creation_timestamp") for r in rows if isinstance(r, dict)]
    stamps = [s for s in stamps if s is not None]
    if not stamps:
        raise ParseError(NAME, "neither usOut nor creation_timestamp gives the snapshot time", field="usOut")
    return max(ms_to_utc(NAME, s, "creation_timestamp") for s in stamps)


def _instrument(name: str) -> tuple[str, datetime, float, str]:
    found = OPTION_NAME.match(name)
    if not found or found.group(3) not in MONTH_ABBR:
        raise ParseError(NAME, f"instrument {name!r} is not like BTC-27MAR26-70000-P", field="instrument_name")
    underlying, dd, mon, yy, strike, put_call = found.groups()
    try:
        expiry = datetime(2000 + int(yy), MONTH_ABBR.index(mon) + 1, int(dd), EXPIRY_HOUR_UTC)
    except ValueError:
        raise ParseError(NAME, f"instrument {name!r} names no real date", field="instrument_name") from None
    return underlying, expiry, float(strike), put_call


def fetch(client: HttpClient, day: date) -> list[Fetched]:
    """The chain as it is now: Deribit keeps no history, so `day` only names the partition."""
    url = ENDPOINTS["get_book_summary_by_currency"]
    params = {"currency": "BTC", "kind": "option"}
    resp = client.get(url, params)
    try:
        body = json.loads(resp.content)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise FetchError(NAME, str(resp.request.url), resp.status_code, 1, "body is not JSON") from None
    if not isinstance(body, dict) or "error" in body or not isinstance(body.get("result"), list):
        raise FetchError(NAME, str(resp.request.url), resp.status_code, 1, f"error body: {str(body)[:200]}")
    return [Fetched(resp.content, "get_book_summary_by_currency", url, params,
                    resp.headers.get("content-type", "application/json"), "json")]
