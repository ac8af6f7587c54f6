"""iShares Bitcoin Trust (IBIT, product 333011): shares outstanding, NAV and bitcoin held.

Endpoints (no key; see ENDPOINTS): holdings CSV (`asOfDate=YYYYMMDD`, back to 2024-01-11),
holdings JSON (today only), and the fund "XLS" (SpreadsheetML 2003 XML; sheet `Historical`
with NAV per share and shares outstanding since launch). Units: shares, USD per share, BTC.
What each gives (rows from several payloads are merged later, latest non-null per column):
- CSV: trade date = `Fund Holdings as of`; shares_outstanding from the preamble; btc_held = the
  BTC row's Quantity; nav_usd DERIVED as the total Market Value of all holdings / shares
  outstanding (it ignores accrued liabilities, so it can sit a hair above the official NAV).
  `Fund Holdings as of,"-"` (a date without data) -> no rows. The table is found by its
  `Ticker,Name,` header, not a fixed skip, and ends at the first blank line.
- JSON: btc_held = the BTC row's quantity `raw`; trade date = the fetch's New York date; a BOM
  or stray bytes before the first `{` are cut.
- XLS: one row per `As Of` date with nav_usd and shares_outstanding (btc_held null); UTF-16 with
  BOM accepted; cells read with a tolerant regex (the files are not always well-formed XML).
Numbers may be quoted with thousands commas; `-`/`--` = empty.
"""
from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import date, datetime

from pipelines.archive import PayloadMeta
from pipelines.sources.base import Fetched, Parsed, ParseError, frame, partition_date, to_float
from pipelines.sources.http import HttpClient
from pipelines.timeutils import NEW_YORK

NAME = "ishares"
DATASETS = ("etf_fund_daily",)
EXT = "csv"  # the holdings CSV; the JSON and XLS payloads carry their own ext
RATE_PER_SECOND = 0.5
SNAPSHOT = True  # the JSON shows today only; issuers restate
TICKER = "IBIT"
ENDPOINTS = {
    "holdings_csv": "https://www.ishares.com/us/products/333011/ishares-bitcoin-trust-etf/1467271812596.ajax",
    "holdings_json": "https://blackrock.com/us/financial-professionals/products/333011/fund/1500962885783.ajax",
    "fund_xls": "https://www.ishares.com/us/products/333011/ishares-bitcoin-trust-etf/1521942788811.ajax",
}
PARAMS = {
    "holdings_csv": {"fileType": "csv", "fileName": "IBIT_holdings", "dataType": "fund"},
    "holdings_json": {"tab": "all", "fileType": "json"},
    "fund_xls": {"fileType": "xls", "fileName": "iShares-Bitcoin-Trust-ETF_fund", "dataType": "fund"},
}
EXTS = {"holdings_csv": "csv", "holdings_json": "json", "fund_xls": "xls"}
BTC_TICKER = "BTC"
MONTHS = {m: i + 1 for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}


def _record(trade_date: date, shares=None, nav=None, btc=None) -> dict:
    return {"trade_date": trade_date, "ticker": TICKER, "shares_outstanding": shares, "nav_usd": nav,
            "btc_held": btc, "source": NAME}


def parse_date(text: str, field: str) -> date:
    """iShares writes dates several ways: `Feb 05, 2026`, `05-Feb-2026`, `02/05/2026`,
    `2026-02-05` (also with a time, as SpreadsheetML DateTime cells)."""
    t = text.strip()
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})(T.*)?$", t)
    if m:
        return date(int(m[1]), int(m[2]), int(m[3]))
    m = re.match(r"^([A-Za-z]{3})[a-z]*\.? (\d{1,2}), (\d{4})$", t)
    if m and m[1].lower() in MONTHS:
        return date(int(m[3]), MONTHS[m[1].lower()], int(m[2]))
    m = re.match(r"^(\d{1,2})-([A-Za-z]{3})-(\d{4})$", t)
    if m and m[2].lower() in MONTHS:
        return date(int(m[3]), MONTHS[m[2].lower()], int(m[1]))
    m = re.match(r"^(\d{1,2})/(\d{1,2})/(\d{4})$", t)
    if m:
        return date(int(m[3]), int(m[1]), int(m[2]))
    raise ParseError(NAME, f"not a date: {text!r}", field=field)


