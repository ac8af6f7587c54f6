"""fct_cme_basis(_by_contract), fct_etf_flows, fct_open_interest_4pm_et: hand-computed answers.

One warehouse, one `dbt build` of the four marts and their parents: hand-built raw rows in 2024-03 ..
2025-06 (numbers chosen so the answers can be worked out on paper) beside the demo scenario
(2025-10 .. 2026-03, simulated), whose planted facts (the CME settlements on the crash and rebound
days, the 5,800,000 IBIT shares created on the rebound, the open interest levels) the marts must
give back as the reference (tests/reference) derives them. The real feb2026 data gets its own build
(marked real_data).
"""
from __future__ import annotations

import math
from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest

from pipelines.demo.scenario import (
    DEFAULT_CRASH_DAY,
    DEFAULT_END,
    DEFAULT_SEED,
    DEFAULT_START,
    build_scenario,
)
from pipelines.timeutils import trading_days
from tests.integration.conftest import build_raw_warehouse, read_canonical_csv_dir, run_dbt
from tests.reference import reference_marts
from tests.reference.calendar import cme_contracts, four_pm_new_york
from tests.reference.checks import CHECKS
from tests.reference.compare import compare

pytestmark = pytest.mark.integration

D = date.fromisoformat
MARTS = ("fct_cme_basis", "fct_cme_basis_by_contract", "fct_etf_flows", "fct_open_interest_4pm_et")
DEMO_DATASETS = ("hourly_bars", "futures_daily", "etf_flows", "etf_fund_daily", "daily_bars", "perp_open_interest")


def _frame(columns: str, rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns.split())


def isnull(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) or pd.isna(value)


# -- hand-built raw rows ---------------------------------------------------------------------------
# Time to expiry: from 4 pm New York (20:00 UTC in May, EDT) to the final settlement, 16:00 London
# (15:00 UTC under BST) on the last trading day: whole calendar days minus 5 hours.


def T(calendar_days: int) -> float:
    return calendar_days - 5 / 24

# May 2025 is daylight time: 4 pm New York = 20:00 UTC = the end of the bar starting 19:00 UTC.
BTC_4PM = {
    "2025-05-13": 98_000.0, "2025-05-14": 100_000.0, "2025-05-15": 101_000.0, "2025-05-16": 102_000.0,
    "2025-05-19": 103_000.0, "2025-05-20": 104_000.0, "2025-05-28": 105_000.0, "2025-05-30": 105_000.0,
    "2025-06-10": 105_000.0,
}

# the flow model's test fund: flow = 1 m + 2 bn x r_t - 0.5 bn x r_(t-1) + noise, on every trading day
MODEL_DAYS = trading_days(D("2024-03-01"), D("2025-04-30"))
MODEL_NO_FLOW_DAY = MODEL_DAYS[30]  # a day without a tracker figure: out of the fit, not a zero


def _model_fund() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(11)
    returns = rng.normal(0, 0.02, len(MODEL_DAYS))
    closes = 40.0 * np.cumprod(1 + returns)
    closes = np.round(closes, 6)
    realized = closes[1:] / closes[:-1] - 1
    flows = [None]
    for i in range(1, len(MODEL_DAYS)):
        r_prev = realized[i - 2] if i >= 2 else 0.0
        flows.append(round(1e6 + 2e9 * realized[i - 1] - 5e8 * r_prev + rng.normal(0, 2e7), 2))
    flows[MODEL_DAYS.index(MODEL_NO_FLOW_DAY)] = None
    bars = pd.DataFrame({"trade_date": MODEL_DAYS, "symbol": "MDL", "close": closes, "volume": 1000.0,
                         "source": "yahoo"})
    tracker = pd.DataFrame({"trade_date": MODEL_DAYS, "ticker": "MDL", "flow_usd": flows, "source": "farside"})
    return bars, tracker


