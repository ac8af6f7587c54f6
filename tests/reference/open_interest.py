"""Open interest by venue at 4 pm New York (in BTC and USD) and Binance funding at 4 pm."""
from __future__ import annotations

import numpy as np
import pandas as pd

from tests.reference.calendar import cme_contracts, new_york_date
from tests.reference.prices import MAX_AGE_MINUTES, as_of, minutes_between

CME_CARRY_TRADING_DAYS = 2
FUNDING_MAX_AGE_MINUTES = 540
BTC_PER_CONTRACT = {"BTC": 5.0, "MBT": 0.1}


def cme_open_interest(futures: pd.DataFrame) -> pd.DataFrame:
    """Per trade date: BTC months' contracts, and BTC months x 5 + MBT months x 0.1 in BTC."""
    cme = futures[(futures["venue"] == "CME") & futures["open_interest"].notna()]
    btc = cme[cme["contract"].isin(cme_contracts()["contract"])]
    mbt = cme[cme["contract"].str.startswith("MBT")]
    contracts = btc.groupby("trade_date")["open_interest"].sum()
    in_btc = pd.concat([btc.assign(btc=btc["open_interest"] * 5.0), mbt.assign(btc=mbt["open_interest"] * 0.1)])
    return pd.DataFrame({"cme_open_interest": contracts,
                         "cme_open_interest_btc": in_btc.groupby("trade_date")["btc"].sum()}).rename_axis("trade_date").reset_index()


def binance_at(days: pd.DataFrame, perp: pd.DataFrame) -> pd.DataFrame:
    obs = perp[(perp["venue"] == "Binance") & (perp["symbol"] == "BTCUSDT")
               & (perp["open_interest_base"].notna() | perp["open_interest_usd"].notna())]
    got = as_of(days[["trade_date", "snapshot_utc"]], "snapshot_utc",
                obs[["ts_utc", "open_interest_base", "open_interest_usd"]], "ts_utc")
    age = minutes_between(got["ts_utc"], got["snapshot_utc"])
    fresh = age <= MAX_AGE_MINUTES
    return pd.DataFrame({"trade_date": got["trade_date"], "observed_at_utc": got["ts_utc"], "age_minutes": age,
                         "open_interest_btc": got["open_interest_base"].where(fresh),
                         "open_interest_usd": got["open_interest_usd"].where(fresh), "is_stale": ~fresh})


def open_interest_mart(futures: pd.DataFrame, perp: pd.DataFrame, tdays: pd.DataFrame,
                       btc_4pm: pd.DataFrame) -> pd.DataFrame:
    """fct_open_interest_4pm_et for CME and Binance."""
    perp = perp[((perp["venue"] == "Binance") & (perp["symbol"] == "BTCUSDT"))
                | ((perp["venue"] == "Deribit") & (perp["symbol"] == "BTC-PERPETUAL"))]
    perp_days = new_york_date(perp["ts_utc"])
    with_data = pd.concat([futures.loc[futures["venue"] == "CME", "trade_date"], perp_days]).dropna()
    spine = tdays[(tdays["trade_date"] >= with_data.min()) & (tdays["trade_date"] <= with_data.max())].reset_index(drop=True)

    cme_daily = cme_open_interest(futures).set_index("trade_date")["cme_open_interest_btc"]
    values = spine["trade_date"].map(cme_daily)
    position = pd.Series(np.where(values.notna(), spine.index, np.nan)).ffill()
    gap = spine.index - position
    carried = values.isna() & (gap >= 1) & (gap <= CME_CARRY_TRADING_DAYS)
    cme = pd.DataFrame({
        "trade_date": spine["trade_date"], "venue": "CME",
        "open_interest_btc": np.where(carried, values.ffill(), values),
        "venue_usd": np.nan, "age_minutes": np.nan, "is_stale": False, "is_end_of_day": True,
        "is_carried_forward": carried.to_numpy(),
    })
    binance_days = perp_days[perp["venue"] == "Binance"]
    perp_window = spine[(spine["trade_date"] >= binance_days.min()) & (spine["trade_date"] <= binance_days.max())]
    binance = spine[["trade_date"]].merge(binance_at(perp_window, perp), on="trade_date", how="left")
    binance = pd.DataFrame({
        "trade_date": binance["trade_date"], "venue": "Binance", "open_interest_btc": binance["open_interest_btc"],
        "venue_usd": binance["open_interest_usd"], "age_minutes": binance["age_minutes"],
        "is_stale": binance["is_stale"].fillna(True).astype(bool), "is_end_of_day": False, "is_carried_forward": False,
    })
    out = pd.concat([cme, binance], ignore_index=True).merge(btc_4pm[["trade_date", "btc_usd_4pm"]], on="trade_date", how="left")
    btc, usd = out["open_interest_btc"], out["venue_usd"]
    out["open_interest_btc"] = btc.fillna(usd / out["btc_usd_4pm"])
    out["open_interest_usd"] = usd.fillna(btc * out["btc_usd_4pm"])
    out = out.sort_values(["venue", "trade_date"])
    for unit in ("btc", "usd"):
        previous = out.groupby("venue")[f"open_interest_{unit}"].shift(1)
        out[f"open_interest_change_{unit}"] = out[f"open_interest_{unit}"] - previous
        out[f"open_interest_change_pct_{unit}"] = out[f"open_interest_{unit}"] / previous.replace(0, np.nan) - 1
    by_day = out.groupby("trade_date")
    out["share_of_total_usd"] = out["open_interest_usd"] / by_day["open_interest_usd"].transform("sum").replace(0, np.nan)
    valued = out["open_interest_usd"].notna()
    end_of_day = (valued & out["is_end_of_day"]).groupby(out["trade_date"]).transform("any")
    at_four = (valued & ~out["is_end_of_day"]).groupby(out["trade_date"]).transform("any")
    out["share_mixes_instants"] = end_of_day & at_four
    return out.drop(columns="venue_usd")


def binance_funding_at(days: pd.DataFrame, funding: pd.DataFrame) -> pd.DataFrame:
    rates = funding[(funding["venue"] == "Binance") & (funding["symbol"] == "BTCUSDT") & funding["funding_rate"].notna()]
    partition = new_york_date(rates["ts_utc"])
    window = days[(days["trade_date"] >= partition.min()) & (days["trade_date"] <= partition.max())]
    got = as_of(window[["trade_date", "snapshot_utc"]], "snapshot_utc", rates[["ts_utc", "funding_rate"]], "ts_utc")
    age = minutes_between(got["ts_utc"], got["snapshot_utc"])
    sums, counts = [], []
    times, values = rates["ts_utc"].to_numpy(), rates["funding_rate"].to_numpy()
    for snapshot in got["snapshot_utc"]:
        inside = (times <= snapshot.to_datetime64()) & (times > (snapshot - pd.Timedelta(hours=24)).to_datetime64())
        counts.append(int(inside.sum()))
        sums.append(values[inside].sum() if inside.sum() >= 3 else np.nan)
    return pd.DataFrame({"trade_date": got["trade_date"], "binance_funding_observed_at_utc": got["ts_utc"],
                         "binance_funding_age_minutes": age,
                         "binance_funding_rate": got["funding_rate"].where(age <= FUNDING_MAX_AGE_MINUTES),
                         "binance_funding_rate_24h_sum": sums, "binance_funding_settlements_24h": counts})
