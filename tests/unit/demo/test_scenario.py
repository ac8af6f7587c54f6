"""The demo scenario: deterministic, canonical, and calibrated to the 5-6 Feb 2026 event."""
from __future__ import annotations

import time
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from pipelines.cme_calendar import expiry_date, parse_contract_code
from pipelines.datasets import DATASETS
from pipelines.demo.scenario import (
    GAMMA_BAND_USD,
    build_scenario,
    dealer_gamma_by_strike,
    deribit_expiries,
    listed_cme_months,
)
from pipelines.timeutils import calendar_days, snapshot_instant, trading_days

CRASH = date(2026, 2, 5)
SHORT = {"start": date(2026, 1, 5), "end": date(2026, 2, 20), "crash_day": CRASH}
TRADING_DAY_DATASETS = ("etf_flows", "etf_fund_daily", "daily_bars", "futures_daily", "options_volume")


@pytest.fixture(scope="module")
def scenario():
    return build_scenario()


@pytest.fixture(scope="module")
def daily(scenario):
    return scenario.truths.daily.set_index("trade_date")


def _snap(day: date) -> pd.Timestamp:
    return pd.Timestamp(snapshot_instant(day).replace(tzinfo=None))


# --- determinism ----------------------------------------------------------------------------

def test_same_seed_gives_identical_frames():
    a, b = build_scenario(seed=3, **SHORT), build_scenario(seed=3, **SHORT)
    assert a.canonical.keys() == b.canonical.keys()
    for name in a.canonical:
        pd.testing.assert_frame_equal(a.canonical[name], b.canonical[name], check_exact=True)
    pd.testing.assert_frame_equal(a.truths.daily, b.truths.daily, check_exact=True)


def test_another_seed_gives_other_prices_but_the_same_planted_facts():
    a, b = build_scenario(seed=3, **SHORT), build_scenario(seed=4, **SHORT)
    pa = a.canonical["hourly_bars"]["close"].to_numpy()
    pb = b.canonical["hourly_bars"]["close"].to_numpy()
    assert len(pa) == len(pb) and not np.array_equal(pa, pb)
    assert not a.canonical["etf_flows"]["flow_usd"].equals(b.canonical["etf_flows"]["flow_usd"])
    assert a.truths.rebound_ibit_shares_created == b.truths.rebound_ibit_shares_created == 6_000_000


# --- shape ----------------------------------------------------------------------------------

def test_every_frame_has_exactly_its_dataset_columns_and_unique_keys(scenario):
    assert set(scenario.canonical) == set(DATASETS)
    for name, df in scenario.canonical.items():
        ds = DATASETS[name]
        assert list(df.columns) == ds.column_names, name
        assert len(df) > 0, name
        assert not df.duplicated(list(ds.key)).any(), f"{name}: duplicate keys"
        for col in ds.required_columns:
            assert df[col].notna().all(), f"{name}.{col} has nulls"
        for col in ds.columns:
            if col.nonnegative:
                assert (df[col.name].dropna() >= 0).all(), f"{name}.{col.name} negative"
        for col, allowed in ds.allowed.items():
            assert set(df[col]) <= set(allowed), f"{name}.{col}"


def test_column_types_are_canonical(scenario):
    for name, df in scenario.canonical.items():
        for col in DATASETS[name].columns:
            values = df[col.name]
            if col.kind == "date":
                assert all(isinstance(v, date) for v in values.dropna()), f"{name}.{col.name}"
            elif col.kind == "timestamp":
                assert str(values.dtype).startswith("datetime64"), f"{name}.{col.name}"
                assert values.dt.tz is None
            elif col.kind == "float":
                assert values.dtype == float, f"{name}.{col.name}"


def test_sources_are_the_registered_names(scenario):
    expected = {
        "etf_flows": "farside", "etf_fund_daily": "ishares", "daily_bars": "yahoo",
        "hourly_bars": "coinbase", "futures_daily": "cme-settlements", "perp_open_interest": "binance-oi",
        "funding_rates": "binance-funding", "options_volume": "occ-volume",
        "option_chain_snapshot": "deribit-options", "vol_index_daily": "deribit-dvol",
        "cot_positions": "cftc-tff", "structured_notes": "sec-edgar",
    }
    assert {n: set(df["source"]) for n, df in scenario.canonical.items()} == {n: {s} for n, s in expected.items()}


