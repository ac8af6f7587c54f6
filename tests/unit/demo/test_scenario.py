"""The demo scenario: deterministic, canonical, and calibrated to the 5-6 Feb 2026 event as the real
data shows it (../shared/docs/EVENT.md). Calibration is checked on what the marts would show,
computed from the scenario's frames by the independent reference (tests/reference)."""
from __future__ import annotations

import time
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from pipelines.cme_calendar import expiry_date, parse_contract_code
from pipelines.datasets import DATASETS
from pipelines.demo.scenario import (
    CME_BASIS_PLANTED,
    GAMMA_BAND_USD,
    build_scenario,
    deribit_expiries,
    listed_cme_months,
)
from pipelines.timeutils import calendar_days, snapshot_instant, trading_days
from tests.reference import reference_marts
from tests.reference.options import dealer_gamma_by_strike

CRASH = date(2026, 2, 5)
SHORT = {"start": date(2026, 1, 5), "end": date(2026, 2, 20), "crash_day": CRASH}
TRADING_DAY_DATASETS = ("etf_flows", "etf_fund_daily", "daily_bars", "futures_daily", "options_volume")


@pytest.fixture(scope="module")
def scenario():
    return build_scenario()


@pytest.fixture(scope="module")
def reference(scenario):
    return reference_marts(scenario.canonical)


@pytest.fixture(scope="module")
def daily(reference):
    """The daily 4 pm snapshot the reference computes from the scenario's frames, by trade date."""
    snap = reference["fct_daily_snapshot_4pm_et"]
    return snap.set_index(snap["trade_date"].dt.date)


def _flows(reference, ticker: str) -> pd.DataFrame:
    flows = reference["fct_etf_flows"]
    rows = flows[flows["ticker"] == ticker]
    return rows.set_index(rows["trade_date"].dt.date)


def _snap(day: date) -> pd.Timestamp:
    return pd.Timestamp(snapshot_instant(day).replace(tzinfo=None))


# --- determinism ----------------------------------------------------------------------------

def test_same_seed_gives_identical_frames():
    a, b = build_scenario(seed=3, **SHORT), build_scenario(seed=3, **SHORT)
    assert a.canonical.keys() == b.canonical.keys()
    for name in a.canonical:
        pd.testing.assert_frame_equal(a.canonical[name], b.canonical[name], check_exact=True)
    assert a.truths == b.truths


def test_another_seed_gives_other_prices_but_the_same_planted_facts():
    a, b = build_scenario(seed=3, **SHORT), build_scenario(seed=4, **SHORT)
    pa = a.canonical["hourly_bars"]["close"].to_numpy()
    pb = b.canonical["hourly_bars"]["close"].to_numpy()
    assert len(pa) == len(pb) and not np.array_equal(pa, pb)
    assert not a.canonical["etf_flows"]["flow_usd"].equals(b.canonical["etf_flows"]["flow_usd"])
    assert a.truths.rebound_ibit_shares_created == b.truths.rebound_ibit_shares_created == 5_800_000
    assert a.truths.btc_usd_4pm[date(2026, 2, 4)] == b.truths.btc_usd_4pm[date(2026, 2, 4)] == 73_400.0


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


# --- calibration (EVENT.md, the real data) ---------------------------------------------------

def test_crash_day_ibit_return_is_about_minus_13_percent(scenario, daily):
    t = scenario.truths
    assert t.crash_day == CRASH and t.rebound_day == date(2026, 2, 6)
    assert daily.at[CRASH, "ibit_return"] == pytest.approx(-0.132, abs=0.003)
    assert t.btc_usd_4pm[CRASH] / t.btc_usd_4pm[t.pre_crash_day] - 1 == pytest.approx(-0.132, abs=1e-4)


def test_rebound_day_bitcoin_up_more_than_10_percent(scenario, daily):
    assert daily.at[scenario.truths.rebound_day, "btc_return"] > 0.10


