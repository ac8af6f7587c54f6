"""The marts, recomputed: `reference_marts(frames)` -> {mart name: frame}, keyed as the marts are."""
from __future__ import annotations

import numpy as np
import pandas as pd

from tests.reference import basis, flows, open_interest, options, prices
from tests.reference.calendar import new_york_date, trading_days_frame
from tests.reference.frames import normalize
from tests.reference.stats import fisher_change_z, prior_window_z, rolling_corr, two_sided_tail

PEERS = ("IGV", "GLD", "QQQ", "COIN", "MSTR")
SNAPSHOT_PEERS = ("IGV", "GLD", "QQQ")
SIGNAL = {"inflow_min_usd": 250e6, "basis_change_max": 0.0, "oi_collapse_max": -0.15, "oi_flat_min": -0.02,
          "corr_min_abs_z": 2.576, "corr_peers": ("IGV", "GLD")}


def cross_asset(returns: pd.DataFrame, tdays: pd.DataFrame) -> pd.DataFrame:
    ibit = returns[returns["symbol"] == "IBIT"]
    spine = tdays[(tdays["trade_date"] >= ibit["trade_date"].min()) & (tdays["trade_date"] <= ibit["trade_date"].max())]
    by_symbol = returns.set_index(["symbol", "trade_date"])["simple_return"]
    ibit_r = spine["trade_date"].map(by_symbol.get("IBIT", pd.Series(dtype=float))).to_numpy(float)
    out = []
    for peer in PEERS:
        peer_r = spine["trade_date"].map(by_symbol[peer] if peer in by_symbol.index.get_level_values(0)
                                         else pd.Series(dtype=float)).to_numpy(float)
        out.append(pd.DataFrame({"trade_date": spine["trade_date"].to_numpy(), "peer": peer, "ibit_return": ibit_r,
                                 "peer_return": peer_r, "corr_20d": rolling_corr(ibit_r, peer_r, 20),
                                 "corr_60d": rolling_corr(ibit_r, peer_r, 60)}))
    return pd.concat(out, ignore_index=True)