def test_rows_only_on_days_each_source_has_data(scenario):
    tdays = set(trading_days(scenario.start, scenario.end))
    for name in TRADING_DAY_DATASETS:
        assert set(scenario.canonical[name]["trade_date"]) == tdays, name
    assert set(scenario.canonical["cot_positions"]["report_date"]) <= tdays
    days = calendar_days(scenario.start, scenario.end)
    assert list(scenario.canonical["vol_index_daily"]["trade_date"]) == days
    snaps = scenario.canonical["option_chain_snapshot"]["snapshot_utc"].unique()
    assert sorted(snaps) == [_snap(d) for d in days]
    hourly = scenario.canonical["hourly_bars"]["bar_start_utc"]
    assert hourly.diff().dropna().eq(pd.Timedelta(hours=1)).all()
    assert len(hourly) == 24 * len(days)  # the DST days (23 h, 25 h) fall inside and balance out


def test_precision_lets_renderers_round_trip(scenario):
    c = scenario.canonical
    assert (c["etf_flows"]["flow_usd"] % 100_000 == 0).all()
    for name, cols in {"daily_bars": ["open", "high", "low", "close"], "hourly_bars": ["open", "high", "low", "close"],
                       "etf_fund_daily": ["nav_usd"], "vol_index_daily": ["close"]}.items():
        for col in cols:
            values = c[name][col]
            assert np.allclose(values, values.round(2), rtol=0, atol=1e-9), f"{name}.{col}"
    assert (c["futures_daily"]["settle"] % 5 == 0).all()
    for name, col in {"daily_bars": "volume", "futures_daily": "volume", "futures_daily ": "open_interest",
                      "options_volume": "contracts", "etf_fund_daily": "shares_outstanding"}.items():
        values = c[name.strip()][col]
        assert (values == values.round()).all(), f"{name}.{col}"
    bars = c["daily_bars"]
    assert (bars["low"] <= bars[["open", "close"]].min(axis=1)).all()
    assert (bars["high"] >= bars[["open", "close"]].max(axis=1)).all()


# --- calibration (EVENT.md) -------------------------------------------------------------------

def test_crash_day_ibit_return_is_about_minus_13_percent(scenario, daily):
    t = scenario.truths
    assert t.crash_day == CRASH and t.rebound_day == date(2026, 2, 6)
    assert -0.14 <= t.crash_ibit_return <= -0.12
    assert t.crash_ibit_return == daily.at[CRASH, "ibit_return"]


def test_rebound_day_bitcoin_up_more_than_10_percent(scenario):
    assert scenario.truths.rebound_btc_return > 0.10


def test_crash_day_dollar_volume_is_a_record_about_twice_the_previous(scenario, daily):
    t = scenario.truths
    assert daily["ibit_dollar_volume"].idxmax() == CRASH
    assert t.record_ibit_dollar_volume >= 1.8 * t.previous_record_ibit_dollar_volume
    assert t.record_ibit_dollar_volume <= 2.2 * t.previous_record_ibit_dollar_volume


def test_record_ibit_options_volume_with_puts_over_calls(scenario, daily):
    t = scenario.truths
    total = daily["ibit_put_contracts"] + daily["ibit_call_contracts"]
    assert total.idxmax() == CRASH
    assert t.record_ibit_options_contracts >= 1.8 * t.previous_record_ibit_options_contracts
    assert t.crash_ibit_put_contracts > t.crash_ibit_call_contracts


def test_redemptions_on_the_down_days_before_the_crash(scenario, daily):
    t = scenario.truths
    assert t.big_drop_day == date(2026, 1, 30) and t.pre_crash_day == date(2026, 2, 4)
    assert daily.at[t.big_drop_day, "ibit_return"] == pytest.approx(-0.058, abs=0.003)
    assert t.big_drop_ibit_flow_usd == pytest.approx(-530e6, abs=5e6)
    assert t.pre_crash_ibit_flow_usd == pytest.approx(-370e6, abs=5e6)
    assert daily.at[t.pre_crash_day, "ibit_return"] < 0


