"""Farside Investors: US spot bitcoin ETF daily net flows, one HTML page with one <table>.

Endpoint: https://farside.co.uk/bitcoin-etf-flow-all-data/ (every date since 11 Jan 2024; what
`fetch` asks for) and https://farside.co.uk/btc/ (recent weeks). No API, no key; bot protection
(a browser-like User-Agent, USER_AGENT below).
Units: cells are US$ millions with one decimal -> flow_usd in US dollars (x 1e6, whole dollars).
Header: the fund tickers are found wherever they are among the rows above the first dated row:
the 2024 capture has one row `Date | IBIT | ... | Total`; the site has also served (and its ETH
page serves) a header of several rows: issuer names above the tickers, a `Fee` row (and a `Seed`
row) below them, the `Date` label on any of them or on none, in <thead> or not. Issuer, fee and
seed rows are ignored; the `Total` column (labelled on any header row, or the last column left
blank on the ticker row) is not a fund.
Quirks handled: `(95.1)` negatives, `1,045.0` thousands separators, `-` = no figure (null, kept
apart from a reported `0.0`), Total/Average/Maximum/Minimum trailer rows dropped by first cell,
an all-`-` row on a non-trading day (a holiday) dropped, an unknown fund header kept as a new
ticker with a warning, dates as `11 Jan 2024` (also `02 Sept 2025`, full month names), cells
spanning columns (`colspan`). A page without any flows-like table (a bot challenge) is a failed
fetch; a page whose table has dated rows but no fund header, or a fund header but no dated
rows, is a changed layout, with its own message. `reported_date` = the fetch's New York date.
History: all dates, but only each cell's latest value: archive every fetch to keep revisions.
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser

from pipelines.archive import PayloadMeta
from pipelines.funds import KNOWN_FUNDS
from pipelines.sources.base import Fetched, Parsed, ParseError, frame, partition_date, to_float
from pipelines.sources.http import BROWSER_USER_AGENT, FetchError, HttpClient
from pipelines.timeutils import CALENDAR_END, CALENDAR_START, is_trading_day

NAME = "farside"
DATASETS = ("etf_flows",)
EXT = "html"
RATE_PER_SECOND = 0.2  # a few fetches a day; the site is bot-protected
SNAPSHOT = False
USER_AGENT = BROWSER_USER_AGENT  # script User-Agents get the challenge page
ENDPOINTS = {
    "all_data": "https://farside.co.uk/bitcoin-etf-flow-all-data/",
    "recent": "https://farside.co.uk/btc/",
}

TRAILER_LABELS = ("total", "average", "maximum", "minimum")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
               "october", "november", "december")
_DATE = re.compile(r"^(\d{1,2}) ([A-Za-z]{3,9})\.? (\d{4})$")
_TICKER = re.compile(r"^[A-Z][A-Z0-9]{1,5}$")
CHALLENGE = ("no flow table on the page (no table has rows dated like '11 Jan 2024' or a row of fund "
             "tickers): a bot-challenge or error page?")


class _TableReader(HTMLParser):
    """Collects every <table> as a list of rows of cell texts (th and td alike; a cell spanning n
    columns is repeated n times, so the cells of every row line up with the columns)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._span = 1
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._depth += 1
            self.tables.append([])
        elif tag == "tr" and self._depth:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
            span = dict(attrs).get("colspan") or "1"
            self._span = int(span) if span.strip().isdigit() and 0 < int(span) < 100 else 1

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.extend([" ".join("".join(self._cell).split())] * self._span)
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


@dataclass(frozen=True)
class FlowTable:
    """The flow table of a page: fund columns (index -> ticker) and the rows below the header."""

    funds: dict[int, str]
    rows: list[list[str]]


def _tables(payload: bytes) -> list[list[list[str]]]:
    reader = _TableReader()
    reader.feed(payload.decode("utf-8", errors="replace"))
    reader.close()
    return [t for t in reader.tables if t]


def _first_dated_row(table: list[list[str]]) -> int | None:
    return next((i for i, row in enumerate(table) if row and parse_day(row[0]) is not None), None)


def _is_total(text: str) -> bool:
    return text.strip().lower() == "total"


