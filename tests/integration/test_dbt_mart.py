"""`dbt build` on hand-built raw data with hand-computed answers, and on the real feb2026 data.

One build per warehouse (module-scoped fixtures); assertions read the built mart read-only.
"""
from __future__ import annotations

import json
import math
from datetime import date

import duckdb
import pandas as pd
import pytest

from pipelines.datasets import DATASETS
from tests.integration.conftest import build_raw_warehouse, read_canonical_csv_dir, run_dbt
from tests.reference import reference_marts
from tests.reference.checks import CHECKS
from tests.reference.compare import compare

pytestmark = pytest.mark.integration

MART = "marts.fct_daily_snapshot_4pm_et"
D = date.fromisoformat


def _frame(columns: str, rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns.split())


def synthetic_frames() -> dict[str, pd.DataFrame]:
    """Winter week 2026-01-14..21 (weekend, MLK holiday on the 19th) and the DST switch (Fri 03-06 EST,
    Mon 03-09 EDT). Snapshot = 21:00 UTC in winter, 20:00 UTC from 03-09; a bar's close counts at its end."""
    hourly = _frame("bar_start_utc symbol close source", [
        ("2026-01-14T18:00:00Z", "BTC-USD", 100.0, "yahoo"),
        ("2026-01-14T19:00:00Z", "BTC-USD", 101.0, "yahoo"),
        ("2026-01-14T20:00:00Z", "BTC-USD", 999.0, "yahoo"),
        ("2026-01-14T20:00:00Z", "BTC-USD", 102.0, "coinbase"),  # preferred over yahoo
        ("2026-01-14T21:00:00Z", "BTC-USD", 500.0, "yahoo"),  # ends 22:00: after the snapshot
        ("2026-01-15T18:00:00Z", "BTC-USD", 110.0, "yahoo"),
        ("2026-01-15T19:00:00Z", "BTC-USD", 111.0, "yahoo"),  # 20:00 bar missing -> this one, 60 min old
        ("2026-01-15T21:00:00Z", "BTC-USD", 777.0, "yahoo"),
        ("2026-01-16T17:00:00Z", "BTC-USD", 120.0, "yahoo"),  # 180 min old at 21:00 -> stale
        ("2026-01-19T20:00:00Z", "BTC-USD", 999.0, "yahoo"),  # holiday
        ("2026-01-20T20:00:00Z", "BTC-USD", 130.0, "yahoo"),
        ("2026-01-21T20:00:00Z", "BTC-USD", 143.0, "yahoo"),
        ("2026-01-21T20:00:00Z", "QQQ", 1.0, "yahoo"),
        ("2026-02-26T20:00:00Z", "BTC-USD", 180.0, "yahoo"),
        ("2026-02-27T20:00:00Z", "BTC-USD", 181.0, "yahoo"),
        ("2026-03-06T19:00:00Z", "BTC-USD", 199.0, "yahoo"),
        ("2026-03-06T20:00:00Z", "BTC-USD", 200.0, "yahoo"),  # EST: ends 21:00 = 4 pm
        ("2026-03-06T21:00:00Z", "BTC-USD", 201.0, "yahoo"),
        ("2026-03-09T18:00:00Z", "BTC-USD", 205.0, "yahoo"),
        ("2026-03-09T19:00:00Z", "BTC-USD", 210.0, "yahoo"),  # EDT: ends 20:00 = 4 pm
        ("2026-03-09T20:00:00Z", "BTC-USD", 999.0, "yahoo"),
    ])
    daily = _frame("trade_date symbol close volume source", [
        ("2026-01-14", "IBIT", 50.0, 1_000_000.0, "yahoo"),
        ("2026-01-14", "IBIT", 51.0, 1_000_000.0, "yahoo-chart"),  # same day, other source: 'yahoo' sorts first
        ("2026-01-15", "IBIT", 45.0, 2_000_000.0, "yahoo"),
        ("2026-01-16", "IBIT", 49.5, None, "yahoo"),
        # 2026-01-20: no IBIT bar
        ("2026-01-21", "IBIT", 50.0, 500_000.0, "yahoo"),
        ("2026-01-17", "BTC-USD", 125.0, 10.0, "yahoo"),  # Saturday
        ("2026-03-06", "IBIT", 40.0, 100.0, "yahoo"),
        ("2026-03-09", "IBIT", 42.0, 100.0, "yahoo"),
    ])
    flows = _frame("trade_date ticker flow_usd source", [
        ("2026-01-14", "IBIT", 100e6, "farside"),
        ("2026-01-14", "FBTC", -30e6, "farside"),
        ("2026-01-15", "IBIT", None, "farside"),
        ("2026-01-15", "FBTC", 20e6, "farside"),
        ("2026-01-16", "IBIT", 0.0, "farside"),
        ("2026-01-16", "FBTC", 0.0, "farside"),
        ("2026-01-19", "IBIT", 55e6, "farside"),  # holiday: kept in raw, not in the mart
        ("2026-01-21", "IBIT", -10e6, "farside"),
        ("2026-01-21", "FBTC", -5e6, "farside"),
    ])
    options = _frame("trade_date underlying put_call contracts source", [
        ("2026-01-14", "IBIT", "P", 3000.0, "occ-volume"),
        ("2026-01-14", "IBIT", "C", 1000.0, "occ-volume"),
        ("2026-01-15", "IBIT", "P", 500.0, "occ-volume"),
    ])
    futures = _frame("trade_date venue contract expiry_date settle open_interest source", [
        ("2026-01-14", "CME", "BTCF26", "2026-01-30", 103.0, 1000.0, "cme-settlements"),
        ("2026-01-14", "CME", "BTCG26", "2026-02-27", 105.0, 500.0, "cme-settlements"),
        ("2026-01-14", "CME", "BTC-front-continuous", None, 999.0, None, "yahoo"),  # listed contracts win
        ("2026-01-15", "CME", "BTCF26", "2026-01-30", 112.0, None, "cme-settlements"),
        ("2026-01-15", "CME", "BTCG26", "2026-02-27", 113.0, 600.0, "cme-settlements"),
        ("2026-01-16", "CME", "BTCF26", None, 121.0, None, "cme-settlements"),  # expiry from cme_expiries
        ("2026-01-30", "CME", "BTCF26", "2026-01-30", 150.0, 10.0, "cme-settlements"),  # its expiry day
        ("2026-01-30", "CME", "BTCG26", "2026-02-27", 151.0, 700.0, "cme-settlements"),
        # the rolled series in BTCG26's last days (it expires Friday 2026-02-27): short-dated, then settled
        ("2026-02-26", "CME", "BTC-front-continuous", None, 180.5, None, "yahoo"),
        ("2026-02-27", "CME", "BTC-front-continuous", None, 178.0, None, "yahoo"),
        ("2026-03-06", "CME", "BTC-front-continuous", None, 201.0, None, "yahoo"),
        ("2026-03-09", "CME", "BTC-front-continuous", None, 212.0, None, "yahoo"),
    ])
    binance = _frame("ts_utc venue symbol open_interest_usd source", [
        ("2026-01-14T20:55:00Z", "Binance", "BTCUSDT", 5e9, "binance-oi"),
        ("2026-01-14T21:05:00Z", "Binance", "BTCUSDT", 6e9, "binance-oi"),
        ("2026-01-15T18:30:00Z", "Binance", "BTCUSDT", 4e9, "binance-oi"),  # 150 min old -> stale
        ("2026-03-09T19:50:00Z", "Binance", "BTCUSDT", 7e9, "binance-oi"),
        ("2026-03-09T20:30:00Z", "Binance", "BTCUSDT", 8e9, "binance-oi"),
    ])
    dvol = _frame("trade_date index_name close source", [
        ("2026-03-09", "DVOL-BTC", 60.0, "deribit-dvol"),
    ])
    return {
        "hourly_bars": hourly, "daily_bars": daily, "etf_flows": flows, "options_volume": options,
        "futures_daily": futures, "perp_open_interest": binance, "vol_index_daily": dvol,
    }