def test_six_million_ibit_shares_created_the_day_after(scenario):
    t = scenario.truths
    assert t.rebound_ibit_shares_created == pytest.approx(6e6, abs=0.5e6)
    fund = scenario.canonical["etf_fund_daily"].set_index("trade_date")
    nav = fund.at[t.rebound_day, "nav_usd"]
    assert t.rebound_ibit_flow_usd == round(t.rebound_ibit_shares_created * nav / 1e5) * 1e5
    assert t.rebound_ibit_flow_usd > 230e6
    assert t.rebound_other_etf_flow_usd > 300e6


def test_ibit_farside_flow_is_share_change_times_nav_every_day(scenario):
    fund = scenario.canonical["etf_fund_daily"].set_index("trade_date")
    flows = scenario.canonical["etf_flows"]
    ibit = flows[flows["ticker"] == "IBIT"].set_index("trade_date")["flow_usd"]
    delta = fund["shares_outstanding"].diff().dropna()
    expected = (delta * fund["nav_usd"].loc[delta.index] / 1e5).round() * 1e5
    assert (ibit.loc[delta.index] == expected).all()


def test_ibit_nav_is_bitcoin_at_4pm_times_btc_per_share(scenario, daily):
    fund = scenario.canonical["etf_fund_daily"].set_index("trade_date")
    btc_per_share = fund["nav_usd"] / daily["btc_usd_4pm"]
    assert btc_per_share.between(0.000560, 0.000572).all()
    held_per_share = fund["btc_held"] / fund["shares_outstanding"]
    assert held_per_share.iloc[0] > held_per_share.iloc[-1]  # the sponsor fee
    assert held_per_share.iloc[-1] == pytest.approx(0.000568, rel=0.005)


def test_hourly_4pm_close_and_daily_returns_line_up_with_ibit(scenario, daily):
    hourly = scenario.canonical["hourly_bars"].set_index("bar_start_utc")["close"]
    for d in (date(2026, 1, 15), CRASH, date(2026, 3, 20)):  # winter and summer (EDT from 8 Mar)
        bar_start = _snap(d) - pd.Timedelta(hours=1)
        assert bar_start.hour == (20 if d < date(2026, 3, 8) else 19)
        assert hourly[bar_start] == daily.at[d, "btc_usd_4pm"]
    gap = (daily["ibit_return"] - daily["btc_return"]).dropna().abs()
    assert gap.max() < 0.005


def test_cme_basis_jumps_from_about_3_to_about_9_percent(scenario):
    t = scenario.truths
    assert 0.025 <= t.cme_front_basis_crash <= 0.040
    assert 0.080 <= t.cme_front_basis_rebound <= 0.100


def test_binance_oi_collapses_while_cme_oi_recovers(scenario):
    t = scenario.truths
    assert t.binance_open_interest_usd_crash < 0.9 * t.binance_open_interest_usd_pre_crash
    assert t.binance_open_interest_usd_rebound <= t.binance_open_interest_usd_crash
    assert t.cme_open_interest_crash < t.cme_open_interest_pre_crash
    assert t.cme_open_interest_rebound > t.cme_open_interest_crash
    cme_back = t.cme_open_interest_rebound / t.cme_open_interest_crash
    binance_back = t.binance_open_interest_usd_rebound / t.binance_open_interest_usd_crash
    assert cme_back > binance_back
    oi = scenario.canonical["perp_open_interest"].set_index("ts_utc")["open_interest_base"]
    after = oi[oi.index >= _snap(t.rebound_day)]
    assert after.max() < 0.8 * oi[_snap(t.pre_crash_day)]  # the leverage never comes back


def test_dvol_near_90_on_the_crash_day(scenario, daily):
    assert 85 <= scenario.truths.dvol_crash <= 95
    assert daily["dvol"].idxmax() == CRASH


def test_dealer_short_gamma_sits_in_the_64k_71k_band(scenario):
    t = scenario.truths
    assert t.gamma_band_usd == GAMMA_BAND_USD == (64_000.0, 71_000.0)
    assert t.gamma_band_short_share_crash >= 0.6
    chain = scenario.canonical["option_chain_snapshot"]
    for d in (t.pre_crash_day, CRASH):
        gex = dealer_gamma_by_strike(chain[chain["snapshot_utc"] == _snap(d)])
        band = gex[(gex.index >= 64_000) & (gex.index <= 71_000)]
        assert band.sum() < 0
        assert band.sum() / gex[gex < 0].sum() >= 0.6