def hand_frames() -> dict[str, pd.DataFrame]:
    hourly = _frame("bar_start_utc symbol close source", [
        (f"{day}T19:00:00Z", "BTC-USD", price, "coinbase") for day, price in BTC_4PM.items()
    ])
    futures = _frame("trade_date venue contract expiry_date settle volume open_interest source", [
        # 2025-05-13: open interest only matters
        ("2025-05-13", "CME", "BTCK25", "2025-05-30", 98_500.0, 100.0, 10_000.0, "cme-settlements"),
        ("2025-05-13", "CME", "BTCM25", "2025-06-27", 99_000.0, 50.0, 4_000.0, "cme-settlements"),
        ("2025-05-13", "CME", "MBTK25", "2025-05-30", 98_500.0, 10.0, 5_000.0, "cme-settlements"),
        # 2025-05-14: four BTC months, days to expiry 16, 44, 72, 107; BTC at 4 pm 100,000
        ("2025-05-14", "CME", "BTCK25", "2025-05-30", 100_400.0, 900.0, 9_000.0, "cme-settlements"),
        ("2025-05-14", "CME", "BTCM25", None, 101_000.0, 500.0, 5_000.0, "cme-settlements"),  # expiry from cme_expiries
        ("2025-05-14", "CME", "BTCN25", "2025-07-25", 101_500.0, 100.0, 1_000.0, "cme-settlements"),
        ("2025-05-14", "CME", "BTCQ25", "2025-08-29", 102_200.0, 10.0, None, "cme-settlements"),
        ("2025-05-14", "CME", "MBTK25", "2025-05-30", 999_999.0, 10.0, 1_000.0, "cme-settlements"),  # micro: not in basis
        ("2025-05-14", "CME", "BTC-front-continuous", None, 555.0, None, None, "yahoo"),  # contracts win
        # 2025-05-15: a row without open interest; 05-16, 05-19: no CME row at all
        ("2025-05-15", "CME", "BTCK25", "2025-05-30", 101_300.0, 900.0, None, "cme-settlements"),
        ("2025-05-20", "CME", "BTCM25", "2025-06-27", 105_000.0, 500.0, 6_000.0, "cme-settlements"),
        # 2025-05-30: BTCK25's expiry day
        ("2025-05-30", "CME", "BTCK25", "2025-05-30", 105_050.0, 900.0, 100.0, "cme-settlements"),
        ("2025-05-30", "CME", "BTCM25", "2025-06-27", 105_600.0, 500.0, 6_000.0, "cme-settlements"),
        ("2025-05-30", "CME", "BTCN25", "2025-07-25", 106_000.0, 500.0, 2_000.0, "cme-settlements"),
        # 2025-05-27: three days before expiry, and no BTC price that day; 05-28: two days, a BTC price
        ("2025-05-27", "CME", "BTCK25", "2025-05-30", 105_000.0, None, None, "cme-settlements"),
        ("2025-05-28", "CME", "BTCK25", "2025-05-30", 105_100.0, None, None, "cme-settlements"),
        # 2025-06-10: only the rolled front month
        ("2025-06-10", "CME", "BTC-front-continuous", None, 105_500.0, None, None, "yahoo"),
    ])
    perp = _frame("ts_utc venue symbol open_interest_base open_interest_usd source", [
        ("2025-05-13T19:55:00Z", "Binance", "BTCUSDT", 80_000.0, 7.84e9, "binance-oi"),
        ("2025-05-14T19:30:00Z", "Binance", "BTCUSDT", 90_000.0, 9.0e9, "binance-oi"),
        ("2025-05-14T20:05:00Z", "Binance", "BTCUSDT", 1.0, 1.0, "binance-oi"),  # after the snapshot
        ("2025-05-14T19:50:00Z", "Binance", "ETHUSDT", 5.0, 5.0, "binance-oi"),  # another symbol
        ("2025-05-15T17:00:00Z", "Binance", "BTCUSDT", 70_000.0, 7.0e9, "binance-oi"),  # 180 min old: stale
        ("2025-05-16T20:00:00Z", "Binance", "BTCUSDT", 85_000.0, 8.67e9, "binance-oi"),
        ("2025-05-19T19:00:00Z", "Binance", "BTCUSDT", 86_000.0, None, "binance-oi"),  # BTC only
        ("2025-05-20T20:00:00Z", "Binance", "BTCUSDT", 87_000.0, 9.048e9, "binance-oi"),
    ])
    flows = _frame("trade_date ticker flow_usd source", [
        ("2025-05-13", "AAA", 10e6, "farside"),
        ("2025-05-13", "BBB", -4e6, "farside"),
        ("2025-05-13", "CCC", 0.0, "farside"),  # not launched yet: the tracker shows 0.0, no report
        ("2025-05-14", "AAA", 5e6, "farside"),
        ("2025-05-14", "BBB", None, "farside"),  # shown as '-': unknown, not zero
        ("2025-05-14", "CCC", 0.0, "farside"),
        ("2025-05-15", "AAA", 20e6, "farside"),
        ("2025-05-15", "BBB", 0.0, "farside"),  # a reported zero of a launched fund stays a report
        ("2025-05-15", "CCC", 3e6, "farside"),  # its first flow: launched
        ("2025-05-26", "AAA", 99e6, "farside"),  # Memorial Day: NYSE closed
        ("2025-05-27", "AAA", 1e6, "farside"),
    ])
    fund = _frame("trade_date ticker shares_outstanding nav_usd btc_held source", [
        ("2025-05-13", "AAA", 1_000_000.0, 50.0, 500.0, "issuer"),
        ("2025-05-14", "AAA", 1_100_000.0, 51.0, 550.0, "issuer"),
        ("2025-05-15", "AAA", 1_100_000.0, 52.0, 550.0, "issuer"),
        ("2025-05-16", "AAA", 1_150_000.0, 53.0, 575.0, "issuer"),
        ("2025-05-27", "AAA", 1_170_000.0, 54.0, 585.0, "issuer"),  # previous trading day (05-23): no row
    ])
    model_bars, model_flows = _model_fund()
    bars = pd.concat([_frame("trade_date symbol close volume source", [
        ("2025-05-13", "AAA", 50.0, 1000.0, "yahoo"),
        ("2025-05-14", "AAA", 51.0, 1000.0, "yahoo"),
        ("2025-05-15", "AAA", 52.0, 2000.0, "yahoo"),
    ]), model_bars], ignore_index=True)
    return {"hourly_bars": hourly, "futures_daily": futures, "perp_open_interest": perp,
            "etf_flows": pd.concat([flows, model_flows], ignore_index=True), "etf_fund_daily": fund,
            "daily_bars": bars}


def _demo_scenario():
    return build_scenario(DEFAULT_SEED, DEFAULT_START, DEFAULT_END, DEFAULT_CRASH_DAY)