def test_the_drop_and_the_redemption_fall_on_consecutive_days_as_in_the_real_data(scenario, daily, reference):
    """-5.8% on 29 Jan, -US$528 m on 30 Jan: the flow model's lagged-return term has work to do."""
    t = scenario.truths
    assert (t.big_drop_day, t.big_redemption_day) == (date(2026, 1, 29), date(2026, 1, 30))
    assert daily.at[t.big_drop_day, "ibit_return"] == pytest.approx(-0.058, abs=0.003)
    assert abs(daily.at[t.big_redemption_day, "ibit_return"]) < 0.005
    assert daily.at[t.big_redemption_day, "ibit_flow_usd"] == pytest.approx(-528.3e6, abs=1.5e6)
    assert daily.at[t.pre_crash_day, "ibit_flow_usd"] == pytest.approx(-373.4e6, abs=1.5e6)
    assert daily.at[CRASH, "ibit_flow_usd"] == pytest.approx(-175.3e6, abs=1.5e6)
    ibit = _flows(reference, "IBIT")
    assert ibit["model_usd_per_previous_day_return"].dropna().iloc[-1] > 1e9  # flows follow the price a day late


def test_crash_day_dollar_volume_is_a_record_1_27_times_the_previous(scenario, daily):
    volume = daily["ibit_dollar_volume"]
    assert volume.idxmax() == CRASH
    assert scenario.truths.crash_dollar_volume_multiple == pytest.approx(1.27, abs=1e-4)
    assert volume[CRASH] / volume[volume.index < CRASH].max() == pytest.approx(1.27, abs=1e-4)


def test_record_ibit_options_volume_with_puts_over_calls(daily):
    total = daily["ibit_put_contracts"] + daily["ibit_call_contracts"]
    assert total.idxmax() == CRASH
    assert total[CRASH] >= 1.8 * total.drop(index=CRASH).max()
    assert daily.at[CRASH, "ibit_put_contracts"] > daily.at[CRASH, "ibit_call_contracts"]


def test_the_rebound_creations_as_in_the_real_data(scenario, daily, reference):
    """6 Feb: ~6 M new IBIT shares, IBIT +US$232 m, all funds +US$371 m."""
    t = scenario.truths
    ibit = _flows(reference, "IBIT").loc[t.rebound_day]
    assert ibit["shares_created"] == t.rebound_ibit_shares_created == 5_800_000
    assert ibit["flow_usd"] == pytest.approx(231.6e6, abs=2e6)
    assert abs(ibit["flow_gap_usd"]) <= 50_000  # Farside's US$0.1 m rounding
    assert daily.at[t.rebound_day, "total_etf_flow_usd"] == pytest.approx(371.1e6, abs=2e6)
    assert t.all_funds_flow_usd[t.rebound_day] == daily.at[t.rebound_day, "total_etf_flow_usd"]


def test_ibit_farside_flow_is_share_change_times_nav_every_day(scenario):
    fund = scenario.canonical["etf_fund_daily"].set_index("trade_date")
    flows = scenario.canonical["etf_flows"]
    ibit = flows[flows["ticker"] == "IBIT"].set_index("trade_date")["flow_usd"]
    delta = fund["shares_outstanding"].diff().dropna()
    expected = (delta * fund["nav_usd"].loc[delta.index] / 1e5).round() * 1e5
    assert (ibit.loc[delta.index] == expected).all()


def test_ibit_nav_is_bitcoin_at_4pm_times_btc_per_share(scenario, daily):
    fund = scenario.canonical["etf_fund_daily"].set_index("trade_date")
    btc_per_share = fund["nav_usd"] / daily.loc[fund.index, "btc_usd_4pm"]
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
    for d, price in scenario.truths.btc_usd_4pm.items():
        assert daily.at[d, "btc_usd_4pm"] == price
    gap = (daily["ibit_return"] - daily["btc_return"]).dropna().abs()
    assert gap.max() < 0.005


def test_cme_basis_jumps_from_about_3_to_about_9_percent(scenario, reference):
    """The planted settlements, priced at the planted basis over the fractional days to 4 pm London,
    give it back through the reference's ACT/365 convention (to the 5-USD tick)."""
    t = scenario.truths
    front = reference["fct_cme_basis_front"].set_index(reference["fct_cme_basis_front"]["trade_date"].dt.date)
    for day, planted in t.cme_front_basis_planted.items():
        contract, settle = t.cme_front_settlements[day]
        assert (front.at[day, "contract"], front.at[day, "settle"]) == (contract, settle)
        assert front.at[day, "basis_annualized"] == pytest.approx(planted, abs=0.0015)
    assert set(t.cme_front_basis_planted.values()) == set(CME_BASIS_PLANTED.values())
    assert t.cme_front_basis_planted[t.rebound_day] - t.cme_front_basis_planted[CRASH] > 0.05