def _build_and_read(tmp_dir, frames, mode, modes=None) -> pd.DataFrame:
    warehouse = build_raw_warehouse(tmp_dir / "btcflows.duckdb", frames, mode=mode, modes=modes, allow_mixed=bool(modes))
    result = run_dbt(["build"], warehouse, tmp_dir)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        mart = con.execute(f"select * from {MART} order by trade_date").df()
    mart["trade_date"] = pd.to_datetime(mart["trade_date"]).dt.date
    return mart.set_index("trade_date", drop=False)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    tmp_dir = tmp_path_factory.mktemp("dbt_synthetic")
    # DVOL arrives live beside simulated everything else: that day is 'mixed'.
    mart = _build_and_read(tmp_dir, synthetic_frames(), mode="simulated", modes={"vol_index_daily": "live"})
    return {"mart": mart, "dir": tmp_dir, "warehouse": tmp_dir / "btcflows.duckdb"}


@pytest.fixture(scope="module")
def mart(synthetic) -> pd.DataFrame:
    return synthetic["mart"]


def isnull(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) or pd.isna(value)


# -- the trading-day spine ----------------------------------------------------------------------

def test_one_row_per_trading_day_from_first_to_last_day_with_data(mart):
    assert mart.index.min() == D("2026-01-14") and mart.index.max() == D("2026-03-09")
    assert mart["trade_date"].is_unique
    for closed in ("2026-01-17", "2026-01-18", "2026-01-19", "2026-02-16"):  # weekend, MLK, Presidents' Day
        assert D(closed) not in mart.index
    assert D("2026-02-13") in mart.index  # a trading day with no data at all still has its row