def _read_marts(warehouse) -> dict[str, pd.DataFrame]:
    out = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for mart in MARTS:
            df = con.execute(f"select * from marts.{mart}").df()
            for col in ("trade_date", "expiry_date", "expiry_date_near", "expiry_date_far", "reported_date",
                        "carried_from_date"):
                if col in df:
                    df[col] = [None if pd.isna(v) else pd.Timestamp(v).date() for v in df[col]]
            out[mart] = df
    return out


def _build(tmp_dir, frames, mode, allow_mixed=False) -> dict[str, pd.DataFrame]:
    warehouse = build_raw_warehouse(tmp_dir / "btcflows.duckdb", frames, mode=mode, allow_mixed=allow_mixed)
    select = [f"+{m}" for m in MARTS]
    result = run_dbt(["build", "--select", *select, "--indirect-selection", "cautious"], warehouse, tmp_dir)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    return {**_read_marts(warehouse), "_warehouse": warehouse, "_frames": frames}


@pytest.fixture(scope="module")
def demo():
    return _demo_scenario()


@pytest.fixture(scope="module")
def marts(tmp_path_factory, demo) -> dict[str, pd.DataFrame]:
    frames = hand_frames()
    for name in DEMO_DATASETS:
        frames[name] = pd.concat([frames.get(name, pd.DataFrame()), demo.canonical[name]], ignore_index=True)
    return _build(tmp_path_factory.mktemp("marts_basis_flows_oi"), frames, mode="simulated")


BUILT_CHECKS = [c for c in CHECKS if c.mart in MARTS]


@pytest.fixture(scope="module")
def reference(marts) -> dict[str, pd.DataFrame]:
    return reference_marts(marts["_frames"])


@pytest.mark.parametrize("check", BUILT_CHECKS, ids=[f"{c.mart}:{i}" for i, c in enumerate(BUILT_CHECKS)])
def test_the_marts_agree_with_the_reference_on_the_hand_built_rows(marts, reference, check):
    """Every compared column, on the hand-built edge cases and the demo beside them."""
    with duckdb.connect(str(marts["_warehouse"]), read_only=True) as con:
        result = compare(con, reference, check)
    assert not result.problems, "\n".join(result.problems[:30])


def _row(df: pd.DataFrame, **key) -> pd.Series:
    mask = np.ones(len(df), dtype=bool)
    for col, value in key.items():
        mask &= (df[col] == value).to_numpy()
    rows = df[mask]
    assert len(rows) == 1, f"{key}: {len(rows)} rows"
    return rows.iloc[0]


# -- basis per contract -----------------------------------------------------------------------------

def test_basis_per_contract_by_hand_on_fractional_days_to_4pm_london(marts):
    by_contract = marts["fct_cme_basis_by_contract"]
    day = D("2025-05-14")
    for contract, settle, days in (("BTCK25", 100_400, 16), ("BTCM25", 101_000, 44),
                                   ("BTCN25", 101_500, 72), ("BTCQ25", 102_200, 107)):
        row = _row(by_contract, trade_date=day, contract=contract)
        assert row["days_to_expiry"] == pytest.approx(T(days), abs=1e-12)
        assert row["btc_usd_4pm"] == 100_000.0
        assert row["basis_total"] == pytest.approx(settle / 100_000 - 1, abs=1e-12)
        assert row["basis_annualized"] == pytest.approx((settle / 100_000 - 1) * 365 / T(days), abs=1e-12)
        assert not row["is_rolled_series"] and not row["is_short_dated"] and not row["is_expired"]
    assert _row(by_contract, trade_date=day, contract="BTCK25")["basis_annualized"] == pytest.approx(0.0924538, abs=1e-7)
    row = _row(by_contract, trade_date=day, contract="BTCM25")
    assert row["expiry_date"] == D("2025-06-27")  # from the calendar
    assert row["final_settlement_utc"] == pd.Timestamp("2025-06-27 15:00")  # 16:00 London, BST
    assert isnull(_row(by_contract, trade_date=day, contract="BTCQ25")["open_interest_contracts"])
    # BTC months only: no micro; the rolled series' BTCK25 price loses to BTCK25's settlement
    assert set(by_contract[by_contract["trade_date"] == day]["contract"]) == {"BTCK25", "BTCM25", "BTCN25", "BTCQ25"}


def test_basis_is_null_on_the_expiry_day(marts):
    row = _row(marts["fct_cme_basis_by_contract"], trade_date=D("2025-05-30"), contract="BTCK25")
    assert row["days_to_expiry"] == pytest.approx(-5 / 24)  # settled at 15:00 UTC, the snapshot is 20:00 UTC
    assert row["is_expired"] and not row["is_short_dated"]
    assert row["settle_usd_per_btc"] == 105_050.0
    assert isnull(row["basis_total"]) and isnull(row["basis_annualized"])
    assert not _row(marts["fct_cme_basis_by_contract"], trade_date=D("2025-05-30"), contract="BTCM25")["is_short_dated"]


def test_short_dated_contract_keeps_its_basis_here_flagged(marts):
    """Two days before expiry: 1.79 days to 4 pm London, not 2 - whole days would understate the
    annualized basis by 10%."""
    row = _row(marts["fct_cme_basis_by_contract"], trade_date=D("2025-05-28"), contract="BTCK25")
    assert row["is_short_dated"] and not row["is_expired"]
    assert row["days_to_expiry"] == pytest.approx(T(2))
    assert row["basis_annualized"] == pytest.approx((105_100 / 105_000 - 1) * 365 / T(2), rel=1e-12)
    assert row["basis_annualized"] / ((105_100 / 105_000 - 1) * 365 / 2) == pytest.approx(2 / T(2))