def reference_marts(raw: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    f = normalize(raw)
    tdays = trading_days_frame()

    # BTC at 4 pm and at NYSE's close, on the trading days the hourly series covers
    observations = prices.btc_usd_observations(f["hourly_bars"])
    covered = tdays[(tdays["trade_date"] >= observations["partition"].min())
                    & (tdays["trade_date"] <= observations["partition"].max())]
    btc = prices.btc_usd_at(covered, "snapshot_utc", observations, "btc_usd_4pm").merge(
        prices.btc_usd_at(covered, "nyse_close_utc", observations, "btc_usd_nyse_close"), on="trade_date")

    bars = prices.one_bar_per_symbol(f["daily_bars"])
    returns = prices.close_to_close_returns(bars, tdays)
    per_fund = flows.flows_per_fund(f["etf_flows"])
    per_day = flows.flows_per_day(per_fund)
    contract_prices = basis.contract_prices(f["futures_daily"], tdays, btc)
    front = basis.front(contract_prices, tdays)
    cme_oi = open_interest.cme_open_interest(f["futures_daily"])
    activity = options.options_activity(f["options_volume"], tdays)
    corr = cross_asset(returns, tdays)
    dvol = f["vol_index_daily"][f["vol_index_daily"]["index_name"] == "DVOL-BTC"][["trade_date", "close"]]
    perp = f["perp_open_interest"]
    observed = perp[(perp["venue"] == "Binance") & (perp["symbol"] == "BTCUSDT")
                    & (perp["open_interest_base"].notna() | perp["open_interest_usd"].notna())]
    observed_days = new_york_date(observed["ts_utc"])
    binance = open_interest.binance_at(tdays[(tdays["trade_date"] >= observed_days.min())
                                             & (tdays["trade_date"] <= observed_days.max())], perp)
    funding = open_interest.binance_funding_at(tdays, f["funding_rates"])

    # the snapshot: trading days from the first to the last with any of its inputs
    ibit_bars = returns[returns["symbol"] == "IBIT"]
    with_data = pd.concat([btc["trade_date"], ibit_bars["trade_date"],
                           per_day.loc[per_day["trade_date"].isin(tdays["trade_date"]), "trade_date"],
                           activity["trade_date"], front["trade_date"],
                           cme_oi.loc[cme_oi["trade_date"].isin(tdays["trade_date"]), "trade_date"],
                           binance["trade_date"], dvol.loc[dvol["trade_date"].isin(tdays["trade_date"]), "trade_date"]])
    snap = tdays[(tdays["trade_date"] >= with_data.min()) & (tdays["trade_date"] <= with_data.max())].copy()
    snap = snap.merge(btc, on="trade_date", how="left")
    snap = snap.merge(ibit_bars[["trade_date", "close", "volume", "dollar_volume"]].rename(columns={
        "close": "ibit_close", "volume": "ibit_volume_shares", "dollar_volume": "ibit_dollar_volume"}), on="trade_date", how="left")
    snap = snap.merge(per_day.rename(columns={"funds_reporting": "etf_funds_reporting"}), on="trade_date", how="left")
    snap = snap.merge(activity[["trade_date", "ibit_put_contracts", "ibit_call_contracts", "put_call_ratio"]].rename(
        columns={"put_call_ratio": "ibit_put_call_ratio"}), on="trade_date", how="left")
    snap = snap.merge(front[["trade_date", "contract", "days_to_expiry", "settle", "basis_annualized", "is_rolled_series",
                             "only_short_dated_prices"]].rename(columns={
        "contract": "cme_front_contract", "days_to_expiry": "cme_front_days_to_expiry", "settle": "cme_front_settle",
        "basis_annualized": "cme_front_basis_annualized", "is_rolled_series": "cme_front_is_rolled_series",
        "only_short_dated_prices": "cme_front_is_null_short_dated"}), on="trade_date", how="left")
    snap = snap.merge(cme_oi, on="trade_date", how="left")
    snap["cme_open_interest_is_end_of_day"] = np.where(snap["cme_open_interest_btc"].notna(), True, None)
    snap = snap.merge(binance[["trade_date", "open_interest_usd", "open_interest_btc", "age_minutes"]].rename(columns={
        "open_interest_usd": "binance_open_interest_usd", "open_interest_btc": "binance_open_interest_btc",
        "age_minutes": "binance_open_interest_age_minutes"}), on="trade_date", how="left")
    snap = snap.merge(funding, on="trade_date", how="left")
    snap = snap.merge(dvol.rename(columns={"close": "dvol"}), on="trade_date", how="left")
    usd, in_btc = snap["binance_open_interest_usd"], snap["binance_open_interest_btc"]
    snap["binance_open_interest_usd"] = usd.fillna(in_btc * snap["btc_usd_4pm"])
    snap["binance_open_interest_btc"] = in_btc.fillna(usd / snap["btc_usd_4pm"])
    snap["dvol_observed_at_utc"] = (snap["trade_date"] + pd.Timedelta(days=1)).where(snap["dvol"].notna())
    snap["dvol_age_minutes"] = (snap["snapshot_utc"] - snap["dvol_observed_at_utc"]).dt.total_seconds() / 60
    for peer in SNAPSHOT_PEERS:
        snap = snap.merge(corr.loc[corr["peer"] == peer, ["trade_date", "corr_20d"]].rename(
            columns={"corr_20d": f"corr_20d_{peer.lower()}"}), on="trade_date", how="left")
    snap = snap.sort_values("trade_date").reset_index(drop=True)
    snap["is_nyse_early_close"] = snap["nyse_close_utc"] < snap["snapshot_utc"]
    snap["btc_return"] = snap["btc_usd_4pm"] / snap["btc_usd_4pm"].shift(1) - 1
    snap["btc_return_nyse_close"] = snap["btc_usd_nyse_close"] / snap["btc_usd_nyse_close"].shift(1) - 1
    snap["ibit_return"] = snap["ibit_close"] / snap["ibit_close"].shift(1) - 1
    snap["ibit_return_z_60d"] = prior_window_z(snap["ibit_return"], 60, 60)  # all 60 previous returns
    snap["ibit_return_z_60d_tail_prob"] = snap["ibit_return_z_60d"].map(two_sided_tail)

    oi_mart = open_interest.open_interest_mart(f["futures_daily"], perp, tdays, btc)
    signals = signals_mart(snap, corr)
    return {
        "fct_daily_snapshot_4pm_et": snap,
        "fct_etf_flows": flows.etf_flows_mart(per_fund, f["etf_fund_daily"], returns, tdays),
        "fct_cme_basis_by_contract": contract_prices,
        "fct_cme_basis_front": front,
        "fct_cme_basis_tenors": basis.constant_maturity(contract_prices),
        "fct_open_interest_4pm_et": oi_mart,
        "fct_options_activity": activity,
        "fct_cross_asset": corr,
        "fct_dealer_gamma_by_strike": options.dealer_gamma_by_strike(f["option_chain_snapshot"]),
        "fct_signals": signals,
    }


def known(condition: pd.Series, *inputs: pd.Series) -> pd.Series:
    """A comparison in SQL's three-valued logic: unknown (NA) where an input is null."""
    out = condition.astype("boolean")
    for values in inputs:
        out[values.isna().to_numpy()] = pd.NA
    return out


def signals_mart(snap: pd.DataFrame, corr: pd.DataFrame) -> pd.DataFrame:
    s = snap[["trade_date", "total_etf_flow_usd", "cme_front_contract", "cme_front_basis_annualized",
              "binance_open_interest_btc", "cme_open_interest_btc", "ibit_dollar_volume", "ibit_flow_usd"]].copy()
    same_front = s["cme_front_contract"] == s["cme_front_contract"].shift(1)
    s["cme_front_basis_change"] = (s["cme_front_basis_annualized"] - s["cme_front_basis_annualized"].shift(1)).where(same_front)
    for venue in ("binance", "cme"):
        oi = s[f"{venue}_open_interest_btc"]
        for lag in (1, 2):
            s[f"{venue}_oi_change_{lag}d"] = oi / oi.shift(lag).replace(0, np.nan) - 1

    def collapsed(falling: str, other: str) -> pd.Series:
        hits = []
        for lag in (1, 2):
            a, b = s[f"{falling}_oi_change_{lag}d"], s[f"{other}_oi_change_{lag}d"]
            hits.append(known(a <= SIGNAL["oi_collapse_max"], a) & known(b >= SIGNAL["oi_flat_min"], b))
        return hits[0] | hits[1]

    binance, cme = collapsed("binance", "cme"), collapsed("cme", "binance")
    s["oi_collapse_one_venue"] = binance | cme
    s["oi_collapse_venue"] = np.select([(binance & cme).fillna(False), binance.fillna(False), cme.fillna(False)],
                                       ["Binance,CME", "Binance", "CME"], default=None)
    volume = s["ibit_dollar_volume"]
    earlier = volume.expanding().max().shift(1)
    earlier_days = volume.notna().cumsum().shift(1).fillna(0)
    s["previous_record_ibit_dollar_volume"] = earlier
    s["is_record_ibit_dollar_volume"] = known(volume > earlier, volume).where(earlier_days > 0, pd.NA)
    s["record_volume_with_net_creation"] = (s["is_record_ibit_dollar_volume"]
                                            & known(s["ibit_flow_usd"] > 0, s["ibit_flow_usd"]))
    flow, change = s["total_etf_flow_usd"], s["cme_front_basis_change"]
    s["inflow_without_basis_expansion"] = (known(flow > SIGNAL["inflow_min_usd"], flow)
                                           & known(change <= SIGNAL["basis_change_max"], change))
    shift = pd.Series(False, index=s.index, dtype="boolean")
    for peer in SIGNAL["corr_peers"]:
        series = corr[corr["peer"] == peer].sort_values("trade_date")
        before = series["corr_60d"].shift(20)
        z = pd.Series(fisher_change_z(series["corr_20d"], 20, before, 60), index=series["trade_date"].to_numpy())
        z = s["trade_date"].map(z)
        s[f"corr_change_z_{peer.lower()}"] = z
        shift = shift | known(z.abs() >= SIGNAL["corr_min_abs_z"], z)
    s["correlation_regime_shift"] = shift
    return s