def test_snapshot_instant_follows_new_york_dst(mart):
    assert str(mart.loc[D("2026-03-06"), "snapshot_utc"]) == "2026-03-06 21:00:00"
    assert str(mart.loc[D("2026-03-09"), "snapshot_utc"]) == "2026-03-09 20:00:00"


# -- BTC-USD at 4 pm ----------------------------------------------------------------------------

def test_btc_at_4pm_winter_takes_bar_starting_20_utc_and_prefers_coinbase(mart):
    row = mart.loc[D("2026-01-14")]
    assert row["btc_usd_4pm"] == 102.0
    assert row["btc_usd_4pm_age_minutes"] == 0
    assert not row["btc_usd_4pm_is_stale"]


def test_btc_at_4pm_missing_bar_falls_back_to_older_observation_with_its_age(mart):
    row = mart.loc[D("2026-01-15")]
    assert row["btc_usd_4pm"] == 111.0
    assert row["btc_usd_4pm_age_minutes"] == 60


def test_btc_at_4pm_too_old_is_null_and_flagged(mart):
    row = mart.loc[D("2026-01-16")]
    assert isnull(row["btc_usd_4pm"])
    assert row["btc_usd_4pm_age_minutes"] == 180
    assert row["btc_usd_4pm_is_stale"]


def test_btc_at_4pm_across_the_dst_switch(mart):
    assert mart.loc[D("2026-03-06"), "btc_usd_4pm"] == 200.0  # EST: bar 20:00 UTC
    assert mart.loc[D("2026-03-09"), "btc_usd_4pm"] == 210.0  # EDT: bar 19:00 UTC
    assert mart.loc[D("2026-03-09"), "btc_usd_4pm_age_minutes"] == 0


def test_btc_return_is_4pm_to_4pm_between_consecutive_trading_days(mart):
    assert mart.loc[D("2026-01-15"), "btc_return"] == pytest.approx(111 / 102 - 1)
    assert isnull(mart.loc[D("2026-01-16"), "btc_return"])  # today stale
    assert isnull(mart.loc[D("2026-01-20"), "btc_return"])  # previous trading day (01-16) stale, not the holiday's bar
    assert mart.loc[D("2026-01-21"), "btc_return"] == pytest.approx(0.1)
    assert mart.loc[D("2026-03-09"), "btc_return"] == pytest.approx(0.05)


# -- IBIT ---------------------------------------------------------------------------------------