# -- constant maturity ------------------------------------------------------------------------------

def test_front_and_straddled_tenors_by_hand(marts):
    basis = marts["fct_cme_basis"]
    day = D("2025-05-14")
    front = _row(basis, trade_date=day, tenor="front")
    assert (front["contract_near"], front["days_to_expiry"]) == ("BTCK25", pytest.approx(T(16)))
    assert front["basis_annualized"] == pytest.approx(0.004 * 365 / T(16))
    assert not front["is_rolled_series"] and not front["is_extrapolated"] and not front["only_short_dated_prices"]

    # 30 days: between BTCK25 (T16, B = 0.004) and BTCM25 (T44, B = 0.010), linear in time
    t30 = _row(basis, trade_date=day, tenor="30d")
    assert (t30["contract_near"], t30["contract_far"]) == ("BTCK25", "BTCM25")
    assert (t30["days_to_expiry_near"], t30["days_to_expiry_far"], t30["days_to_expiry"]) == pytest.approx((T(16), T(44), 30))
    b30 = 0.004 + 0.006 * (30 - T(16)) / 28
    assert b30 == pytest.approx(0.0070446, abs=1e-7)
    assert t30["basis_total"] == pytest.approx(b30, abs=1e-12)
    assert t30["basis_annualized"] == pytest.approx(b30 * 365 / 30, abs=1e-12)
    assert not t30["is_extrapolated"]

    # 90 days: BTCN25 (T72, 0.015) .. BTCQ25 (T107, 0.022)
    t90 = _row(basis, trade_date=day, tenor="90d")
    assert (t90["contract_near"], t90["contract_far"]) == ("BTCN25", "BTCQ25")
    b90 = 0.015 + 0.007 * (90 - T(72)) / 35
    assert t90["basis_total"] == pytest.approx(b90, abs=1e-12)
    assert t90["basis_annualized"] == pytest.approx(b90 * 365 / 90, abs=1e-12)


def test_tenor_beyond_the_last_expiry_is_extrapolated_from_the_nearest_two(marts):
    t120 = _row(marts["fct_cme_basis"], trade_date=D("2025-05-14"), tenor="120d")  # 120 > T107
    assert (t120["contract_near"], t120["contract_far"]) == ("BTCN25", "BTCQ25")
    assert t120["is_extrapolated"]
    b120 = 0.015 + 0.007 * (120 - T(72)) / 35
    assert t120["basis_total"] == pytest.approx(b120, abs=1e-12)
    assert t120["basis_annualized"] == pytest.approx(b120 * 365 / 120, abs=1e-12)


def test_expired_contract_is_left_out_of_the_front_and_the_pairs(marts):
    basis = marts["fct_cme_basis"]
    day = D("2025-05-30")
    front = _row(basis, trade_date=day, tenor="front")
    assert (front["contract_near"], front["days_to_expiry"]) == ("BTCM25", pytest.approx(T(28)))
    assert front["basis_annualized"] == pytest.approx((105_600 / 105_000 - 1) * 365 / T(28))
    t30 = _row(basis, trade_date=day, tenor="30d")  # BTCM25 T28 .. BTCN25 T56
    assert (t30["contract_near"], t30["contract_far"], t30["is_extrapolated"]) == ("BTCM25", "BTCN25", False)
    b1, b2 = 105_600 / 105_000 - 1, 106_000 / 105_000 - 1
    assert t30["basis_total"] == pytest.approx(b1 + (b2 - b1) * (30 - T(28)) / 28, abs=1e-12)
    # only two contracts with a basis: 60 d is extrapolated along the same line
    t60 = _row(basis, trade_date=day, tenor="60d")
    assert t60["is_extrapolated"]
    assert t60["basis_total"] == pytest.approx(b1 + (b2 - b1) * (60 - T(28)) / 28, abs=1e-12)


def test_short_dated_contract_is_not_the_front(marts):
    """The 7-day rule: with 2.79 or 1.79 days left BTCK25 is not the front; BTCM25 is, and it has no
    price those days, so the front basis is null and says why."""
    basis = marts["fct_cme_basis"]
    for day, days in ((D("2025-05-27"), 31), (D("2025-05-28"), 30)):
        front = _row(basis, trade_date=day, tenor="front")
        assert (front["contract_near"], front["days_to_expiry"]) == ("BTCM25", pytest.approx(T(days)))
        assert front["only_short_dated_prices"]
        assert isnull(front["basis_annualized"]) and isnull(front["basis_total"])
        for tenor in ("30d", "60d", "90d", "120d"):  # one short-dated price: no pair
            assert isnull(_row(basis, trade_date=day, tenor=tenor)["basis_total"])