def test_ibit_moves_with_igv_in_the_weeks_before_the_crash(scenario):
    t = scenario.truths
    assert t.regime_start == CRASH - timedelta(days=35)
    assert t.ibit_igv_corr_regime > 0.5
    assert t.ibit_igv_corr_regime > t.ibit_igv_corr_before + 0.2


# --- the listed instruments -------------------------------------------------------------------

def test_cme_contracts_listed_until_their_expiry(scenario):
    fut = scenario.canonical["futures_daily"]
    for row in fut.itertuples(index=False):
        _, year, month = parse_contract_code(row.contract)
        assert row.expiry_date == expiry_date(year, month)
    assert (fut["expiry_date"] > fut["trade_date"]).all()
    per_day = fut.groupby("trade_date")["contract"].apply(list)
    for d, contracts in per_day.items():
        decembers = sum(c[-3] == "Z" for c in contracts)
        assert decembers == 2 and len(contracts) in (7, 8), (d, contracts)
    assert [f"{y}-{m}" for y, m in listed_cme_months(date(2026, 2, 5))] == [
        "2026-2", "2026-3", "2026-4", "2026-5", "2026-6", "2026-7", "2026-12", "2027-12"]
    assert len(listed_cme_months(date(2025, 10, 1))) == 7  # Dec 25 among the six: one more December
    expiry_day = expiry_date(2026, 1)
    assert "BTCF26" not in set(fut[fut["trade_date"] == expiry_day]["contract"])


def test_deribit_expiries_are_live_fridays():
    for d in (date(2026, 2, 5), date(2026, 2, 6), date(2026, 2, 27)):
        exps = deribit_expiries(d)
        assert all(e > d and e.weekday() == 4 for e in exps)
        assert len(exps) >= 3


# --- truths against the frames -----------------------------------------------------------------

def test_truths_agree_with_an_independent_reading_of_the_frames(scenario, daily):
    c = scenario.canonical
    assert list(daily.index) == trading_days(scenario.start, scenario.end)
    flows = c["etf_flows"].groupby("trade_date")["flow_usd"].sum()
    assert (daily["total_etf_flow_usd"] == flows.loc[daily.index]).all()
    cme = c["futures_daily"].groupby("trade_date")["open_interest"].sum()
    assert (daily["cme_open_interest"] == cme.loc[daily.index]).all()
    snaps = pd.DataFrame({"snap": [_snap(d) for d in daily.index]}, index=daily.index)
    oi = c["perp_open_interest"].sort_values("ts_utc")
    asof = pd.merge_asof(snaps.astype("datetime64[us]"), oi, left_on="snap", right_on="ts_utc")
    assert (asof["open_interest_usd"].to_numpy() == daily["binance_open_interest_usd"].to_numpy()).all()
    ibit = c["daily_bars"][c["daily_bars"]["symbol"] == "IBIT"].set_index("trade_date")
    assert (daily["ibit_dollar_volume"] == ibit["close"] * ibit["volume"]).all()
    fut = c["futures_daily"]
    on_crash = fut[fut["trade_date"] == CRASH].sort_values("expiry_date").iloc[0]
    assert on_crash["contract"] == "BTCG26"
    days_left = (on_crash["expiry_date"] - CRASH).days
    basis = (on_crash["settle"] / daily.at[CRASH, "btc_usd_4pm"] - 1) * 365 / days_left
    assert basis == pytest.approx(scenario.truths.cme_front_basis_crash, rel=1e-12)


# --- scale -------------------------------------------------------------------------------------

def test_a_two_year_window_builds_in_seconds():
    began = time.process_time()  # CPU time: other work on a busy machine does not count
    s = build_scenario(start=date(2024, 1, 1), end=date(2025, 12, 31), crash_day=date(2025, 4, 10))
    cpu_seconds = time.process_time() - began
    assert cpu_seconds < 8, f"{cpu_seconds:.1f} s"
    assert len(s.canonical["hourly_bars"]) == 24 * 731
    assert -0.14 <= s.truths.crash_ibit_return <= -0.12
    assert s.truths.gamma_band_usd == (64_000.0, 71_000.0)


def test_a_crash_on_a_non_trading_day_is_refused():
    with pytest.raises(ValueError, match="not an NYSE trading day"):
        build_scenario(crash_day=date(2026, 2, 7))