def test_binance_oi_collapses_while_cme_oi_recovers(scenario, daily):
    t = scenario.truths
    pre, reb = t.pre_crash_day, t.rebound_day
    binance = daily["binance_open_interest_btc"]
    assert binance[CRASH] < 0.85 * binance[pre] and binance[reb] < binance[CRASH]
    cme = daily["cme_open_interest"]
    assert cme[pre] == t.cme_open_interest_contracts[pre]
    assert cme[CRASH] < cme[pre] < cme[reb] * 1.05 and cme[reb] > cme[CRASH]
    assert cme[reb] / cme[CRASH] > binance[reb] / binance[CRASH]
    oi = scenario.canonical["perp_open_interest"].set_index("ts_utc")["open_interest_base"]
    after = oi[oi.index >= _snap(reb)]
    assert after.max() < 0.8 * oi[_snap(pre)]  # the leverage never comes back


def test_dvol_spikes_on_the_crash_day_as_in_the_real_data(scenario, daily):
    assert scenario.truths.dvol_crash == pytest.approx(82.6, abs=0.5)
    assert daily["dvol"].idxmax() == CRASH


def test_funding_turns_negative_after_the_crash(daily):
    assert daily.at[date(2026, 2, 4), "binance_funding_rate"] > 0
    assert daily.at[CRASH, "binance_funding_rate"] < 0  # settled 16:00 UTC, in force at 4 pm New York
    assert daily.at[date(2026, 2, 6), "binance_funding_rate_24h_sum"] < 0


def test_dealer_short_gamma_sits_in_the_64k_71k_band(scenario):
    t = scenario.truths
    assert t.gamma_band_usd == GAMMA_BAND_USD == (64_000.0, 71_000.0)
    chain = scenario.canonical["option_chain_snapshot"]
    for d in (t.pre_crash_day, CRASH):
        gex = dealer_gamma_by_strike(chain[chain["snapshot_utc"] == _snap(d)]).set_index("strike")["gex_usd_per_1pct"]
        band = gex[(gex.index >= 64_000) & (gex.index <= 71_000)]
        assert band.sum() < 0
        assert band.sum() / gex[gex < 0].sum() >= 0.6


def test_ibit_moves_with_igv_in_the_weeks_before_the_crash(scenario, reference):
    t = scenario.truths
    assert t.regime_start == CRASH - timedelta(days=35)
    corr = reference["fct_cross_asset"]
    igv = corr[corr["peer"] == "IGV"].set_index(corr[corr["peer"] == "IGV"]["trade_date"].dt.date)
    regime = igv[(igv.index >= t.regime_start) & (igv.index < CRASH)]
    before = igv[igv.index < t.regime_start]
    r_regime = np.corrcoef(regime["ibit_return"], regime["peer_return"])[0, 1]
    r_before = np.corrcoef(before["ibit_return"].iloc[-len(regime):], before["peer_return"].iloc[-len(regime):])[0, 1]
    assert r_regime > 0.5 and r_regime > r_before + 0.2


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


# --- scale -------------------------------------------------------------------------------------

def test_a_two_year_window_builds_in_seconds():
    began = time.process_time()  # CPU time: other work on a busy machine does not count
    s = build_scenario(start=date(2024, 1, 1), end=date(2025, 12, 31), crash_day=date(2025, 4, 10))
    cpu_seconds = time.process_time() - began
    assert cpu_seconds < 8, f"{cpu_seconds:.1f} s"
    assert len(s.canonical["hourly_bars"]) == 24 * 731
    assert s.truths.btc_usd_4pm[date(2025, 4, 10)] / s.truths.btc_usd_4pm[s.truths.pre_crash_day] - 1 == pytest.approx(-0.132)
    assert s.truths.gamma_band_usd == (64_000.0, 71_000.0)


def test_a_crash_on_a_non_trading_day_is_refused():
    with pytest.raises(ValueError, match="not an NYSE trading day"):
        build_scenario(crash_day=date(2026, 2, 7))
