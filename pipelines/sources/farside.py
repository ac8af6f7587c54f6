"""Farside Investors: US spot bitcoin ETF daily net flows, one HTML page with one <table>.

Endpoint: https://farside.co.uk/bitcoin-etf-flow-all-data/ (every date since 11 Jan 2024; what
`fetch` asks for) and https://farside.co.uk/btc/ (recent weeks). No API, no key; bot protection.
Units: cells are US$ millions with one decimal -> flow_usd in US dollars (x 1e6, whole dollars).
Quirks handled: `(95.1)` negatives, `1,045.0` thousands separators, `-` = no figure (null, kept
apart from a reported `0.0`), Total/Average/Maximum/Minimum trailer rows dropped by first cell,
the `Total` column ignored (it is not a fund), an all-`-` row on a non-trading day (a holiday)
dropped, an unknown fund header kept as a new ticker with a warning, a page without the table
(a bot challenge) is a failed fetch. `reported_date` = the fetch's New York date.
History: all dates, but only each cell's latest value: archive every fetch to keep revisions.
"""
from __future__ import annotations

import re
import warnings
from datetime import date
from html.parser import HTMLParser

from pipelines.archive import PayloadMeta
from pipelines.funds import KNOWN_FUNDS
from pipelines.sources.base import Fetched, Parsed, ParseError, frame, partition_date, to_float
from pipelines.sources.http import FetchError, HttpClient
from pipelines.timeutils import CALENDAR_END, CALENDAR_START, is_trading_day

NAME = "farside"
DATASETS = ("etf_flows",)
EXT = "html"
RATE_PER_SECOND = 0.2  # a few fetches a day; the site is bot-protected
SNAPSHOT = False
ENDPOINTS = {
    "all_data": "https://farside.co.uk/bitcoin-etf-flow-all-data/",
    "recent": "https://farside.co.uk/btc/",
}

TRAILER_LABELS = ("total", "average", "maximum", "minimum")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DATE = re.compile(r"^(\d{1,2}) ([A-Za-z]{3}) (\d{4})$")


class _TableReader(HTMLParser):
    """Collects every <table> as a list of rows of cell texts (th and td alike)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._depth += 1
            self.tables.append([])
        elif tag == "tr" and self._depth:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row:
                self.tables[-1].append(self._row)
            self._row = None
        elif tag == "table" and self._depth:
            self._depth -= 1

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def flow_table(payload: bytes) -> list[list[str]] | None:
    """The rows of the table whose header starts with `Date`, or None when the page has none."""
    reader = _TableReader()
    reader.feed(payload.decode("utf-8", errors="replace"))
    reader.close()
    for table in reader.tables:
        if table and table[0] and table[0][0].strip().lower() == "date":
            return table
    return None


def parse_day(text: str) -> date | None:
    m = _DATE.match(text.strip())
    if not m or m.group(2).title() not in MONTHS:
        return None
    try:
        return date(int(m.group(3)), MONTHS.index(m.group(2).title()) + 1, int(m.group(1)))
    except ValueError:
        return None


def _is_closed(day: date) -> bool:
    return CALENDAR_START <= day <= CALENDAR_END and not is_trading_day(day)


def parse(payload: bytes, meta: PayloadMeta) -> Parsed:
    table = flow_table(payload)
    if table is None:
        raise ParseError(NAME, "no table with a 'Date' header (a bot-challenge page?)", field="Date")
    header = table[0]
    funds = header[1:]
    if funds and funds[-1].strip().lower() == "total":
        funds = funds[:-1]
    if not funds:
        raise ParseError(NAME, f"header names no fund: {header!r}", field="Date")
    for ticker in funds:
        if ticker not in KNOWN_FUNDS:
            warnings.warn(f"{NAME}: unknown fund column {ticker!r}: kept as a new ticker", stacklevel=2)
    reported = partition_date(meta)

    records = []
    for row in table[1:]:
        label = row[0].strip()
        if label.lower() in TRAILER_LABELS or not label:
            continue
        trade_date = parse_day(label)
        if trade_date is None:
            raise ParseError(NAME, f"row label {label!r} is neither a date (DD Mon YYYY) nor a trailer",
                             field="Date")
        if len(row) < len(funds) + 1:
            raise ParseError(NAME, f"row {label} has {len(row) - 1} cells for {len(funds)} funds",
                             field=funds[len(row) - 1] if len(row) > 1 else "Date")
        flows_musd = {t: to_float(NAME, row[i + 1], field=f"{t} on {label}") for i, t in enumerate(funds)}
        if all(v is None for v in flows_musd.values()) and _is_closed(trade_date):
            continue  # a holiday row: all '-' and a Total of 0.0 that is not a figure
        for ticker, musd in flows_musd.items():
            records.append({
                "trade_date": trade_date,
                "ticker": ticker,
                "flow_usd": None if musd is None else float(round(musd * 1e6)),
                "source": NAME,
                "reported_date": reported,
            })
    return Parsed("etf_flows", frame("etf_flows", records))


def fetch(client: HttpClient, day: date) -> list[Fetched]:
    url = ENDPOINTS["all_data"]
    resp = client.get(url)
    if flow_table(resp.content) is None:
        raise FetchError(NAME, url, resp.status_code, 1,
                         "page has no flow table (bot challenge?): a failed fetch, not 'no data'")
    return [Fetched(resp.content, "all_data", url, {}, resp.headers.get("content-type", "text/html"), EXT)]