def test_front_from_the_rolled_series_and_tenors_null_without_contracts(marts):
    basis = marts["fct_cme_basis"]
    day = D("2025-06-10")
    front = _row(basis, trade_date=day, tenor="front")
    assert front["contract_near"] == "BTCM25"  # the rule's front month: expires Friday 2025-06-27
    assert front["is_rolled_series"] and not front["only_short_dated_prices"]
    assert front["days_to_expiry"] == pytest.approx(T(17))
    assert front["basis_annualized"] == pytest.approx((105_500 / 105_000 - 1) * 365 / T(17))
    rolled = _row(marts["fct_cme_basis_by_contract"], trade_date=day, contract="BTCM25")
    assert rolled["is_rolled_series"] and rolled["basis_annualized"] == pytest.approx(front["basis_annualized"])
    for tenor in ("30d", "60d", "90d", "120d"):
        row = _row(basis, trade_date=day, tenor=tenor)
        assert isnull(row["basis_annualized"]) and isnull(row["contract_near"]) and isnull(row["is_extrapolated"])
        assert row["data_mode"] == "simulated"
    assert set(basis[basis["trade_date"] == day]["tenor"]) == {"front", "30d", "60d", "90d", "120d"}
    # a day without any CME row has no basis rows
    assert basis[basis["trade_date"] == D("2025-05-16")].empty


def test_front_basis_gives_back_the_demo_planted_settlements(marts, demo):
    """The planted CME settlements (market terms), turned into a basis by the reference's own clock:
    BTC at 4 pm, ACT/365 on the fractional days to 16:00 London."""
    basis = marts["fct_cme_basis"]
    truths = demo.truths
    contracts = cme_contracts().set_index("contract")
    for day, (contract, settle) in truths.cme_front_settlements.items():
        front = _row(basis, trade_date=day, tenor="front")
        days = (contracts.at[contract, "final_settlement_utc"] - four_pm_new_york(day)).total_seconds() / 86_400
        expected = (settle / truths.btc_usd_4pm[day] - 1) * 365 / days
        assert front["contract_near"] == contract
        assert front["basis_annualized"] == pytest.approx(expected, abs=1e-12)
        assert front["basis_annualized"] == pytest.approx(truths.cme_front_basis_planted[day], abs=0.0015)
    demo_rows = basis[basis["trade_date"] >= DEFAULT_START]
    assert demo_rows["basis_annualized"].notna().all()  # every demo day lists six+ months
    # the demo's term structure adds 1.2% a year per year of maturity: 120 d sits above the front
    t120 = _row(basis, trade_date=truths.rebound_day, tenor="120d")
    assert 0.085 < t120["basis_annualized"] < 0.11 and not t120["is_extrapolated"]


# -- ETF flows --------------------------------------------------------------------------------------

def test_flows_shares_times_nav_and_the_gap(marts):
    flows = marts["fct_etf_flows"]
    row = _row(flows, trade_date=D("2025-05-14"), ticker="AAA")
    assert row["shares_created"] == 100_000.0
    assert row["flow_from_shares_usd"] == pytest.approx(5_100_000.0)
    assert row["flow_gap_usd"] == pytest.approx(-100_000.0)
    assert row["creation_unit_usd"] == pytest.approx(2_550_000.0)
    assert not row["flow_gap_exceeds_creation_unit"]
    assert row["fund_return"] == pytest.approx(0.02)
    row = _row(flows, trade_date=D("2025-05-15"), ticker="AAA")
    assert row["shares_created"] == 0.0 and row["flow_from_shares_usd"] == 0.0
    assert row["flow_gap_usd"] == pytest.approx(20e6)
    assert row["flow_gap_exceeds_creation_unit"]  # 20 m > 50,000 x 52
    assert row["fund_return"] == pytest.approx(52 / 51 - 1)
    assert row["fund_return_previous_day"] == pytest.approx(0.02)
    assert row["dollar_volume_usd"] == pytest.approx(104_000.0)


def test_flows_nulls_are_not_zeros(marts):
    flows = marts["fct_etf_flows"]
    assert isnull(_row(flows, trade_date=D("2025-05-14"), ticker="BBB")["flow_usd"])
    assert _row(flows, trade_date=D("2025-05-15"), ticker="BBB")["flow_usd"] == 0.0
    # fund data but no tracker figure: flow null, the share-count flow still there
    row = _row(flows, trade_date=D("2025-05-16"), ticker="AAA")
    assert isnull(row["flow_usd"]) and isnull(row["flow_gap_usd"]) and isnull(row["flow_gap_exceeds_creation_unit"])
    assert row["flow_from_shares_usd"] == pytest.approx(50_000 * 53.0)
    assert isnull(row["fund_return"])  # no bar that day
    # the previous trading day has no fund row: no change is made up across the gap
    row = _row(flows, trade_date=D("2025-05-27"), ticker="AAA")
    assert isnull(row["shares_created"]) and isnull(row["flow_from_shares_usd"])
    assert row["flow_usd"] == 1e6
    # a fund without fund data or bars: nothing derived
    row = _row(flows, trade_date=D("2025-05-13"), ticker="BBB")
    assert isnull(row["shares_outstanding"]) and isnull(row["expected_flow_usd"]) and row["funds_reporting"] == 1


def test_flows_all_row_sums_funds_and_is_null_when_none(marts):
    flows = marts["fct_etf_flows"]
    row = _row(flows, trade_date=D("2025-05-13"), ticker="ALL")
    assert row["flow_usd"] == pytest.approx(6e6) and row["funds_reporting"] == 2  # CCC's 0.0: not launched
    assert _row(flows, trade_date=D("2025-05-13"), ticker="CCC")["funds_reporting"] == 0
    row = _row(flows, trade_date=D("2025-05-14"), ticker="ALL")
    assert row["flow_usd"] == pytest.approx(5e6) and row["funds_reporting"] == 1
    assert row["flow_from_shares_usd"] == pytest.approx(5_100_000.0) and row["funds_with_share_data"] == 1
    row = _row(flows, trade_date=D("2025-05-15"), ticker="ALL")
    assert row["flow_usd"] == pytest.approx(23e6) and row["funds_reporting"] == 3  # BBB's reported 0, CCC launched
    # the share-count flow over the one fund with share data (AAA), and its count beside it
    assert row["flow_from_shares_usd"] == 0.0 and row["funds_with_share_data"] == 1
    assert row["flow_gap_usd"] == pytest.approx(20e6)
    row = _row(flows, trade_date=D("2025-05-16"), ticker="ALL")
    assert isnull(row["flow_usd"]) and row["funds_reporting"] == 0
    assert isnull(row["flow_from_shares_usd"]) and row["funds_with_share_data"] == 0  # AAA has no flow that day