def test_ibit_close_return_and_volume(mart):
    assert mart.loc[D("2026-01-14"), "ibit_close"] == 50.0  # one row per day and symbol, by source name
    assert mart.loc[D("2026-01-14"), "ibit_dollar_volume"] == 50_000_000.0
    assert mart.loc[D("2026-01-15"), "ibit_return"] == pytest.approx(-0.1)
    assert mart.loc[D("2026-01-15"), "ibit_volume_shares"] == 2_000_000.0
    assert mart.loc[D("2026-01-16"), "ibit_return"] == pytest.approx(0.1)
    assert isnull(mart.loc[D("2026-01-16"), "ibit_dollar_volume"])  # no volume -> null, not 0
    assert isnull(mart.loc[D("2026-01-20"), "ibit_close"])
    assert isnull(mart.loc[D("2026-01-21"), "ibit_return"])  # previous trading day has no bar
    assert mart.loc[D("2026-03-09"), "ibit_return"] == pytest.approx(0.05)


def test_etf_flows_nulls_are_not_zeros(mart):
    assert mart.loc[D("2026-01-14"), "ibit_flow_usd"] == 100e6
    assert mart.loc[D("2026-01-14"), "total_etf_flow_usd"] == 70e6
    assert isnull(mart.loc[D("2026-01-15"), "ibit_flow_usd"])
    assert mart.loc[D("2026-01-15"), "total_etf_flow_usd"] == 20e6
    assert mart.loc[D("2026-01-16"), "ibit_flow_usd"] == 0.0  # a reported zero stays zero
    assert isnull(mart.loc[D("2026-01-20"), "total_etf_flow_usd"])  # no fund row
    assert mart.loc[D("2026-01-21"), "total_etf_flow_usd"] == -15e6


def test_ibit_options_puts_and_calls(mart):
    assert mart.loc[D("2026-01-14"), "ibit_put_contracts"] == 3000.0
    assert mart.loc[D("2026-01-14"), "ibit_call_contracts"] == 1000.0
    assert mart.loc[D("2026-01-15"), "ibit_put_contracts"] == 500.0
    assert isnull(mart.loc[D("2026-01-15"), "ibit_call_contracts"])
    assert isnull(mart.loc[D("2026-01-16"), "ibit_put_contracts"])


# -- CME ----------------------------------------------------------------------------------------

# Time to expiry: from 4 pm New York (21:00 UTC in winter, 20:00 UTC from 03-09) to the final settlement,
# 16:00 London (16:00 UTC before 29 March) on the last trading day, in fractional days.
DAYS_0114_TO_BTCF26 = (16 - 21) / 24 + 16  # 2026-01-14 21:00 UTC .. 2026-01-30 16:00 UTC


def test_cme_front_contract_and_annualized_basis_on_fractional_days(mart):
    row = mart.loc[D("2026-01-14")]
    assert (row["cme_front_contract"], row["cme_front_settle"]) == ("BTCF26", 103.0)
    assert row["cme_front_days_to_expiry"] == pytest.approx(DAYS_0114_TO_BTCF26) == pytest.approx(15.7917, abs=1e-4)
    assert not row["cme_front_is_rolled_series"]
    assert row["cme_front_basis_annualized"] == pytest.approx((103 / 102 - 1) * 365 / DAYS_0114_TO_BTCF26)
    assert mart.loc[D("2026-01-15"), "cme_front_basis_annualized"] == pytest.approx((112 / 111 - 1) * 365 / (DAYS_0114_TO_BTCF26 - 1))
    # expiry missing in the row: taken from cme_expiries; BTC price stale -> basis null
    assert mart.loc[D("2026-01-16"), "cme_front_days_to_expiry"] == pytest.approx(DAYS_0114_TO_BTCF26 - 2)
    assert isnull(mart.loc[D("2026-01-16"), "cme_front_basis_annualized"])


def test_cme_front_is_the_next_contract_on_the_expiry_day(mart):
    row = mart.loc[D("2026-01-30")]  # BTCF26 settled at 16:00 London, before 4 pm New York
    assert (row["cme_front_contract"], row["cme_front_settle"]) == ("BTCG26", 151.0)
    assert row["cme_front_days_to_expiry"] == pytest.approx(28 + (16 - 21) / 24)


def test_cme_rolled_series_takes_the_rules_contract_and_expiry(mart):
    for day, settle, btc, days in (("2026-03-06", 201.0, 200.0, 21 - 5 / 24), ("2026-03-09", 212.0, 210.0, 18 - 4 / 24)):
        row = mart.loc[D(day)]
        assert row["cme_front_contract"] == "BTCH26"  # expires Friday 2026-03-27
        assert row["cme_front_is_rolled_series"] and not row["cme_front_is_null_short_dated"]
        assert row["cme_front_days_to_expiry"] == pytest.approx(days)
        assert row["cme_front_basis_annualized"] == pytest.approx((settle / btc - 1) * 365 / days)


