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
    assert lineage == [("etf_flows.csv", "real")]


def test_importing_twice_changes_nothing(imported):
    wh, first = imported
    second = snapshot(wh)
    assert first.keys() == second.keys()
    for name in first:
        pd.testing.assert_frame_equal(first[name], second[name], obj=name)


# -- the real Deribit option chain (2026-02-07 18:39:23 UTC) ------------------------------------------
SNAPSHOT = pd.Timestamp("2026-02-07 18:39:23")


def reference_gex_by_strike(real_data_dir) -> pd.Series:
    """S0 dealer gamma (calls +, puts -) per strike from the CSV alone, Black-76 in numpy:
    Γ = φ(d1) / (F σ √T), GEX = Γ × OI × multiplier × F² × 0.01, T in years (ACT/365) to expiry."""
    import numpy as np

    chain = pd.read_csv(real_data_dir / "option_chain_snapshot.csv")
    snapshot = pd.to_datetime(chain["snapshot_utc"]).dt.tz_localize(None)
    expiry = pd.to_datetime(chain["expiry_utc"]).dt.tz_localize(None)
    t = (expiry - snapshot).dt.total_seconds().to_numpy() / (365 * 86400)
    f, k = chain["underlying_price"].to_numpy(float), chain["strike"].to_numpy(float)
    sigma, oi = chain["mark_iv"].to_numpy(float), chain["open_interest"].to_numpy(float)
    priced = (t > 0) & (sigma > 0) & np.isfinite(oi) & (f > 0) & (k > 0)
    d1 = (np.log(f / k) + sigma**2 * t / 2) / (sigma * np.sqrt(t))
    gamma = np.exp(-d1**2 / 2) / np.sqrt(2 * np.pi) / (f * sigma * np.sqrt(t))
    gex = gamma * oi * chain["multiplier"].to_numpy(float) * f**2 * 0.01
    signed = np.where(chain["put_call"] == "C", gex, -gex)
    return pd.Series(signed[priced], index=k[priced]).groupby(level=0).sum()


def test_the_real_option_chain_is_imported_as_one_deribit_snapshot(imported, real_data_dir):
    with imported[0].reader() as con:
        rows = con.execute("select snapshot_utc, venue, underlying, _mode, _is_trading_day, count(*) "
                           "from raw.option_chain_snapshot group by all").fetchall()
    lines = len(pd.read_csv(real_data_dir / "option_chain_snapshot.csv"))
    assert rows == [(SNAPSHOT.to_pydatetime(), "Deribit", "BTC", "real", False, lines)]  # a Saturday


def test_real_dealer_gamma_by_strike_matches_an_independent_black76(imported, real_data_dir):
    with imported[0].reader() as con:
        mart = con.execute("select strike_btc_usd, sum(gex_usd_per_1pct) from marts.fct_dealer_gamma "
                           "where snapshot_utc = ? group by 1 order by 1", [SNAPSHOT]).df()
        summary = con.execute("select * from marts.fct_dealer_gamma_summary").df()
    reference = reference_gex_by_strike(real_data_dir)
    got = pd.Series(mart.iloc[:, 1].to_numpy(), index=mart.iloc[:, 0].to_numpy())
    pd.testing.assert_series_equal(got, reference, check_names=False, check_index_type=False, rtol=1e-9)
    [row] = summary.to_dict("records")
    assert row["data_mode"] == "real" and row["venues"] == "Deribit"
    assert row["total_gex_usd_per_1pct"] == pytest.approx(reference.sum(), rel=1e-9)
    assert row["reference_price_btc_usd"] == pytest.approx(69_400, abs=600)  # spot ~69.4k (README)
    low, high = row["neg_gamma_band_low_strike"], row["neg_gamma_band_high_strike"]
    assert low <= reference.idxmin() <= high and (reference.loc[low:high] < 0).all()


def test_the_report_draws_the_real_gamma_profile_beside_the_simulated_one(imported, tmp_path):
    from pipelines.report.render import build_report
    from tests.unit.report.marts import all_marts, write_marts

    simulated = write_marts(tmp_path / "demo.duckdb", all_marts("simulated"))
    report = build_report(imported[0].path, out_dir=tmp_path / "reports", around=date(2026, 2, 5), beside=simulated)
    assert report.banner is None  # the page is real data
    gamma = next(c for c in report.charts if c.spec.slug == "dealer_gamma_by_strike")
    assert gamma.has_data and gamma.banner is None and gamma.data.as_of == "2026-02-07 13:39 ET"
    beside = next(c for c in report.charts if c.spec.slug == "dealer_gamma_beside")
    real_panel, simulated_panel = beside.data.extra["panels"]
    assert set(real_panel.modes) == {"real"} and set(simulated_panel.modes) == {"simulated"}
    assert beside.banner.kind == "mixed" and beside.path.is_file()
