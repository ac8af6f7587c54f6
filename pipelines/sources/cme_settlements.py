"""CME Group bitcoin futures (BTC 8478, MBT 9024) -> futures_daily: settlements, and volume and open
interest from CME's own Volume/OI report.

Endpoints (site JSON, Akamai-protected: a browser-like User-Agent, and even so plain clients can
be refused by TLS fingerprint):
- `settlements`: `cmegroup.com/CmeWS/mvc/Settlements/Futures/Settlements/<productId>/FUT?strategy=
  DEFAULT&tradeDate=MM/DD/YYYY&pageSize=500&isProtected&_t=<ms>` -> `{"settlements": [{month,
  settle, volume, openInterest, ...}], "tradeDate": "MM/DD/YYYY", ...}`.
- `volume_oi`: `cmegroup.com/CmeWS/mvc/Volume/Details/F/<productId>/<YYYYMMDD>/P?tradeDate=YYYYMMDD
  &pageSize=500&isProtected&_t=<ms>` -> `{"tradeDate": "YYYYMMDD", "monthData": [{month | monthID,
  totalVolume, atClose (= open interest at the close), change, ...}], "totals": {...}}`.
Units: settle USD per BTC; volume and open interest in contracts (BTC 5 BTC, MBT 0.1 BTC).
Which value comes from where: the settlements page's `openInterest` may be the previous day's
(CME publishes OI a day late; unverified), so for a contract and trade date held by both
endpoints, volume and open interest come from the Volume/OI report (ENDPOINT_RANK: ingest ranks
it above the settlements page; within an endpoint the latest fetch wins, e.g. the final report of
the next morning over the preliminary one), and the settlements page's only where the report has
none. `open_interest_source` records which endpoint each open interest came from; settle comes
from the settlements page only.
Quirks: every value a string with thousands commas; prices may end in A/B (ask/bid) -> stripped;
'-' -> null; the `Total` row / `totals` object is dropped; `month` "SEP 26" (or `monthID`
"SEP-26") -> `BTCU26` / `MBTU26` and its expiry (pipelines.cme_calendar); the product id comes
from the URL path; HTML (Akamai) bodies -> error.
History: recent trade dates only -> snapshot daily (trading days).
"""
from __future__ import annotations

import json
import re
import time as wallclock
from datetime import date, datetime

from pipelines.archive import PayloadMeta
from pipelines.cme_calendar import MONTH_ABBR, contract_code, expiry_date
from pipelines.sources.base import Fetched, Parsed, ParseError, frame, to_float
from pipelines.sources.http import BROWSER_USER_AGENT, FetchError, HttpClient
from pipelines.timeutils import is_trading_day

NAME = "cme-settlements"
DATASETS = ("futures_daily",)
EXT = "json"
RATE_PER_SECOND = 0.2  # Akamai-protected site: fetch slowly
USER_AGENT = BROWSER_USER_AGENT
SNAPSHOT = True
ENDPOINTS = {
    "settlements": "https://www.cmegroup.com/CmeWS/mvc/Settlements/Futures/Settlements/{product_id}/FUT",
    "volume_oi": "https://www.cmegroup.com/CmeWS/mvc/Volume/Details/F/{product_id}/{trade_date}/P",
}
# For a row held by payloads of both endpoints, each column takes its value from the highest-ranked
# endpoint that has one (then from the latest fetch): CME's Volume/OI report over the settlements page.
ENDPOINT_RANK = {"settlements": 0, "volume_oi": 1}
PRODUCTS = {"8478": "BTC", "9024": "MBT"}  # CME product id -> contract code prefix
VENUE = "CME"
DATASET = "futures_daily"
_MONTH = re.compile(r"^([A-Z]{3})[ -](\d{2})$")
_PRODUCT_IN_URL = re.compile(r"/(?:Settlements|Details/F)/(\d+)/")


def parse(payload: bytes, meta: PayloadMeta) -> Parsed:
    product = PRODUCTS.get(_product_id(meta))
    if product is None:
        raise ParseError(NAME, f"unknown CME product id {_product_id(meta)!r}; known {sorted(PRODUCTS)}",
                         field="productId")
    body = _load(payload)
    if meta.endpoint == "volume_oi" or (not meta.endpoint and "monthData" in body):
        records = _volume_oi_records(body, product)
    else:
        records = _settlement_records(body, product)
    return Parsed(DATASET, frame(DATASET, records))


def _settlement_records(body: dict, product: str) -> list[dict]:
    trade_date = _trade_date(body.get("tradeDate"))
    rows = body.get("settlements")
    if rows is None and body.get("empty") is True:
        return []
    if not isinstance(rows, list):
        raise ParseError(NAME, "no 'settlements' list", field="settlements")
    records = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or "month" not in row:
            raise ParseError(NAME, f"settlement row {i} has no 'month'", field="month")
        month_text = str(row["month"]).strip().upper()
        if month_text == "TOTAL":
            continue
        open_interest = to_float(NAME, row.get("openInterest"), "openInterest")
        records.append(_record(trade_date, product, month_text, settle=_price(row.get("settle"), "settle"),
                               volume=to_float(NAME, row.get("volume"), "volume"),
                               open_interest=open_interest, oi_endpoint="settlements"))
    return records


