"""IBIT options activity and dealer gamma by strike (Black-76, equity sign convention)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from tests.reference.stats import prior_window_z


def options_activity(options_volume: pd.DataFrame, tdays: pd.DataFrame) -> pd.DataFrame:
    ibit = options_volume[(options_volume["underlying"] == "IBIT") & options_volume["trade_date"].isin(tdays["trade_date"])]
    wide = ibit.pivot_table(index="trade_date", columns="put_call", values="contracts", aggfunc="sum")
    out = pd.DataFrame(index=wide.index.sort_values())
    out["ibit_put_contracts"] = wide.get("P")
    out["ibit_call_contracts"] = wide.get("C")
    out["total_contracts"] = out["ibit_put_contracts"] + out["ibit_call_contracts"]
    out["put_call_ratio"] = out["ibit_put_contracts"] / out["ibit_call_contracts"].replace(0, np.nan)
    earlier_max = out["total_contracts"].expanding().max().shift(1)
    earlier_put_max = out["ibit_put_contracts"].expanding().max().shift(1)
    first = np.arange(len(out)) == 0
    out["is_record_total"] = np.where(first | out["total_contracts"].isna(), None,
                                      out["total_contracts"] > earlier_max.fillna(-1))
    out["is_record_puts"] = np.where(first | out["ibit_put_contracts"].isna(), None,
                                     out["ibit_put_contracts"] > earlier_put_max.fillna(-1))
    out["volume_z_60d"] = prior_window_z(out["total_contracts"], 60, 20)
    return out.reset_index()


def black76_gamma(forward, strike, sigma, years):
    d1 = (np.log(forward / strike) + sigma**2 * years / 2) / (sigma * np.sqrt(years))
    return np.exp(-d1**2 / 2) / math.sqrt(2 * math.pi) / (forward * sigma * np.sqrt(years))


def dealer_gamma_by_strike(chain: pd.DataFrame) -> pd.DataFrame:
    """BTC options: (snapshot_utc, strike) -> S0 GEX in USD per 1% move (calls +, puts -), netted over
    expiries; Gamma x OI x multiplier x F^2 x 0.01 with Black-76 on each line's forward, T in ACT/365 years."""
    lines = chain[(chain["underlying"] == "BTC") & chain["put_call"].isin(["C", "P"])].copy()
    lines["years"] = (lines["expiry_utc"] - lines["snapshot_utc"]).dt.total_seconds() / (365 * 86_400)
    lines = lines[(lines["years"] > 0) & (lines["mark_iv"] > 0) & lines["open_interest"].notna()
                  & (lines["multiplier"] > 0) & (lines["underlying_price"] > 0) & (lines["strike"] > 0)]
    f = lines["underlying_price"].to_numpy(float)
    gamma = black76_gamma(f, lines["strike"].to_numpy(float), lines["mark_iv"].to_numpy(float), lines["years"].to_numpy(float))
    sign = np.where(lines["put_call"] == "C", 1.0, -1.0)
    lines["gex_usd_per_1pct"] = sign * gamma * lines["open_interest"] * lines["multiplier"] * f**2 * 0.01
    return lines.groupby(["snapshot_utc", "strike"], as_index=False)["gex_usd_per_1pct"].sum()
