from datetime import date, datetime

import duckdb
import pandas as pd
import pytest

from pipelines.datasets import DATASETS
from pipelines.warehouse import MixedModeError, Warehouse, add_lineage


def flows(rows, mode="simulated"):
    df = pd.DataFrame(rows, columns=["trade_date", "ticker", "flow_usd", "source", "reported_date"])
    return add_lineage(df, DATASETS["etf_flows"], source="farside", mode=mode, sha256="ab" * 32)


D1, D2, D3 = date(2026, 2, 4), date(2026, 2, 5), date(2026, 2, 6)


def table(con):
    return con.execute("select trade_date, ticker, flow_usd from raw.etf_flows order by 1, 2").fetchall()


def test_window_write_replaces_only_its_window_and_is_idempotent(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    with wh.writer() as con:
        wh.write_window(con, "etf_flows", flows([(D1, "IBIT", -1e6, "farside", None), (D2, "IBIT", 2e6, "farside", None)]), D1, D2)
        again = wh.write_window(con, "etf_flows", flows([(D1, "IBIT", -1e6, "farside", None), (D2, "IBIT", 2e6, "farside", None)]), D1, D2)
        assert again.unchanged and again.inserted == 0
        result = wh.write_window(con, "etf_flows", flows([(D2, "IBIT", 3e6, "farside", None), (D3, "IBIT", 4e6, "farside", None)]), D2, D2)
        assert result.deleted == 1 and result.inserted == 1  # D3 lies outside the window: ignored
        assert table(con) == [(D1, "IBIT", -1e6), (D2, "IBIT", 3e6)]


def test_failed_write_leaves_table_as_it_was(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    with wh.writer() as con:
        wh.write_window(con, "etf_flows", flows([(D1, "IBIT", 1.0, "farside", None)]), D1, D1)
        bad = flows([(D1, "IBIT", 2.0, "farside", None)])
        bad["flow_usd"] = ["not a number"]
        with pytest.raises(duckdb.ConversionException):
            wh.write_window(con, "etf_flows", bad, D1, D1)
        assert table(con) == [(D1, "IBIT", 1.0)]


def test_simulated_and_real_rows_are_never_mixed(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    with wh.writer() as con:
        wh.write_window(con, "etf_flows", flows([(D1, "IBIT", 1.0, "farside", None)]), D1, D1)
        with pytest.raises(MixedModeError, match="never mixed"):
            wh.write_window(con, "etf_flows", flows([(D2, "IBIT", 1.0, "farside", None)], mode="real"), D2, D2)
        wh.write_window(con, "etf_flows", flows([(D2, "IBIT", 1.0, "farside", None)], mode="real"), D2, D2, allow_mixed=True)
        assert len(table(con)) == 2


def test_lineage_partition_is_new_york_date_and_flags_non_trading_days():
    ds = DATASETS["hourly_bars"]
    df = pd.DataFrame({"bar_start_utc": pd.to_datetime(["2026-02-07T02:00:00", "2026-02-06T20:00:00"]),
                       "symbol": "BTC-USD", "open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0,
                       "volume": 0.0, "source": "coinbase"})
    out = add_lineage(df, ds, source="coinbase", mode="live", sha256="x")
    assert list(out["_partition"]) == [date(2026, 2, 6), date(2026, 2, 6)]
    flows_df = pd.DataFrame({"trade_date": [date(2026, 1, 19)], "ticker": ["IBIT"], "flow_usd": [1.0],
                             "source": ["f"], "reported_date": [None]})
    assert not add_lineage(flows_df, DATASETS["etf_flows"], "f", "real", "x")["_is_trading_day"].iloc[0]


def test_upsert_adds_and_revises_by_key_and_touches_nothing_else(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    with wh.writer() as con:
        wh.write_window(con, "etf_flows", flows([(D1, "IBIT", 1.0, "farside", None), (D2, "IBIT", 2.0, "farside", None),
                                                 (D3, "IBIT", 3.0, "farside", None)]), D1, D3)
        result = wh.upsert_rows(con, "etf_flows", flows([(D2, "IBIT", 20.0, "farside", None),
                                                         (D2, "FBTC", 5.0, "farside", None)]))
        assert (result.deleted, result.inserted, result.unchanged) == (1, 2, False)
        assert table(con) == [(D1, "IBIT", 1.0), (D2, "FBTC", 5.0), (D2, "IBIT", 20.0), (D3, "IBIT", 3.0)]
        again = wh.upsert_rows(con, "etf_flows", flows([(D2, "IBIT", 20.0, "farside", None)]))
        assert again.unchanged and again.inserted == 0


class FailingCommit:
    """A DuckDB connection whose commit fails as on a full disk."""

    def __init__(self, con):
        self.con = con

    def __getattr__(self, name):
        return getattr(self.con, name)

    def execute(self, sql, *args):
        if sql == "commit":
            self.con.execute("rollback")  # DuckDB ends the transaction when its commit fails
            raise duckdb.TransactionException(
                'TransactionContext Error: Failed to commit: Could not write file "w.duckdb.wal": No space left on device')
        return self.con.execute(sql, *args)


def test_a_write_the_disk_refuses_names_the_table_and_the_file_and_writes_nothing(tmp_path):
    from pipelines.warehouse import WarehouseWriteError

    wh = Warehouse(tmp_path / "w.duckdb")
    with wh.writer() as con:
        wh.write_window(con, "etf_flows", flows([(D1, "IBIT", 1.0, "farside", None)]), D1, D1)
        with pytest.raises(WarehouseWriteError) as err:
            wh.write_window(FailingCommit(con), "etf_flows", flows([(D1, "IBIT", 2.0, "farside", None)]), D1, D1)
        assert str(err.value).startswith(f"raw.etf_flows: cannot write to {wh.path}, nothing written for it: ")
        assert "No space left on device" in str(err.value)
        assert table(con) == [(D1, "IBIT", 1.0)]


def test_reference_tables_carry_closes_and_final_settlements(tmp_path):
    """NYSE's closing instant (13:00 New York on early closes) and each CME contract's final settlement
    (16:00 London), and a warehouse written by an older version gets them on its next write."""
    wh = Warehouse(tmp_path / "w.duckdb")
    with wh.writer() as con:
        wh.ensure_schema(con)
        con.execute("create or replace table raw.nyse_calendar as "
                    "select calendar_date, is_trading_day, snapshot_utc from raw.nyse_calendar")  # the old columns
        wh.ensure_schema(con)
        early = con.execute("select close_utc, is_early_close, snapshot_utc from raw.nyse_calendar "
                            "where calendar_date in ('2025-11-28', '2025-11-26', '2025-11-27') order by calendar_date").fetchall()
        settlements = dict(con.execute("select contract, final_settlement_utc from raw.cme_expiries "
                                       "where contract in ('BTCG26', 'BTCJ26')").fetchall())
    assert early[0] == (datetime(2025, 11, 26, 21), False, datetime(2025, 11, 26, 21))
    assert early[1][:2] == (None, False)  # Thanksgiving: closed
    assert early[2][:2] == (datetime(2025, 11, 28, 18), True)
    assert settlements == {"BTCG26": datetime(2026, 2, 27, 16), "BTCJ26": datetime(2026, 4, 24, 15)}  # GMT, BST


def test_a_canonical_column_added_later_is_added_to_an_existing_raw_table(tmp_path):
    """A warehouse made before futures_daily.open_interest_source existed takes new writes, by name."""
    ds = DATASETS["futures_daily"]
    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw")
        con.execute(ds.ddl("raw.futures_daily").replace(',\n  "open_interest_source" VARCHAR', ""))
        assert "open_interest_source" not in {c for (c,) in con.execute(
            "select column_name from information_schema.columns where table_name = 'futures_daily'").fetchall()}
    rows = pd.DataFrame({"trade_date": [date(2026, 2, 5)], "venue": ["CME"], "contract": ["BTCG26"],
                         "expiry_date": [date(2026, 2, 27)], "settle": [64130.0], "volume": [21345.0],
                         "open_interest": [10212.0], "source": ["cme-settlements"], "open_interest_source": ["volume_oi"]})
    wh = Warehouse(path)
    with wh.writer() as con:
        wh.write_window(con, "futures_daily", add_lineage(rows, ds, "cme-settlements", "live", "s"),
                        date(2026, 2, 5), date(2026, 2, 5))
    with wh.reader() as con:
        got = con.execute("select contract, open_interest, open_interest_source from raw.futures_daily").fetchall()
    assert got == [("BTCG26", 10212.0, "volume_oi")]