def _volume_oi_records(body: dict, product: str) -> list[dict]:
    trade_date = _trade_date(body.get("tradeDate"))
    rows = body.get("monthData")
    if rows is None and body.get("empty") is True:
        return []  # a report without months: no figures that day
    if not isinstance(rows, list):
        raise ParseError(NAME, "no 'monthData' list in the Volume/OI report", field="monthData")
    records = []
    for i, row in enumerate(rows):
        month = row.get("month") or row.get("monthID") if isinstance(row, dict) else None
        if not month:
            raise ParseError(NAME, f"monthData row {i} has no 'month' or 'monthID'", field="month")
        month_text = str(month).strip().upper()
        if month_text in ("TOTAL", "TOTALS"):
            continue
        records.append(_record(trade_date, product, month_text, settle=None,
                               volume=to_float(NAME, row.get("totalVolume"), "totalVolume"),
                               open_interest=to_float(NAME, row.get("atClose"), "atClose"), oi_endpoint="volume_oi"))
    return records


def _record(trade_date: date, product: str, month_text: str, settle, volume, open_interest, oi_endpoint) -> dict:
    year, month = _contract_month(month_text)
    return {
        "trade_date": trade_date,
        "venue": VENUE,
        "contract": contract_code(year, month, product),
        "expiry_date": expiry_date(year, month),
        "settle": settle,
        "volume": volume,
        "open_interest": open_interest,
        "source": NAME,
        "open_interest_source": None if open_interest is None else oi_endpoint,
    }


def _product_id(meta: PayloadMeta) -> str:
    found = _PRODUCT_IN_URL.search(meta.url or "")
    if found:
        return found.group(1)
    return str((meta.params or {}).get("productId", ""))


def _load(payload: bytes) -> dict:
    try:
        body = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(NAME, f"not JSON (an Akamai block page?): {exc}") from None
    if not isinstance(body, dict):
        raise ParseError(NAME, f"expected a JSON object, got {type(body).__name__}")
    return body


def _trade_date(text) -> date:
    """`02/05/2026` on the settlements page, `20260205` in the Volume/OI report."""
    for layout in ("%m/%d/%Y", "%Y%m%d"):
        try:
            return datetime.strptime(str(text).strip(), layout).date()
        except ValueError:
            continue
    raise ParseError(NAME, f"tradeDate {text!r} is neither MM/DD/YYYY nor YYYYMMDD", field="tradeDate")


def _contract_month(text: str) -> tuple[int, int]:
    found = _MONTH.match(text)
    if not found or found.group(1) not in MONTH_ABBR:
        raise ParseError(NAME, f"month {text!r} is not like 'SEP 26'", field="month")
    return 2000 + int(found.group(2)), MONTH_ABBR.index(found.group(1)) + 1


def _price(value, field: str) -> float | None:
    """CME marks a price quoted from the book, not traded, with a trailing A (ask) or B (bid)."""
    if isinstance(value, str):
        value = value.strip().rstrip("AB")
    return to_float(NAME, value, field)


def fetch(client: HttpClient, day: date) -> list[Fetched]:
    """Per product: the settlements page, then the Volume/OI report of the same trade date."""
    if not is_trading_day(day):
        return []
    out = []
    for product_id in PRODUCTS:
        stamp = int(wallclock.time() * 1000)
        requests = [
            ("settlements", ENDPOINTS["settlements"].format(product_id=product_id),
             {"strategy": "DEFAULT", "tradeDate": day.strftime("%m/%d/%Y"), "pageSize": 500, "isProtected": "",
              "_t": stamp}, "settlements"),
            ("volume_oi", ENDPOINTS["volume_oi"].format(product_id=product_id, trade_date=day.strftime("%Y%m%d")),
             {"tradeDate": day.strftime("%Y%m%d"), "pageSize": 500, "isProtected": "", "_t": stamp}, "monthData"),
        ]
        for endpoint, url, params, expected in requests:
            resp = client.get(url, params)
            try:
                body = json.loads(resp.content)
            except (UnicodeDecodeError, json.JSONDecodeError):
                raise FetchError(NAME, str(resp.request.url), resp.status_code, 1,
                                 "body is not JSON (bot-protection page?)") from None
            if not isinstance(body, dict) or not (expected in body or body.get("empty") is True):
                raise FetchError(NAME, str(resp.request.url), resp.status_code, 1, f"no {expected!r} in body")
            out.append(Fetched(resp.content, endpoint, url, params,
                               resp.headers.get("content-type", "application/json"), "json"))
    return out
