"""Canonical rows in: the shared CSVs, a scenario's frames or raw tables, normalized for the reference
(dates and instants as naive datetime64, tickers and symbols upper case, absent datasets empty)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

COLUMNS = {
    "etf_flows": ["trade_date", "ticker", "flow_usd", "source", "reported_date"],
    "etf_fund_daily": ["trade_date", "ticker", "shares_outstanding", "nav_usd", "btc_held", "source"],
    "daily_bars": ["trade_date", "symbol", "open", "high", "low", "close", "volume", "source"],
    "hourly_bars": ["bar_start_utc", "symbol", "open", "high", "low", "close", "volume", "source"],
    "futures_daily": ["trade_date", "venue", "contract", "expiry_date", "settle", "volume", "open_interest", "source"],
    "perp_open_interest": ["ts_utc", "venue", "symbol", "open_interest_base", "open_interest_usd", "source"],
    "funding_rates": ["ts_utc", "venue", "symbol", "funding_rate", "source"],
    "options_volume": ["trade_date", "underlying", "put_call", "contracts", "source"],
    "option_chain_snapshot": ["snapshot_utc", "venue", "instrument", "underlying", "expiry_utc", "strike", "put_call",
                              "open_interest", "multiplier", "mark_iv", "underlying_price", "source"],
    "vol_index_daily": ["trade_date", "index_name", "close", "source"],
}
DAY_COLUMNS = {"trade_date", "reported_date", "expiry_date"}
INSTANT_COLUMNS = {"bar_start_utc", "ts_utc", "snapshot_utc", "expiry_utc"}
TEXT_COLUMNS = {"ticker", "symbol", "source", "venue", "contract", "underlying", "put_call", "instrument", "index_name"}
UPPER_CASE = {"ticker", "symbol"}


def normalize(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    out = {}
    for name, columns in COLUMNS.items():
        given = frames.get(name)
        given = pd.DataFrame(columns=columns) if given is None else given.reset_index(drop=True)
        df = pd.DataFrame({c: given[c] if c in given else pd.Series(None, index=given.index, dtype=object)
                           for c in columns}, index=given.index)
        for col in columns:
            if col in DAY_COLUMNS:
                df[col] = pd.to_datetime(df[col]).astype("datetime64[ns]").dt.normalize()
            elif col in INSTANT_COLUMNS:
                values = pd.to_datetime(df[col], utc=True) if df[col].notna().any() else pd.to_datetime(df[col])
                df[col] = (values.dt.tz_convert(None) if getattr(values.dt, "tz", None) else values).astype("datetime64[ns]")
            elif col in TEXT_COLUMNS:
                df[col] = df[col].astype(object)
                if col in UPPER_CASE:
                    df[col] = df[col].str.upper()
            else:
                df[col] = pd.to_numeric(df[col]).astype(float)
        out[name] = df
    return out


def read_csv_dir(directory: Path) -> dict[str, pd.DataFrame]:
    frames = {}
    for name in COLUMNS:
        path = Path(directory) / f"{name}.csv"
        if path.exists():
            frames[name] = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    return normalize(frames)


def read_raw_tables(con) -> dict[str, pd.DataFrame]:
    """The canonical columns of every raw table of a warehouse (a DuckDB connection)."""
    return normalize({name: con.execute(f"select {', '.join(cols)} from raw.{name}").df()
                      for name, cols in COLUMNS.items()})
