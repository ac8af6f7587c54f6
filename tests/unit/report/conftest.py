"""A tiny warehouse with hand-made marts (no dbt): enough for the report's loaders and charts."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.timeutils import trading_days

DAYS = trading_days(date(2026, 1, 20), date(2026, 2, 13))
CRASH = date(2026, 2, 5)


def snapshot_frame(mode: str = "simulated") -> pd.DataFrame:
    n = len(DAYS)
    volume = [3e9 + 1e8 * i for i in range(n)]
    volume[DAYS.index(CRASH)] = 10.5e9
    return pd.DataFrame({
        "trade_date": DAYS,
        "ibit_dollar_volume": volume,
        "ibit_volume_shares": [v / 50 for v in volume],
        "ibit_return": [0.01 * ((i % 5) - 2) for i in range(n)],
        "ibit_flow_usd": [1e8 * ((i % 7) - 3) for i in range(n)],
        "total_etf_flow_usd": [1.5e8 * ((i % 7) - 3) for i in range(n)],
        "ibit_put_contracts": [4e5 + 1e4 * i for i in range(n)],
        "ibit_call_contracts": [5e5 for _ in range(n)],
        "data_mode": [mode] * n,
    })


def write_marts(path: Path, tables: dict[str, pd.DataFrame]) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create schema if not exists marts")
    for name, frame in tables.items():
        con.register("frame", frame)
        con.execute(f"create table marts.{name} as select * from frame")
        con.unregister("frame")
    con.close()
    return path


@pytest.fixture
def marts_warehouse(tmp_path):
    """Factory: `marts_warehouse({table: frame})` -> a DuckDB file holding those tables in schema marts."""
    return lambda tables: write_marts(tmp_path / "w.duckdb", tables)