# --- holdings CSV -------------------------------------------------------------------------

def parse_csv(payload: bytes) -> list[dict]:
    text = payload.decode("utf-8-sig", errors="replace")
    lines = text.splitlines()
    preamble: dict[str, str] = {}
    header_at = None
    for i, line in enumerate(lines):
        if line.startswith("Ticker,Name,"):
            header_at = i
            break
        cells = next(csv.reader([line]), [])
        if len(cells) >= 2:
            preamble[cells[0].strip()] = cells[1].strip()
    as_of = preamble.get("Fund Holdings as of")
    if as_of is None:
        raise ParseError(NAME, "no 'Fund Holdings as of' line in the preamble", field="Fund Holdings as of")
    if as_of in ("-", "--", ""):
        return []  # a date without data: missing, not zero
    trade_date = parse_date(as_of, "Fund Holdings as of")
    shares = to_float(NAME, preamble.get("Shares Outstanding"), field="Shares Outstanding")
    if header_at is None:
        raise ParseError(NAME, "no holdings table (a header starting 'Ticker,Name,')", field="Ticker")

    table = []
    for line in lines[header_at:]:
        if not line.strip().strip("\xa0"):
            break  # the disclaimer follows a blank line
        table.append(line)
    reader = csv.DictReader(io.StringIO("\n".join(table)))
    quantity_col = next((c for c in ("Quantity", "Shares") if c in (reader.fieldnames or [])), None)
    if "Market Value" not in (reader.fieldnames or []) or quantity_col is None:
        raise ParseError(NAME, f"holdings header lacks Market Value or Quantity: {reader.fieldnames}",
                         field="Market Value")
    market_values, btc_held = [], None
    for row in reader:
        ticker = (row.get("Ticker") or "").strip()
        mv = to_float(NAME, row.get("Market Value"), field=f"Market Value ({ticker})")
        if mv is not None:
            market_values.append(mv)
        if ticker == BTC_TICKER:
            btc_held = to_float(NAME, row.get(quantity_col), field=f"{quantity_col} ({ticker})")
    nav = sum(market_values) / shares if market_values and shares else None
    return [_record(trade_date, shares, nav, btc_held)]


# --- holdings JSON ------------------------------------------------------------------------

def _raw(cell, field: str):
    if isinstance(cell, dict):
        cell = cell.get("raw")
    return to_float(NAME, cell, field=field)


def parse_json(payload: bytes, meta: PayloadMeta) -> list[dict]:
    start = payload.find(b"{")
    if start < 0:
        raise ParseError(NAME, "no JSON object in the body", field="aaData")
    try:
        body = json.loads(payload[start:].decode("utf-8", errors="replace"))
    except json.JSONDecodeError as exc:
        raise ParseError(NAME, f"not JSON: {exc}", field="aaData") from None
    rows = body.get("aaData") if isinstance(body, dict) else None
    if not isinstance(rows, list):
        raise ParseError(NAME, "no aaData list", field="aaData")
    trade_date = partition_date(meta)
    if trade_date is None:
        raise ParseError(NAME, "the holdings JSON carries no date; the payload needs its partition",
                         field="partition")
    btc_held = None
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) < 7:
            raise ParseError(NAME, f"aaData row {i} has not 7 cells: {row!r}"[:200], field=f"aaData[{i}]")
        if row[0] == BTC_TICKER:
            btc_held = _raw(row[6], field=f"aaData[{i}].quantity")
    return [_record(trade_date, btc=btc_held)] if btc_held is not None else []


# --- fund "XLS" (SpreadsheetML 2003) ------------------------------------------------------

_WORKSHEET = re.compile(r"<(?:\w+:)?Worksheet\b[^>]*?(?:\w+:)?Name=\"([^\"]*)\"[^>]*>(.*?)</(?:\w+:)?Worksheet>", re.DOTALL)
_ROW = re.compile(r"<(?:\w+:)?Row\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?Row>)", re.DOTALL)
_CELL = re.compile(r"<(?:\w+:)?Cell\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?Cell>)", re.DOTALL)
_DATA = re.compile(r"<(?:\w+:)?Data\b[^>]*>(.*?)</(?:\w+:)?Data>", re.DOTALL)
_INDEX = re.compile(r"(?:\w+:)?Index=\"(\d+)\"")
_TAGS = re.compile(r"<[^>]+>")


