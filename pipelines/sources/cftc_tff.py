"""CFTC Traders in Financial Futures, futures only (Socrata dataset gpe5-46if), CME bitcoin.

Endpoint: GET https://publicreporting.cftc.gov/resource/gpe5-46if.json with SoQL `$where`,
`$order`, `$limit`, `$offset` (paged; the default page is 1000 rows). Markets 133741 (BTC, 5 BTC
per contract) and 133742 (MBT, 0.1 BTC). One row per (report_date, market_code, category):
dealer, asset_manager, leveraged_funds, other, nonreportable; positions in contracts;
open_interest = open_interest_all on every row. Quirks handled: every number is a JSON string;
market codes stay strings (leading zeros); report_date_as_yyyy_mm_dd is a floating timestamp
(`2026-05-19T00:00:00.000`) = the Tuesday as-of date; `_all` suffix on dealer and nonrept fields
only; Socrata leaves out null fields (-> null); an error object instead of a list.
Release: Friday ~15:30 ET for the Tuesday (holidays shift it). Full history.
"""
from __future__ import annotations

import json
from datetime import date, timedelta

from pipelines.archive import PayloadMeta
from pipelines.sources.base import Fetched, Parsed, ParseError, frame, load_json, to_float
from pipelines.sources.http import HttpClient
from pipelines.timeutils import is_trading_day

NAME = "cftc-tff"
DATASETS = ("cot_positions",)
EXT = "json"
RATE_PER_SECOND = 1.0
SNAPSHOT = False
ENDPOINTS = {"tff_futures_only": "https://publicreporting.cftc.gov/resource/gpe5-46if.json"}
MARKET_CODES = ("133741", "133742")
PAGE_SIZE = 1000
# A Friday's fetch asks for the reports of the week before; a Monday release (Juneteenth) too.
LOOKBACK_DAYS = 7

# category -> (long field, short field)
CATEGORY_FIELDS = {
    "dealer": ("dealer_positions_long_all", "dealer_positions_short_all"),
    "asset_manager": ("asset_mgr_positions_long", "asset_mgr_positions_short"),
    "leveraged_funds": ("lev_money_positions_long", "lev_money_positions_short"),
    "other": ("other_rept_positions_long", "other_rept_positions_short"),
    "nonreportable": ("nonrept_positions_long_all", "nonrept_positions_short_all"),
}
DATE_FIELD = "report_date_as_yyyy_mm_dd"
CODE_FIELD = "cftc_contract_market_code"
OI_FIELD = "open_interest_all"


def _report_date(value, i: int) -> date:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ParseError(NAME, f"row {i}: not a report date: {value!r}", field=DATE_FIELD) from None


def _required(row: dict, field: str, i: int):
    if row.get(field) in (None, ""):
        raise ParseError(NAME, f"row {i} has no {field}", field=field)
    return row[field]


def parse(payload: bytes, meta: PayloadMeta) -> Parsed:
    body = load_json(NAME, payload)
    if isinstance(body, dict):
        raise ParseError(NAME, f"error body: {body.get('message', body)!r}", field="message")
    if not isinstance(body, list):
        raise ParseError(NAME, f"expected a list of rows, got {type(body).__name__}")
    records = []
    for i, row in enumerate(body):
        if not isinstance(row, dict):
            raise ParseError(NAME, f"row {i} is not an object: {row!r}", field=f"[{i}]")
        report_date = _report_date(_required(row, DATE_FIELD, i), i)
        market_code = str(_required(row, CODE_FIELD, i)).strip()
        open_interest = to_float(NAME, row.get(OI_FIELD), field=OI_FIELD)
        for category, (long_field, short_field) in CATEGORY_FIELDS.items():
            records.append({
                "report_date": report_date,
                "market_code": market_code,
                "category": category,
                "long_contracts": to_float(NAME, row.get(long_field), field=long_field),
                "short_contracts": to_float(NAME, row.get(short_field), field=short_field),
                "open_interest": open_interest,
                "source": NAME,
            })
    return Parsed("cot_positions", frame("cot_positions", records))


def release_date(report_date: date) -> date:
    """The New York date a report is published: the Friday after its as-of date, moved to the next
    NYSE trading day when that Friday is a holiday (Juneteenth, Christmas). An approximation: the
    CFTC follows the federal calendar, not NYSE's (Good Friday differs)."""
    day = report_date + timedelta(days=(4 - report_date.weekday()) % 7 or 7)
    while not is_trading_day(day):
        day += timedelta(days=1)
    return day


def where_clause(start: date, end: date) -> str:
    codes = ",".join(f"'{c}'" for c in MARKET_CODES)
    return (f"{CODE_FIELD} in({codes}) AND {DATE_FIELD} >= '{start.isoformat()}T00:00:00.000' "
            f"AND {DATE_FIELD} <= '{end.isoformat()}T00:00:00.000'")


def query_params(start: date, end: date, offset: int, page_size: int = PAGE_SIZE) -> dict:
    return {
        "$where": where_clause(start, end),
        "$order": f"{DATE_FIELD},{CODE_FIELD}",
        "$limit": str(page_size),
        "$offset": str(offset),
    }


def fetch(client: HttpClient, day: date, page_size: int = PAGE_SIZE) -> list[Fetched]:
    """Reports dated in the week up to `day` (the Tuesday released on a Friday `day`), paged."""
    url = ENDPOINTS["tff_futures_only"]
    out, offset = [], 0
    while True:
        params = query_params(day - timedelta(days=LOOKBACK_DAYS), day, offset, page_size)
        resp = client.get(url, params=params)
        out.append(Fetched(resp.content, "tff_futures_only", url, params,
                           resp.headers.get("content-type", "application/json"), EXT))
        try:
            rows = json.loads(resp.content)
        except (json.JSONDecodeError, UnicodeDecodeError):
            break  # archived as served; parse reports it
        if not isinstance(rows, list) or len(rows) < page_size:
            break
        offset += page_size
    return out