def test_flows_all_row_expected_flow_over_the_modelled_funds(marts):
    """The aggregate expected flow is never nulled by a fund without a model: it sums the modelled
    funds, says how many and what share of the day's gross flow they carry."""
    flows = marts["fct_etf_flows"]
    mdl = flows[(flows["ticker"] == "MDL") & flows["expected_flow_usd"].notna() & flows["flow_usd"].notna()]
    day = mdl["trade_date"].iloc[-1]
    row, fund = _row(flows, trade_date=day, ticker="ALL"), _row(flows, trade_date=day, ticker="MDL")
    assert row["funds_modelled"] == 1 == fund["funds_modelled"]
    assert row["expected_flow_usd"] == pytest.approx(fund["expected_flow_usd"])
    assert row["modelled_flow_usd"] == pytest.approx(fund["flow_usd"])
    assert row["flow_surprise_usd"] == pytest.approx(fund["flow_usd"] - fund["expected_flow_usd"])
    assert row["modelled_share_of_gross_flow"] == pytest.approx(1.0)
    # 2025-05-13: AAA and BBB have flows, neither a model
    row = _row(flows, trade_date=D("2025-05-13"), ticker="ALL")
    assert row["funds_modelled"] == 0 and isnull(row["expected_flow_usd"]) and isnull(row["modelled_share_of_gross_flow"])


def test_flows_dated_on_a_holiday_stay_out(marts):
    flows = marts["fct_etf_flows"]
    assert flows[flows["trade_date"] == D("2025-05-26")].empty
    assert _row(flows, trade_date=D("2025-05-27"), ticker="ALL")["flow_usd"] == 1e6  # not moved to the next day
    assert flows[flows["trade_date"] == D("2025-05-24")].empty


def test_flows_expected_flow_is_a_rolling_ols_without_look_ahead(marts):
    flows = marts["fct_etf_flows"]
    mdl = flows[flows["ticker"] == "MDL"].set_index("trade_date").sort_index()
    assert list(mdl.index) == MODEL_DAYS
    assert isnull(mdl.loc[MODEL_NO_FLOW_DAY, "flow_usd"])
    r = mdl["fund_return"].to_numpy(float)
    r_prev = mdl["fund_return_previous_day"].to_numpy(float)
    y = mdl["flow_usd"].to_numpy(float)
    complete = ~np.isnan(r) & ~np.isnan(r_prev) & ~np.isnan(y)
    checked = 0
    for i, day in enumerate(MODEL_DAYS):
        window = [j for j in range(max(0, i - 250), i) if complete[j]]
        if len(window) < 60:
            assert isnull(mdl.loc[day, "expected_flow_usd"])
            continue
        x = np.column_stack([np.ones(len(window)), r[window], r_prev[window]])
        coef, *_ = np.linalg.lstsq(x, y[window], rcond=None)
        assert mdl.loc[day, "model_observations"] == len(window)
        if np.isnan(r[i]) or np.isnan(r_prev[i]):
            assert isnull(mdl.loc[day, "expected_flow_usd"])
            continue
        expected = coef[0] + coef[1] * r[i] + coef[2] * r_prev[i]
        assert mdl.loc[day, "expected_flow_usd"] == pytest.approx(expected, rel=1e-6, abs=1.0)
        assert mdl.loc[day, "model_usd_per_return"] == pytest.approx(coef[1], rel=1e-6)
        if not np.isnan(y[i]):
            assert mdl.loc[day, "flow_surprise_usd"] == pytest.approx(y[i] - expected, rel=1e-6, abs=1.0)
        checked += 1
    assert checked > 200
    last = mdl.iloc[-1]
    assert last["model_observations"] == 250  # the trailing window is full: older days are out
    assert last["model_usd_per_return"] == pytest.approx(2e9, rel=0.1)  # and it recovers the planted slope


def test_flows_match_the_demo_planted_creations(marts, demo):
    flows = marts["fct_etf_flows"]
    truths = demo.truths
    ibit = _row(flows, trade_date=truths.rebound_day, ticker="IBIT")
    assert ibit["shares_created"] == truths.rebound_ibit_shares_created == 5_800_000
    assert ibit["flow_usd"] == truths.ibit_flow_usd[truths.rebound_day]
    assert abs(ibit["flow_gap_usd"]) <= 50_000  # Farside's US$0.1 m rounding, well inside a creation unit
    everyone = _row(flows, trade_date=truths.rebound_day, ticker="ALL")
    assert everyone["flow_usd"] == pytest.approx(truths.all_funds_flow_usd[truths.rebound_day])
    assert everyone["flow_usd"] == pytest.approx(371.1e6, abs=2e6)
    # "volume without exodus": the crash-day redemption is far smaller than the return would predict
    crash = _row(flows, trade_date=truths.crash_day, ticker="IBIT")
    assert crash["flow_usd"] == truths.ibit_flow_usd[truths.crash_day]
    assert crash["flow_surprise_usd"] > 0
    # the aggregate: IBIT, FBTC, GBTC have bars and a model; ARKB, BITB, HODL, BTC have neither
    total = _row(flows, trade_date=truths.crash_day, ticker="ALL")
    assert total["funds_modelled"] == 3 and 0 < total["modelled_share_of_gross_flow"] < 1
    assert total["expected_flow_usd"] < total["modelled_flow_usd"] < 0