def test_cme_rolled_series_in_its_last_days_is_not_the_next_contracts_price(mart):
    """The rolled series carries the expiring BTCG26 on 02-26 (0.79 days left) and its final price on
    02-27: neither is priced as the front (BTCH26, 28 days) - the front's basis is null and flagged."""
    for day, days in (("2026-02-26", 28 + 19 / 24), ("2026-02-27", 27 + 19 / 24)):
        row = mart.loc[D(day)]
        assert row["cme_front_contract"] == "BTCH26"
        assert row["cme_front_days_to_expiry"] == pytest.approx(days)
        assert isnull(row["cme_front_settle"]) and isnull(row["cme_front_basis_annualized"])
        assert row["cme_front_is_null_short_dated"]
    assert not mart.loc[D("2026-03-06"), "cme_front_is_null_short_dated"]


def test_cme_open_interest_sums_contract_months_and_is_null_when_none(mart):
    assert mart.loc[D("2026-01-14"), "cme_open_interest"] == 1500.0  # rolled series not counted
    assert mart.loc[D("2026-01-15"), "cme_open_interest"] == 600.0
    assert isnull(mart.loc[D("2026-01-16"), "cme_open_interest"])  # a row, but no open interest
    assert mart.loc[D("2026-01-30"), "cme_open_interest"] == 710.0
    assert isnull(mart.loc[D("2026-03-06"), "cme_open_interest"])


# -- Binance, DVOL, data_mode -------------------------------------------------------------------

def test_binance_open_interest_as_of_4pm(mart):
    assert mart.loc[D("2026-01-14"), "binance_open_interest_usd"] == 5e9
    assert mart.loc[D("2026-01-14"), "binance_open_interest_age_minutes"] == 5
    assert isnull(mart.loc[D("2026-01-15"), "binance_open_interest_usd"])
    assert mart.loc[D("2026-01-15"), "binance_open_interest_age_minutes"] == 150
    assert mart.loc[D("2026-03-09"), "binance_open_interest_usd"] == 7e9
    assert mart.loc[D("2026-03-09"), "binance_open_interest_age_minutes"] == 10


def test_dvol_and_data_mode(mart):
    assert mart.loc[D("2026-03-09"), "dvol"] == 60.0
    assert isnull(mart.loc[D("2026-03-06"), "dvol"])
    assert mart.loc[D("2026-01-14"), "data_mode"] == "simulated"
    assert mart.loc[D("2026-03-06"), "data_mode"] == "simulated"
    assert mart.loc[D("2026-03-09"), "data_mode"] == "mixed"  # live DVOL beside simulated rows


SNAPSHOT_CHECKS = [c for c in CHECKS if c.mart in ("fct_daily_snapshot_4pm_et", "fct_cme_basis", "fct_signals")]


@pytest.fixture(scope="module")
def reference() -> dict[str, pd.DataFrame]:
    return reference_marts(synthetic_frames())


@pytest.mark.parametrize("check", SNAPSHOT_CHECKS, ids=[f"{c.mart}:{i}" for i, c in enumerate(SNAPSHOT_CHECKS)])
def test_the_snapshot_agrees_with_the_reference_on_the_synthetic_week(synthetic, reference, check):
    with duckdb.connect(str(synthetic["warehouse"]), read_only=True) as con:
        result = compare(con, reference, check)
    assert not result.problems, "\n".join(result.problems[:30])


def test_models_land_in_exact_schemas_and_sources_map_to_raw_assets(synthetic):
    with duckdb.connect(str(synthetic["warehouse"]), read_only=True) as con:
        schemas = dict(con.execute(
            "select table_name, table_schema from information_schema.tables "
            "where table_name like 'stg_%' or table_name like 'int_%' or table_name like 'fct_%'"
        ).fetchall())
    assert schemas["stg_raw__etf_flows"] == "staging"
    assert schemas["int_btc_usd_at_4pm"] == "intermediate"
    assert schemas["fct_daily_snapshot_4pm_et"] == "marts"
    manifest = json.loads((synthetic["dir"] / "target" / "manifest.json").read_text())
    source_keys = {s["name"]: s["meta"]["dagster"]["asset_key"] for s in manifest["sources"].values()}
    assert source_keys["etf_flows"] == ["raw", "etf_flows"]
    assert source_keys["cme_expiries"] == ["raw", "cme_expiries"]
    assert set(source_keys) == {*DATASETS, "nyse_calendar", "cme_expiries"}  # every raw table, nothing else


