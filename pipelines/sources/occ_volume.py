"""OCC daily options volume for one underlying (IBIT) -> options_volume.

Endpoint: `marketdata.theocc.com/volume-query?reportDate=YYYYMMDD&format=csv&volumeQueryType=O
&symbolType=U&symbol=IBIT&accountType=ALL&productKind=ALL&porc=BOTH&reportType=D`.
CSV `quantity,underlying,symbol,actype,porc,exchange,actdate`, CRLF, each data row ending in a
comma; quantity in contracts; porc C/P; actdate MM/DD/YYYY (US trade date).
Each trade is listed once per clearing side, so contracts = sum(quantity by porc) / 2.
Errors come as HTTP 200 text: `No record(s) found` (holiday, weekend) -> zero rows;
`Report date cannot be greater than …` (not yet published) and `… prior to  2 years` (aged out)
-> ParseError naming the message; HTML or any other non-CSV body -> ParseError.
History: ~2 years rolling -> archive daily, backfill oldest first.
"""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date, datetime

from pipelines.archive import PayloadMeta
from pipelines.sources.base import Fetched, Parsed, ParseError, frame, to_float
from pipelines.sources.http import FetchError, HttpClient

NAME = "occ-volume"
DATASETS = ("options_volume",)
EXT = "csv"
RATE_PER_SECOND = 0.5
SNAPSHOT = False
ENDPOINTS = {"volume-query": "https://marketdata.theocc.com/volume-query"}
UNDERLYING = "IBIT"
HEADER = ("quantity", "underlying", "symbol", "actype", "porc", "exchange", "actdate")
NO_RECORDS = "No record(s) found"
ERROR_PREFIXES = ("Report date cannot be greater than", "Report date cannot be prior to")
CLEARING_SIDES_PER_TRADE = 2
DATASET = "options_volume"


def classify(payload: bytes) -> str:
    """'csv', 'no-data', or the error message the body carries (OCC errors are HTTP 200 text)."""
    text = payload.decode("utf-8-sig", errors="replace").strip()
    if text.startswith(NO_RECORDS):
        return "no-data"
    first_line = text.splitlines()[0].strip() if text else ""
    if tuple(c.strip() for c in first_line.rstrip(",").split(",")) == HEADER:
        return "csv"
    if text.startswith(ERROR_PREFIXES):
        return first_line
    if text.lower().startswith(("<!doctype", "<html")) or "<html" in text[:500].lower():
        return "an HTML page, not CSV"
    return f"not an OCC volume CSV: {first_line[:80]!r}" if text else "an empty body"


def parse(payload: bytes, meta: PayloadMeta) -> Parsed:
    kind = classify(payload)
    if kind == "no-data":
        return Parsed(DATASET, frame(DATASET, []))
    if kind != "csv":
        raise ParseError(NAME, f"OCC answered {kind!r}", field="body")
    text = payload.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader)  # header, checked by classify
    sides = defaultdict(float)  # (trade_date, underlying, porc) -> quantity over both clearing sides
    for line_no, cells in enumerate(reader, start=2):
        if not cells or all(not c.strip() for c in cells):
            continue
        if len(cells) == len(HEADER) + 1 and not cells[-1].strip():
            cells = cells[:-1]  # per-symbol queries end each row with a comma
        if len(cells) != len(HEADER):
            raise ParseError(NAME, f"line {line_no} has {len(cells)} cells, expected {len(HEADER)}",
                             field="line")
        row = dict(zip(HEADER, (c.strip() for c in cells)))
        quantity = to_float(NAME, row["quantity"], "quantity")
        if quantity is None or quantity < 0:
            raise ParseError(NAME, f"line {line_no}: quantity {row['quantity']!r}", field="quantity")
        if row["porc"] not in ("P", "C"):
            raise ParseError(NAME, f"line {line_no}: porc {row['porc']!r} is not P or C", field="porc")
        try:
            trade_date = datetime.strptime(row["actdate"], "%m/%d/%Y").date()
        except ValueError:
            raise ParseError(NAME, f"line {line_no}: actdate {row['actdate']!r}", field="actdate") from None
        if not row["underlying"]:
            raise ParseError(NAME, f"line {line_no}: empty underlying", field="underlying")
        sides[(trade_date, row["underlying"], row["porc"])] += quantity
    records = [
        {"trade_date": d, "underlying": u, "put_call": pc,
         "contracts": total / CLEARING_SIDES_PER_TRADE, "source": NAME}
        for (d, u, pc), total in sorted(sides.items())
    ]
    return Parsed(DATASET, frame(DATASET, records))


def request_params(day: date, symbol: str = UNDERLYING) -> dict:
    return {"reportDate": day.strftime("%Y%m%d"), "format": "csv", "volumeQueryType": "O",
            "symbolType": "U", "symbol": symbol, "accountType": "ALL", "productKind": "ALL",
            "porc": "BOTH", "reportType": "D"}


def fetch(client: HttpClient, day: date) -> list[Fetched]:
    url = ENDPOINTS["volume-query"]
    params = request_params(day)
    resp = client.get(url, params)
    kind = classify(resp.content)
    if kind not in ("csv", "no-data"):
        raise FetchError(NAME, str(resp.request.url), resp.status_code, 1, kind)
    return [Fetched(resp.content, "volume-query", url, params,
                    resp.headers.get("content-type", "text/csv"), "csv")]