def _decode_xml(payload: bytes) -> str:
    if payload[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return payload.decode("utf-16")
    return payload.decode("utf-8-sig", errors="replace")


def _rows(sheet_xml: str) -> list[list[str]]:
    rows = []
    for row_match in _ROW.finditer(sheet_xml):
        cells: list[str] = []
        for attrs, inner in _CELL.findall(row_match.group(1) or ""):
            index = _INDEX.search(attrs)
            if index:  # ss:Index skips empty cells (1-based)
                cells.extend([""] * (int(index.group(1)) - 1 - len(cells)))
            data = _DATA.search(inner or "")
            cells.append(html.unescape(_TAGS.sub("", data.group(1))).strip() if data else "")
        rows.append(cells)
    return rows


def _column(header: list[str], *needles: str) -> int | None:
    for i, name in enumerate(header):
        low = " ".join(name.lower().split())
        if all(n in low for n in needles):
            return i
    return None


def parse_xls(payload: bytes) -> list[dict]:
    text = _decode_xml(payload)
    sheets = {name: body for name, body in _WORKSHEET.findall(text)}
    if "Historical" not in sheets:
        raise ParseError(NAME, f"no 'Historical' worksheet (sheets: {sorted(sheets)})", field="Historical")
    rows = _rows(sheets["Historical"])
    header_at = next((i for i, r in enumerate(rows) if r and r[0].strip().lower() == "as of"), None)
    if header_at is None:
        raise ParseError(NAME, "the Historical sheet has no header row starting 'As Of'", field="As Of")
    header = rows[header_at]
    nav_col = _column(header, "nav")
    shares_col = _column(header, "shares outstanding")
    if nav_col is None or shares_col is None:
        raise ParseError(NAME, f"Historical header lacks NAV or Shares Outstanding: {header}",
                         field="NAV per Share" if nav_col is None else "Shares Outstanding")
    records = []
    for row in rows[header_at + 1:]:
        if not row or not row[0].strip():
            continue
        label = row[0]
        padded = row + [""] * (len(header) - len(row))
        records.append(_record(
            parse_date(label, "As Of"),
            shares=to_float(NAME, padded[shares_col], field=f"{header[shares_col]} ({label})"),
            nav=to_float(NAME, padded[nav_col], field=f"{header[nav_col]} ({label})"),
        ))
    return records


# --- dispatch and fetch -------------------------------------------------------------------

def _sniff(payload: bytes) -> str:
    head = payload[:4096]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"<?xml" in head or b"Workbook" in head:
        return "fund_xls"
    if b"{" in head[:16]:
        return "holdings_json"
    return "holdings_csv"


def parse(payload: bytes, meta: PayloadMeta) -> Parsed:
    endpoint = meta.endpoint if meta.endpoint in ENDPOINTS else _sniff(payload)
    if endpoint == "holdings_json":
        records = parse_json(payload, meta)
    elif endpoint == "fund_xls":
        records = parse_xls(payload)
    else:
        records = parse_csv(payload)
    return Parsed("etf_fund_daily", frame("etf_fund_daily", records))


def csv_params(day: date) -> dict:
    return {**PARAMS["holdings_csv"], "asOfDate": day.strftime("%Y%m%d")}


def _get(client: HttpClient, endpoint: str, params: dict) -> Fetched:
    url = ENDPOINTS[endpoint]
    resp = client.get(url, params=params)
    return Fetched(resp.content, endpoint, url, params, resp.headers.get("content-type", ""), EXTS[endpoint])


def fetch(client: HttpClient, day: date, today: date | None = None) -> list[Fetched]:
    """The holdings CSV as of `day` and the NAV history; the JSON only when `day` is today in
    New York (it shows the current holdings whatever the date asked)."""
    today = today or datetime.now(NEW_YORK).date()
    out = [_get(client, "holdings_csv", csv_params(day)), _get(client, "fund_xls", dict(PARAMS["fund_xls"]))]
    if day == today:
        out.append(_get(client, "holdings_json", dict(PARAMS["holdings_json"])))
    return out