def test_column_rules_report_each_broken_rule_with_its_column_and_row_count(synthetic, tmp_path):
    """column_rules (one dbt test per model for its grain, unique, not-null, not-all-null, accepted-value
    and range rules) catches a value planted against each rule in a built mart; its failing rows name the rule,
    the column and how many rows break it, and the failure count sums those rows."""
    import shutil

    warehouse = tmp_path / "btcflows.duckdb"
    shutil.copy(synthetic["warehouse"], warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"update {MART} set btc_usd_4pm_is_stale = null where trade_date = '2026-01-15'")
        con.execute(f"update {MART} set ibit_dollar_volume = -1 where trade_date = '2026-01-14'")
        con.execute(f"update {MART} set dvol = 500 where trade_date = '2026-01-14'")  # bound 500 is inclusive: ok
        con.execute(f"update {MART} set data_mode = 'live' where trade_date = '2026-01-16'")  # marts: no 'live'
        # Two rows on one snapshot instant (and, copied whole, one trade_date twice).
        con.execute(f"insert into {MART} select * from {MART} where trade_date = '2026-01-20'")
        # Null in every row although its input has BTC-USD bars: each row alone passes every other rule.
        con.execute(f"update {MART} set btc_usd_4pm = null")
    result = run_dbt(["test", "--store-failures", "--select", f"{MART.split('.')[1]},test_name:column_rules"],
                     warehouse, tmp_path)
    assert result.returncode == 1, result.stdout[-3000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        failing = {name: con.execute(f"select * from {schema}.{name}").fetchall()
                   for schema, name in con.execute(
                       "select table_schema, table_name from information_schema.tables "
                       "where table_schema like '%dbt_test__audit'").fetchall()}
    rows = {tuple(r) for rs in failing.values() for r in rs}
    assert rows == {
        ("not_null", "btc_usd_4pm_is_stale", 1),
        ("ranges", "ibit_dollar_volume", 1),
        ("accepted_values", "data_mode", 1),
        ("unique", "trade_date", 2),
        ("unique", "snapshot_utc", 2),
        ("not_all_null", "btc_usd_4pm", 1),
    }
    assert "Got 8 results" in result.stdout or "8 results" in result.stdout, result.stdout[-3000:]


# -- the real data ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real_mart(real_data_dir, tmp_path_factory) -> pd.DataFrame:
    tmp_dir = tmp_path_factory.mktemp("dbt_real")
    mart = _build_and_read(tmp_dir, read_canonical_csv_dir(real_data_dir), mode="real")
    return mart


@pytest.mark.real_data
def test_real_data_crash_day(real_mart):
    crash = real_mart.loc[D("2026-02-05")]
    assert crash["ibit_return"] == pytest.approx(-0.132, abs=0.002)
    assert crash["ibit_dollar_volume"] > 10e9  # the record day
    assert crash["btc_return"] < -0.10
    assert crash["btc_usd_4pm_age_minutes"] == 0
    assert real_mart.loc[D("2026-02-06"), "btc_return"] > 0.10
    assert (real_mart["data_mode"].dropna() == "real").all()


@pytest.mark.real_data
def test_real_data_holidays_and_missing_sources(real_mart):
    assert D("2026-01-19") not in real_mart.index  # ETF flows exist that day; NYSE was closed
    assert D("2025-11-27") not in real_mart.index
    # not in this data: null, never zero
    assert real_mart["ibit_put_contracts"].isna().all()
    assert real_mart["cme_open_interest"].isna().all()
    assert real_mart["binance_open_interest_usd"].isna().all()
    # the rolled CME front month is priced as the rule's contract
    assert real_mart.loc[D("2026-02-05"), "cme_front_contract"] == "BTCG26"