# -- open interest ----------------------------------------------------------------------------------

def test_oi_as_of_with_age_and_stale(marts):
    oi = marts["fct_open_interest_4pm_et"]
    row = _row(oi, trade_date=D("2025-05-14"), venue="Binance")
    assert (row["open_interest_btc"], row["open_interest_usd"], row["age_minutes"]) == (90_000.0, 9.0e9, 30)
    assert not row["is_stale"]
    row = _row(oi, trade_date=D("2025-05-15"), venue="Binance")
    assert isnull(row["open_interest_btc"]) and isnull(row["open_interest_usd"])
    assert row["age_minutes"] == 180 and row["is_stale"]
    row = _row(oi, trade_date=D("2025-05-16"), venue="Binance")
    assert row["age_minutes"] == 0 and row["open_interest_btc"] == 85_000.0
    # only BTC reported: valued at BTC-USD 4 pm
    assert _row(oi, trade_date=D("2025-05-19"), venue="Binance")["open_interest_usd"] == pytest.approx(86_000 * 103_000.0)


def test_oi_cme_sums_btc_and_micro_months_and_carries_forward(marts):
    oi = marts["fct_open_interest_4pm_et"]
    row = _row(oi, trade_date=D("2025-05-13"), venue="CME")
    assert row["open_interest_btc"] == pytest.approx(14_000 * 5 + 5_000 * 0.1)
    assert row["open_interest_usd"] == pytest.approx(70_500 * 98_000.0)
    assert isnull(row["age_minutes"]) and not row["is_carried_forward"]
    row = _row(oi, trade_date=D("2025-05-14"), venue="CME")
    assert row["open_interest_btc"] == pytest.approx(15_000 * 5 + 1_000 * 0.1)  # null OI month, rolled series: out
    for day, price in (("2025-05-15", 101_000.0), ("2025-05-16", 102_000.0)):
        row = _row(oi, trade_date=D(day), venue="CME")
        assert row["is_carried_forward"] and row["carried_from_date"] == D("2025-05-14")
        assert row["open_interest_btc"] == pytest.approx(75_100.0)
        assert row["open_interest_usd"] == pytest.approx(75_100 * price)
    row = _row(oi, trade_date=D("2025-05-19"), venue="CME")  # a third missing day: beyond the carry limit
    assert isnull(row["open_interest_btc"]) and not row["is_carried_forward"] and isnull(row["carried_from_date"])
    assert _row(oi, trade_date=D("2025-05-20"), venue="CME")["open_interest_btc"] == 30_000.0


def test_oi_day_over_day_change(marts):
    oi = marts["fct_open_interest_4pm_et"]
    cme = _row(oi, trade_date=D("2025-05-14"), venue="CME")
    assert cme["open_interest_change_btc"] == pytest.approx(4_600.0)
    assert cme["open_interest_change_pct_btc"] == pytest.approx(4_600 / 70_500)
    assert cme["open_interest_change_usd"] == pytest.approx(75_100 * 100_000.0 - 70_500 * 98_000.0)
    binance = _row(oi, trade_date=D("2025-05-14"), venue="Binance")
    assert binance["open_interest_change_btc"] == pytest.approx(10_000.0)
    assert binance["open_interest_change_pct_usd"] == pytest.approx(9.0e9 / 7.84e9 - 1)
    # the previous day was stale: no change across it
    assert isnull(_row(oi, trade_date=D("2025-05-16"), venue="Binance")["open_interest_change_btc"])


def test_oi_shares_sum_to_one(marts):
    oi = marts["fct_open_interest_4pm_et"]
    cme, binance = (_row(oi, trade_date=D("2025-05-14"), venue=v) for v in ("CME", "Binance"))
    assert cme["share_of_total_usd"] == pytest.approx(7.51e9 / 16.51e9)
    assert binance["share_of_total_usd"] == pytest.approx(9.0e9 / 16.51e9)
    assert cme["venues_in_total"] == 2
    assert cme["is_end_of_day"] and not binance["is_end_of_day"]
    assert cme["share_mixes_instants"] and binance["share_mixes_instants"]  # end of day beside 4 pm
    valued = oi[oi["open_interest_usd"].notna()]
    assert valued.groupby("trade_date")["share_of_total_usd"].sum().to_numpy() == pytest.approx(1.0)
    alone = _row(oi, trade_date=D("2025-05-19"), venue="Binance")  # CME null that day
    assert alone["share_of_total_usd"] == 1.0 and alone["venues_in_total"] == 1
    assert not alone["share_mixes_instants"]
    assert isnull(_row(oi, trade_date=D("2025-05-19"), venue="CME")["share_of_total_usd"])


