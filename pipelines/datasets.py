"""The canonical raw datasets (../shared/docs/DATASETS.md, and docs/DATASETS.md generated from
this module): columns, types, keys, units, and the values each text column accepts.

Every parser produces rows of one of these; `btcflows import` accepts them as CSV; the raw
tables in DuckDB are these columns plus the lineage columns. Nothing downstream guesses a unit.

Every text column is either closed (`Dataset.allowed`, and `Dataset.allowed_with` where the set
depends on another column: checked by `btcflows import` and by the raw checks, so a value the
marts cannot use is refused at the door instead of vanishing from them) or open, with the reason
(`Dataset.open_values`): tickers, symbols and contract months grow as markets do.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# Column kinds: "date" (YYYY-MM-DD), "timestamp" (UTC instant), "text", "float", "int".
DUCKDB_TYPES = {
    "date": "DATE",
    "timestamp": "TIMESTAMP",  # naive, always UTC
    "text": "VARCHAR",
    "float": "DOUBLE",
    "int": "BIGINT",
}

LINEAGE_COLUMNS = {
    "_source": "VARCHAR",
    "_mode": "VARCHAR",  # simulated | live | real
    "_payload_sha256": "VARCHAR",
    "_ingested_at": "TIMESTAMP",
    "_partition": "DATE",  # New York date the row belongs to
    "_is_trading_day": "BOOLEAN",  # false: dated on a day NYSE was closed (kept, flagged)
}

MODES = ("simulated", "live", "real")
# Bitcoin's genesis block: no market row can be dated earlier.
EARLIEST_DATE = date(2009, 1, 3)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    required: bool = True
    unit: str = ""
    nonnegative: bool = False


@dataclass(frozen=True)
class Dataset:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    date_column: str  # the column whose New York date is the row's partition
    description: str = ""
    allowed: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # column -> (the column its set depends on, {that column's value: the values accepted with it})
    allowed_with: dict[str, tuple[str, dict[str, tuple[str, ...]]]] = field(default_factory=dict)
    # text column -> why its values are not a closed set
    open_values: dict[str, str] = field(default_factory=dict)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def is_instant(self) -> bool:
        return self.column(self.date_column).kind == "timestamp"

    def ddl(self, table: str) -> str:
        cols = [f'"{c.name}" {DUCKDB_TYPES[c.kind]}' for c in self.columns]
        cols += [f'"{n}" {t}' for n, t in LINEAGE_COLUMNS.items()]
        return f"create table if not exists {table} (\n  " + ",\n  ".join(cols) + "\n)"


def C(name, kind, required=True, unit="", nonnegative=False) -> Column:
    return Column(name, kind, required, unit, nonnegative)


# The venues the marts know (DATASETS.md); a new venue needs its marts first.
VENUES = ("CME", "Binance", "Deribit", "OCC", "Coinbase")
PUT_CALL = ("P", "C")
# What the gamma marts price: BTC options (Black-76 on the expiry's forward) and IBIT options
# (Black-Scholes on the share price), each on the venues that list them.
OPTION_UNDERLYINGS_BY_VENUE = {"Deribit": ("BTC",), "CME": ("BTC",), "OCC": ("IBIT",)}
SOURCE_IS_OPEN = "provenance: a source's name or an archive's own label (`farside-table`, `yahoo-chart BTC=F`)"


DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in [
        Dataset(
            "etf_flows",
            (
                C("trade_date", "date"),
                C("ticker", "text"),
                C("flow_usd", "float", required=False, unit="USD, + = net creation"),
                C("source", "text"),
                C("reported_date", "date", required=False),
            ),
            key=("trade_date", "ticker", "source"),
            date_column="trade_date",
            description="Daily net flow per US spot bitcoin ETF.",
            open_values={"ticker": "new funds launch (Farside adds a column; its parser keeps an unknown fund "
                                   "with a warning)", "source": SOURCE_IS_OPEN},
        ),
        Dataset(
            "etf_fund_daily",
            (
                C("trade_date", "date"),
                C("ticker", "text"),
                C("shares_outstanding", "float", required=False, unit="shares", nonnegative=True),
                C("nav_usd", "float", required=False, unit="USD per share", nonnegative=True),
                C("btc_held", "float", required=False, unit="BTC", nonnegative=True),
                C("source", "text"),
            ),
            key=("trade_date", "ticker"),
            date_column="trade_date",
            description="Fund data per ETF and day: shares outstanding, NAV, bitcoin held.",
            open_values={"ticker": "IBIT today; other issuers' fund files can be added as sources",
                         "source": SOURCE_IS_OPEN},
        ),
        Dataset(
            "daily_bars",
            (
                C("trade_date", "date"),
                C("symbol", "text"),
                C("open", "float", required=False, nonnegative=True),
                C("high", "float", required=False, nonnegative=True),
                C("low", "float", required=False, nonnegative=True),
                C("close", "float", nonnegative=True),
                C("volume", "float", required=False, unit="shares or base units", nonnegative=True),
                C("source", "text"),
            ),
            key=("trade_date", "symbol", "source"),
            date_column="trade_date",
            description="Daily OHLCV bars (quote currency).",
            open_values={"symbol": "tickers as listed (IBIT, IGV, GLD; BTC-USD for spot bitcoin): new peers and "
                                   "funds are followed as they appear", "source": SOURCE_IS_OPEN},
        ),
        Dataset(
            "hourly_bars",
            (
                C("bar_start_utc", "timestamp"),
                C("symbol", "text"),
                C("open", "float", required=False, nonnegative=True),
                C("high", "float", required=False, nonnegative=True),
                C("low", "float", required=False, nonnegative=True),
                C("close", "float", nonnegative=True),
                C("volume", "float", required=False, nonnegative=True),
                C("source", "text"),
            ),
            key=("bar_start_utc", "symbol", "source"),
            date_column="bar_start_utc",
            description="Hourly bars keyed by bar start (UTC); the close is observed at the bar's end.",
            open_values={"symbol": "tickers as listed, BTC-USD (spot) and venue symbols such as BTCUSDT: new "
                                   "ones are followed as they appear", "source": SOURCE_IS_OPEN},
        ),
        Dataset(
            "futures_daily",
            (
                C("trade_date", "date"),
                C("venue", "text"),
                C("contract", "text"),
                C("expiry_date", "date", required=False),
                C("settle", "float", required=False, unit="USD per BTC", nonnegative=True),
                C("volume", "float", required=False, unit="contracts", nonnegative=True),
                C("open_interest", "float", required=False, unit="contracts", nonnegative=True),
                C("source", "text"),
                C("open_interest_source", "text", required=False),
            ),
            key=("trade_date", "venue", "contract"),
            date_column="trade_date",
            description="Daily futures settlement, volume and open interest per contract month.",
            allowed={"venue": VENUES, "open_interest_source": ("volume_oi", "settlements")},
            open_values={"contract": "contract months roll every month (BTCG26, MBTH26; BTC-front-continuous for "
                                     "a rolled series)", "source": SOURCE_IS_OPEN},
        ),
        Dataset(
            "perp_open_interest",
            (
                C("ts_utc", "timestamp"),
                C("venue", "text"),
                C("symbol", "text"),
                C("open_interest_base", "float", required=False, unit="BTC", nonnegative=True),
                C("open_interest_usd", "float", required=False, unit="USD", nonnegative=True),
                C("source", "text"),
            ),
            key=("ts_utc", "venue", "symbol"),
            date_column="ts_utc",
            description="Perpetual swap open interest observations.",
            allowed={"venue": VENUES},
            open_values={"symbol": "the venue's own symbols (BTCUSDT on Binance); more perpetuals can be followed",
                         "source": SOURCE_IS_OPEN},
        ),
        Dataset(
            "funding_rates",
            (
                C("ts_utc", "timestamp"),
                C("venue", "text"),
                C("symbol", "text"),
                C("funding_rate", "float", unit="per funding interval, decimal"),
                C("source", "text"),
            ),
            key=("ts_utc", "venue", "symbol"),
            date_column="ts_utc",
            description="Perpetual funding rate per settlement.",
            allowed={"venue": VENUES},
            open_values={"symbol": "the venue's own symbols (BTCUSDT on Binance); more perpetuals can be followed",
                         "source": SOURCE_IS_OPEN},
        ),
        Dataset(
            "options_volume",
            (
                C("trade_date", "date"),
                C("underlying", "text"),
                C("put_call", "text"),
                C("contracts", "float", unit="contracts", nonnegative=True),
                C("source", "text"),
            ),
            key=("trade_date", "underlying", "put_call"),
            date_column="trade_date",
            description="Daily listed-options volume per underlying, puts and calls.",
            allowed={"put_call": PUT_CALL},
            open_values={"underlying": "OCC underlyings are listed symbols: IBIT today, other bitcoin funds' "
                                       "options can be followed", "source": SOURCE_IS_OPEN},
        ),
        Dataset(
            "option_chain_snapshot",
            (
                C("snapshot_utc", "timestamp"),
                C("venue", "text"),
                C("instrument", "text"),
                C("underlying", "text"),
                C("expiry_utc", "timestamp"),
                C("strike", "float", unit="USD", nonnegative=True),
                C("put_call", "text"),
                C("open_interest", "float", required=False, unit="contracts", nonnegative=True),
                C("multiplier", "float", unit="BTC or shares per contract", nonnegative=True),
                C("mark_iv", "float", required=False, unit="decimal", nonnegative=True),
                C("underlying_price", "float", required=False, unit="USD", nonnegative=True),
                C("source", "text"),
            ),
            key=("snapshot_utc", "venue", "instrument"),
            date_column="snapshot_utc",
            description="Option chain snapshot: open interest and implied vol per instrument.",
            allowed={"venue": tuple(OPTION_UNDERLYINGS_BY_VENUE),
                     "underlying": tuple(dict.fromkeys(u for us in OPTION_UNDERLYINGS_BY_VENUE.values() for u in us)),
                     "put_call": PUT_CALL},
            allowed_with={"underlying": ("venue", OPTION_UNDERLYINGS_BY_VENUE)},
            open_values={"instrument": "one name per listed option (BTC-27MAR26-70000-P): new every day",
                         "source": SOURCE_IS_OPEN},
        ),
        Dataset(
            "vol_index_daily",
            (
                C("trade_date", "date"),
                C("index_name", "text"),
                C("close", "float", unit="vol points", nonnegative=True),
                C("source", "text"),
            ),
            key=("trade_date", "index_name"),
            date_column="trade_date",
            description="Daily close of an implied-volatility index (e.g. DVOL-BTC).",
            allowed={"index_name": ("DVOL-BTC", "DVOL-ETH")},  # Deribit publishes DVOL for BTC and ETH
            open_values={"source": SOURCE_IS_OPEN},
        ),
        Dataset(
            "cot_positions",
            (
                C("report_date", "date"),
                C("market_code", "text"),
                C("category", "text"),
                C("long_contracts", "float", required=False, nonnegative=True),
                C("short_contracts", "float", required=False, nonnegative=True),
                C("open_interest", "float", required=False, nonnegative=True),
                C("source", "text"),
            ),
            key=("report_date", "market_code", "category"),
            date_column="report_date",
            description="CFTC Traders in Financial Futures positions (as of the Tuesday).",
            allowed={
                # CME Bitcoin (5 BTC a contract) and Micro Bitcoin (0.1 BTC): another market's contracts
                # are another size, so its positions cannot be put in BTC
                "market_code": ("133741", "133742"),
                "category": ("dealer", "asset_manager", "leveraged_funds", "other", "nonreportable"),
            },
            open_values={"source": SOURCE_IS_OPEN},
        ),
        Dataset(
            "structured_notes",
            (
                C("filing_date", "date"),
                C("accession", "text"),
                C("issuer", "text"),
                C("issuer_cik", "text", required=False),
                C("document_url", "text", required=False),
                C("document_status", "text"),
                C("product_name", "text", required=False),
                C("cusip", "text", required=False),
                C("isin", "text", required=False),
                C("underlying", "text"),
                C("pricing_date", "date", required=False),
                C("maturity_date", "date", required=False),
                C("initial_level_usd", "float", required=False, unit="USD per share of the underlying",
                  nonnegative=True),
                C("aggregate_principal_usd", "float", required=False, unit="USD", nonnegative=True),
                C("barrier_kind", "text"),
                C("barrier_seq", "int", unit="1, or 1..n along an autocall schedule"),
                C("barrier_observation", "text"),
                C("observation_date", "date", required=False),
                C("barrier_level_usd", "float", required=False, unit="USD per share, as the filing states it",
                  nonnegative=True),
                C("barrier_fraction_of_initial", "float", required=False, unit="decimal, 0.70 = 70% of the initial level",
                  nonnegative=True),
                C("source", "text"),
            ),
            key=("accession", "barrier_kind", "barrier_seq"),
            date_column="filing_date",
            description="Barriers of structured notes linked to IBIT, one row per filing (424B2) and barrier, as filed.",
            allowed={
                "document_status": ("preliminary", "final"),
                "barrier_kind": ("knock_in", "buffer", "coupon", "autocall"),
                "barrier_observation": ("maturity", "daily", "review_dates"),
                # the register holds IBIT-linked notes only (the parser skips other underlyings)
                "underlying": ("IBIT",),
            },
            open_values={
                "accession": "EDGAR's filing numbers: one per filing",
                "issuer": "any bank that files a note on IBIT", "issuer_cik": "EDGAR's number of that issuer",
                "document_url": "one per filing", "product_name": "issuers name each product freely",
                "cusip": "one per note", "isin": "one per note", "source": SOURCE_IS_OPEN,
            },
        ),
    ]
}
