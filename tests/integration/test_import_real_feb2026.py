"""Acceptance: `btcflows import ../shared/data/feb2026` end to end, and the numbers of EVENT.md come
back from the daily 4 pm mart. Skips (saying why) where the shared data is absent."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from pipelines.datasets import DATASETS
from pipelines.warehouse import Warehouse

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def imported(tmp_path_factory, real_data_dir):
    from pipelines.cli import main

    tmp = tmp_path_factory.mktemp("real")
    mp = pytest.MonkeyPatch()
    mp.setenv("BTCFLOWS_WAREHOUSE", str(tmp / "btcflows.duckdb"))
    mp.setenv("BTCFLOWS_ARCHIVE", str(tmp / "archive"))
    try:
        main(["import", str(real_data_dir)])
        first = snapshot(Warehouse(tmp / "btcflows.duckdb"))
        main(["import", str(real_data_dir)])  # twice: nothing changes
        yield Warehouse(tmp / "btcflows.duckdb"), first
    finally:
        mp.undo()


def snapshot(wh: Warehouse) -> dict[str, pd.DataFrame]:
    with wh.reader() as con:
        raw = {t: con.execute(f"select * exclude (_ingested_at) from raw.{t} order by all").df() for t in DATASETS}
        raw["mart"] = con.execute("select * from marts.fct_daily_snapshot_4pm_et order by trade_date").df()
    return raw


def mart_row(wh, day):
    with wh.reader() as con:
        df = con.execute("select * from marts.fct_daily_snapshot_4pm_et where trade_date = ?", [day]).df()
    assert len(df) == 1, f"no mart row for {day}"
    return df.iloc[0]


def test_crash_day_ibit(imported):
    row = mart_row(imported[0], date(2026, 2, 5))
    assert row["ibit_return"] == pytest.approx(-0.132, abs=0.002)
    assert row["ibit_dollar_volume"] > 10e9
    with imported[0].reader() as con:
        (record_before,) = con.execute(
            "select max(ibit_dollar_volume) from marts.fct_daily_snapshot_4pm_et where trade_date < '2026-02-05'").fetchone()
    assert row["ibit_dollar_volume"] > record_before  # the highest in IBIT's history


@pytest.mark.parametrize("day, flow", [(date(2026, 1, 30), -528.3e6), (date(2026, 2, 4), -373.4e6), (date(2026, 2, 6), 231.6e6)])
def test_ibit_flows(imported, day, flow):
    assert mart_row(imported[0], day)["ibit_flow_usd"] == pytest.approx(flow, abs=1)


def test_btc_at_4pm_from_hourly_bars_in_winter_and_summer(imported):
    wh = imported[0]
    with wh.reader() as con:
        def close_at(ts):
            return con.execute("select close from raw.hourly_bars where symbol='BTC-USD' and bar_start_utc = ?", [ts]).fetchone()[0]
        winter_expected = close_at(pd.Timestamp("2026-02-05 20:00"))  # EST: bar 20:00-21:00 UTC ends at 16:00
        summer_expected = close_at(pd.Timestamp("2026-03-10 19:00"))  # EDT: bar 19:00-20:00 UTC ends at 16:00
    winter, summer = mart_row(wh, date(2026, 2, 5)), mart_row(wh, date(2026, 3, 10))
    assert winter["btc_usd_4pm"] == pytest.approx(winter_expected) and winter["btc_usd_4pm_age_minutes"] == 0
    assert summer["btc_usd_4pm"] == pytest.approx(summer_expected) and summer["btc_usd_4pm_age_minutes"] == 0


def test_holiday_has_no_row_and_flows_dated_on_it_stay_in_raw(imported):
    wh = imported[0]
    with wh.reader() as con:
        assert con.execute("select count(*) from marts.fct_daily_snapshot_4pm_et where trade_date = '2026-01-19'").fetchone()[0] == 0
        flagged = con.execute("select count(*) from raw.etf_flows where trade_date = '2026-01-19' and not _is_trading_day").fetchone()[0]
    assert flagged > 0


def test_real_mode_and_absent_datasets_are_null_not_zero(imported):
    wh = imported[0]
    with wh.reader() as con:
        modes = {m for (m,) in con.execute("select distinct data_mode from marts.fct_daily_snapshot_4pm_et").fetchall()}
        options = con.execute("select count(ibit_put_contracts), count(ibit_call_contracts), count(binance_open_interest_usd) "
                              "from marts.fct_daily_snapshot_4pm_et").fetchone()
        lineage = con.execute("select distinct _source, _mode from raw.etf_flows").fetchall()
    assert modes == {"real"}
    assert options == (0, 0, 0)
    assert lineage == [("canonical-csv", "real")]  # the imported file, archived under that source


def test_importing_twice_changes_nothing(imported):
    wh, first = imported
    second = snapshot(wh)
    assert first.keys() == second.keys()
    for name in first:
        pd.testing.assert_frame_equal(first[name], second[name], obj=name)