def test_oi_rows_per_trading_day_and_venue(marts, demo):
    oi = marts["fct_open_interest_4pm_et"]
    assert set(oi["venue"]) == {"CME", "Binance"}  # no Deribit perpetual observations yet
    assert oi[oi["trade_date"] == D("2025-05-26")].empty  # Memorial Day
    days = trading_days(D("2025-05-13"), DEFAULT_END)
    assert sorted(oi[oi["venue"] == "CME"]["trade_date"]) == days
    truths = demo.truths
    for day, level in truths.binance_open_interest_levels.items():
        assert _row(oi, trade_date=day, venue="CME")["open_interest_btc"] == pytest.approx(
            truths.cme_open_interest_contracts[day] * 5)
        assert _row(oi, trade_date=day, venue="Binance")["open_interest_btc"] == pytest.approx(
            level * _row(oi, trade_date=truths.pre_crash_day, venue="Binance")["open_interest_btc"], rel=0.06)
    # the event's shape: CME down then back up; Binance down and not back
    assert _row(oi, trade_date=truths.rebound_day, venue="CME")["open_interest_change_pct_btc"] > 0.05
    assert _row(oi, trade_date=truths.rebound_day, venue="Binance")["open_interest_change_pct_btc"] < 0


def test_every_row_carries_data_mode(marts):
    for mart in ("fct_cme_basis", "fct_cme_basis_by_contract", "fct_etf_flows"):
        assert (marts[mart]["data_mode"] == "simulated").all(), mart
    oi = marts["fct_open_interest_4pm_et"]
    assert (oi["data_mode"] == "simulated").all()  # rows with no data at all: the inputs' mode


# -- the real data ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real_marts(real_data_dir, tmp_path_factory) -> dict[str, pd.DataFrame]:
    return _build(tmp_path_factory.mktemp("marts_basis_flows_oi_real"), read_canonical_csv_dir(real_data_dir), mode="real")


@pytest.mark.real_data
def test_real_data_front_filled_tenors_null_cme_oi_null(real_marts):
    basis = real_marts["fct_cme_basis"]
    front = basis[basis["tenor"] == "front"].set_index("trade_date")
    assert front.loc[D("2026-02-05"), "contract_near"] == "BTCG26"
    assert front.loc[D("2026-02-05"), "is_rolled_series"]
    assert 0 < front.loc[D("2026-02-06"), "basis_annualized"] < 0.5
    # 29 Jan: the rolled series carries BTCF26 with 0.79 days left (+76% a year): not the front
    assert front.loc[D("2026-01-29"), "contract_near"] == "BTCG26"
    assert front.loc[D("2026-01-29"), "only_short_dated_prices"]
    assert isnull(front.loc[D("2026-01-29"), "basis_annualized"])
    assert basis[basis["tenor"] != "front"]["basis_annualized"].isna().all()
    by_contract = real_marts["fct_cme_basis_by_contract"].set_index(["trade_date", "contract"])
    short = by_contract.loc[(D("2026-01-29"), "BTCF26")]
    assert short["is_short_dated"] and short["is_rolled_series"]
    assert short["days_to_expiry"] == pytest.approx(19 / 24)  # 21:00 UTC to 16:00 UTC the next day
    assert short["basis_annualized"] > 0.7
    # 30 Jan, BTCF26's expiry day: its final price, settled before 4 pm New York, has no basis
    expired = by_contract.loc[(D("2026-01-30"), "BTCF26")]
    assert expired["is_expired"] and isnull(expired["basis_annualized"])
    assert (D("2026-01-30"), "BTCG26") not in by_contract.index  # never priced as the next contract
    oi = real_marts["fct_open_interest_4pm_et"]
    assert oi["open_interest_btc"].isna().all()  # weekly CFTC open interest is not made daily
    assert (oi["data_mode"] == "real").all()
    assert set(oi["venue"]) == {"CME", "Binance"}
    assert (basis["data_mode"] == "real").all()


@pytest.mark.real_data
def test_real_data_flows(real_marts):
    flows = real_marts["fct_etf_flows"]
    assert flows[flows["trade_date"] == D("2026-01-19")].empty  # a holiday-dated report
    ibit = flows[flows["ticker"] == "IBIT"].set_index("trade_date")
    assert ibit["shares_outstanding"].isna().all()  # no fund data in this set: null, not zero
    assert ibit.loc[D("2026-02-05"), "fund_return"] == pytest.approx(-0.132, abs=0.002)
    assert ibit["expected_flow_usd"].notna().sum() > 200
    all_row = flows[flows["ticker"] == "ALL"].set_index("trade_date")
    funds = flows[flows["ticker"] != "ALL"].groupby("trade_date")["flow_usd"].sum(min_count=1)
    assert all_row["flow_usd"].to_numpy() == pytest.approx(funds.loc[all_row.index].to_numpy(), nan_ok=True)
    # the aggregate expected flow exists every day the three funds with bars have a model
    crash = all_row.loc[D("2026-02-05")]
    assert crash["funds_modelled"] == 3 and crash["expected_flow_usd"] < -500e6 < crash["modelled_flow_usd"]
    assert 0.5 < crash["modelled_share_of_gross_flow"] < 1
    with_bars = (all_row.index >= D("2025-06-01")) & (all_row.index <= D("2026-04-24"))  # daily bars end 04-24
    assert all_row.loc[with_bars, "expected_flow_usd"].notna().all()
    # funds not launched yet (0.0 in the archive) do not report
    assert all_row.loc[D("2024-01-11"), "funds_reporting"] < all_row.loc[D("2026-02-06"), "funds_reporting"]
