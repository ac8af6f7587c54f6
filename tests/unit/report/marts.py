"""Hand-made marts (no dbt) for the report's tests: the columns the report reads, a crash on
2026-02-05 (record dollar volume, record option volume, a basis jump, Binance OI collapsing, a
negative gamma band 64k-71k), in one data mode."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipelines.timeutils import trading_days

DAYS = trading_days(date(2026, 1, 20), date(2026, 2, 13))
CRASH = date(2026, 2, 5)
TENORS = ("front", "30d", "60d", "90d", "120d")


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


def all_marts(mode: str = "simulated") -> dict[str, pd.DataFrame]:
    snap = snapshot_frame(mode)
    crash = DAYS.index(CRASH)
    options = snap[["trade_date", "ibit_put_contracts", "ibit_call_contracts", "data_mode"]].copy()
    options.loc[crash, "ibit_put_contracts"] = 2.4e6
    options["is_record_total"] = options.index == crash
    options["is_record_puts"] = options.index == crash
    basis = pd.DataFrame([
        {"trade_date": d, "tenor": t, "basis_annualized": (0.09 if d > CRASH else 0.033 if d == CRASH else 0.05) + 0.004 * k,
         "is_extrapolated": t == "120d", "data_mode": mode}
        for d in DAYS for k, t in enumerate(TENORS)])
    oi = pd.DataFrame([
        {"trade_date": d, "venue": v, "open_interest_usd": base * (0.6 if d >= CRASH and v == "Binance" else 1.0), "data_mode": mode}
        for d in DAYS for v, base in (("CME", 11e9), ("Binance", 9e9))])
    flows = pd.DataFrame({"trade_date": DAYS, "ticker": "IBIT", "expected_flow_usd": [-2e8] * len(DAYS), "data_mode": mode})
    corr = pd.DataFrame([
        {"trade_date": d, "peer": p, "corr_20d": np.round(0.2 + 0.1 * k + 0.01 * i, 3), "data_mode": mode}
        for i, d in enumerate(DAYS) for k, p in enumerate(("IGV", "GLD", "QQQ", "COIN"))])
    snapshot_utc = datetime(2026, 2, 5, 21, 0)
    strikes = np.arange(55e3, 80e3, 1e3)
    gamma = pd.DataFrame({
        "snapshot_utc": snapshot_utc, "venue": "Deribit", "expiry_utc": datetime(2026, 2, 27, 8),
        "strike_btc_usd": strikes, "underlying_price_btc_usd": 63.8e3,
        "gex_usd_per_1pct": [-8e6 if 64e3 <= k <= 71e3 else 1e6 for k in strikes], "data_mode": mode})
    summary = pd.DataFrame({"snapshot_utc": [snapshot_utc], "neg_gamma_band_low_strike": [64e3],
                            "neg_gamma_band_high_strike": [71e3], "data_mode": [mode]})
    barriers, barriers_daily = note_barrier_marts(mode)
    return {
        "fct_daily_snapshot_4pm_et": snap, "fct_options_activity": options, "fct_cme_basis": basis,
        "fct_open_interest_4pm_et": oi, "fct_etf_flows": flows, "fct_cross_asset": corr,
        "fct_dealer_gamma": gamma, "fct_dealer_gamma_summary": summary,
        "fct_note_barriers": barriers, "fct_note_barriers_daily": barriers_daily,
    }


def note_barrier_marts(mode: str = "simulated") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three notes' principal barriers (43.60, 38.95, 38.40) and IBIT falling through them on the crash day."""
    barriers = pd.DataFrame({
        "note_id": ["MS1", "JPM1", "GS1"], "issuer": ["Morgan Stanley Finance LLC", "JPMorgan Chase Financial Company LLC",
                                                      "GS Finance Corp."],
        "barrier_kind": ["knock_in", "knock_in", "buffer"], "is_principal_barrier": True,
        "barrier_level_usd": [43.60, 38.95, 38.40], "aggregate_principal_usd": [104e6, 12.35e6, 5.6e6],
        "pricing_date": [date(2025, 11, 14), date(2025, 12, 2), date(2026, 1, 22)],
        "outstanding_until": [date(2027, 11, 18), date(2029, 12, 3), date(2026, 2, 9)], "data_mode": mode})
    close = [46.0 - 0.2 * i for i in range(len(DAYS))]
    crash = DAYS.index(CRASH)
    close[crash], close[crash + 1] = 36.1, 39.7
    breached = [2 if d == CRASH else 0 for d in DAYS]
    daily = pd.DataFrame({
        "trade_date": DAYS, "ibit_close_usd": close, "barriers_breached": breached,
        "principal_breached_usd": [17.95e6 if b else 0.0 for b in breached],
        "breached_levels_usd": ["38.95, 38.40" if b else None for b in breached], "data_mode": mode})
    return barriers, daily


def write_marts(path: Path, tables: dict[str, pd.DataFrame]) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create schema if not exists marts")
    for name, frame in tables.items():
        con.register("frame", frame)
        con.execute(f"create table marts.{name} as select * from frame")
        con.unregister("frame")
    con.close()
    return path