def _ticker_row(header: list[list[str]]) -> list[str] | None:
    """The header row that names the funds: most known tickers, then most ticker-shaped cells; at
    least half of its labelled cells (the first column and `Total` aside) look like tickers."""
    best, best_score = None, (0, 0)
    for row in header:
        labels = [c for c in row[1:] if c and not _is_total(c)]
        shaped = [c for c in labels if _TICKER.match(c)]
        if not shaped or 2 * len(shaped) < len(labels):
            continue
        score = (sum(c in KNOWN_FUNDS for c in shaped), len(shaped))
        if score > best_score:
            best, best_score = row, score
    return best


def _fund_columns(header: list[list[str]], tickers: list[str]) -> dict[int, str]:
    """Column index -> ticker. A column whose ticker cell is blank must be the Total column:
    labelled `Total` on another header row, or the last column."""
    width = max(len(r) for r in header)
    funds = {}
    for i in range(1, width):
        text = tickers[i] if i < len(tickers) else ""
        if _is_total(text):
            continue
        if text:
            funds[i] = text
        elif not (i == width - 1 or any(i < len(r) and _is_total(r[i]) for r in header)):
            raise ParseError(NAME, f"header column {i + 1} has no ticker (and is not the Total column): "
                                   "the page layout changed", field="header")
    return funds


def flow_table(payload: bytes) -> FlowTable:
    """The page's flow table, or ParseError telling a challenge page from a changed layout."""
    dated_without_header = named_without_dates = None
    candidates = []
    for table in _tables(payload):
        first = _first_dated_row(table)
        header = table if first is None else table[:first]
        tickers = _ticker_row(header) if header else None
        if first is not None and tickers is not None:
            candidates.append((len(table) - first, header, tickers, table[first:]))
        elif first is not None:
            dated_without_header = dated_without_header or len(table) - first
        elif tickers is not None:
            named_without_dates = named_without_dates or [c for c in tickers[1:] if _TICKER.match(c)]
    if candidates:
        _, header, tickers, rows = max(candidates, key=lambda c: c[0])
        return FlowTable(_fund_columns(header, tickers), rows)
    if dated_without_header:
        raise ParseError(NAME, f"a table has {dated_without_header} dated row(s) but no header row names the "
                               "funds (tickers such as IBIT above the dates): the page layout changed",
                         field="header")
    if named_without_dates:
        raise ParseError(NAME, f"a table names the funds ({', '.join(named_without_dates[:4])}, ...) but no row "
                               "is dated like '11 Jan 2024': the page layout changed", field="Date")
    raise ParseError(NAME, CHALLENGE, field="Date")


def parse_day(text: str) -> date | None:
    """`11 Jan 2024`; also `02 Sept 2025` and full month names."""
    m = _DATE.match(text.strip())
    if not m:
        return None
    word = m.group(2).lower()
    if not (word in ("sept",) or (len(word) == 3 and word.title() in MONTHS) or word in MONTH_NAMES):
        return None
    try:
        return date(int(m.group(3)), MONTHS.index(word[:3].title()) + 1, int(m.group(1)))
    except ValueError:
        return None


def _is_closed(day: date) -> bool:
    return CALENDAR_START <= day <= CALENDAR_END and not is_trading_day(day)


def parse(payload: bytes, meta: PayloadMeta) -> Parsed:
    table = flow_table(payload)
    funds = table.funds
    if not funds:
        raise ParseError(NAME, "the header names no fund", field="header")
    for ticker in funds.values():
        if ticker not in KNOWN_FUNDS:
            warnings.warn(f"{NAME}: unknown fund column {ticker!r}: kept as a new ticker", stacklevel=2)
    reported = partition_date(meta)
    last_column = max(funds)

    records = []
    for row in table.rows:
        label = row[0].strip()
        if label.lower() in TRAILER_LABELS or not label:
            continue
        trade_date = parse_day(label)
        if trade_date is None:
            raise ParseError(NAME, f"row label {label!r} is neither a date (DD Mon YYYY) nor a trailer",
                             field="Date")
        if len(row) <= last_column:
            missing = next(t for i, t in sorted(funds.items()) if i >= len(row))
            raise ParseError(NAME, f"row {label} has {len(row) - 1} cells for {last_column} columns",
                             field=missing)
        flows_musd = {t: to_float(NAME, row[i], field=f"{t} on {label}") for i, t in funds.items()}
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
    try:
        flow_table(resp.content)
    except ParseError as exc:
        raise FetchError(NAME, url, resp.status_code, 1, f"{exc.what}: a failed fetch, not 'no data'") from None
    return [Fetched(resp.content, "all_data", url, {}, resp.headers.get("content-type", "text/html"), EXT)]
