"""CME Group bitcoin futures settlements (BTC 8478, MBT 9024) -> futures_daily.

Endpoint: `cmegroup.com/CmeWS/mvc/Settlements/Futures/Settlements/<productId>/FUT?strategy=DEFAULT
&tradeDate=MM/DD/YYYY&pageSize=500&isProtected&_t=<ms>` -> `{"settlements": [...], "tradeDate", ...}`.
Units: settle USD per BTC; volume and openInterest in contracts (BTC 5 BTC, MBT 0.1 BTC).
Quirks: every value a string with thousands commas; prices may end in A/B (ask/bid) -> stripped;
'-' -> null; the `Total` row is dropped; `month` "SEP 26" -> `BTCU26` / `MBTU26` and its expiry
(pipelines.cme_calendar); the product id comes from the URL path; HTML (Akamai) bodies -> error.
The page's openInterest may be the previous day's (CME publishes OI a day late; unverified).
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
}
PRODUCTS = {"8478": "BTC", "9024": "MBT"}  # CME product id -> contract code prefix
VENUE = "CME"
DATASET = "futures_daily"
_MONTH = re.compile(r"^([A-Z]{3})[ -](\d{2})$")
_PRODUCT_IN_URL = re.compile(r"/Settlements/(\d+)/")


def parse(payload: bytes, meta: PayloadMeta) -> Parsed:
    product = PRODUCTS.get(_product_id(meta))
    if product is None:
        raise ParseError(NAME, f"unknown CME product id {_product_id(meta)!r}; known {sorted(PRODUCTS)}",
                         field="productId")
    body = _load(payload)
    trade_date = _trade_date(body.get("tradeDate"))
    rows = body.get("settlements")
    if not isinstance(rows, list):
        raise ParseError(NAME, "no 'settlements' list", field="settlements")
    records = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or "month" not in row:
            raise ParseError(NAME, f"settlement row {i} has no 'month'", field="month")
        month_text = str(row["month"]).strip().upper()
        if month_text == "TOTAL":
            continue
        year, month = _contract_month(month_text)
        records.append({
            "trade_date": trade_date,
            "venue": VENUE,
            "contract": contract_code(year, month, product),
            "expiry_date": expiry_date(year, month),
            "settle": _price(row.get("settle"), "settle"),
            "volume": to_float(NAME, row.get("volume"), "volume"),
            "open_interest": to_float(NAME, row.get("openInterest"), "openInterest"),
            "source": NAME,
        })
    return Parsed(DATASET, frame(DATASET, records))


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
    try:
        return datetime.strptime(str(text).strip(), "%m/%d/%Y").date()
    except ValueError:
        raise ParseError(NAME, f"tradeDate {text!r} is not MM/DD/YYYY", field="tradeDate") from None


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
    if not is_trading_day(day):
        return []
    out = []
    for product_id in PRODUCTS:
        url = ENDPOINTS["settlements"].format(product_id=product_id)
        params = {"strategy": "DEFAULT", "tradeDate": day.strftime("%m/%d/%Y"), "pageSize": 500,
                  "isProtected": "", "_t": int(wallclock.time() * 1000)}
        resp = client.get(url, params)
        try:
            body = json.loads(resp.content)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise FetchError(NAME, str(resp.request.url), resp.status_code, 1,
                             "body is not JSON (bot-protection page?)") from None
        if not isinstance(body, dict) or "settlements" not in body:
            raise FetchError(NAME, str(resp.request.url), resp.status_code, 1, "no 'settlements' in body")
        out.append(Fetched(resp.content, "settlements", url, params,
                           resp.headers.get("content-type", "application/json"), "json"))
    return out
