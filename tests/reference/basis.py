"""CME basis per contract, the front (7-day rule) and constant maturity (Coin Metrics interpolation)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from tests.reference.calendar import cme_contracts

MIN_DAYS = 7
TENORS = (30, 60, 90, 120)
ROLLED = "BTC-front-continuous"


def contract_prices(futures: pd.DataFrame, tdays: pd.DataFrame, btc_4pm: pd.DataFrame) -> pd.DataFrame:
    """fct_cme_basis_by_contract: every BTC contract-month settlement and the rolled series, which on a
    day belongs to the contract whose last trading day is the first on or after it."""
    contracts = cme_contracts()
    cme = futures[futures["venue"] == "CME"]
    listed = cme[cme["contract"].isin(contracts["contract"])].assign(is_rolled_series=False)
    rolled = cme[cme["contract"] == ROLLED].copy()
    expiries = contracts.sort_values("expiry_date")
    position = np.searchsorted(expiries["expiry_date"].to_numpy(), rolled["trade_date"].to_numpy(), side="left")
    rolled["contract"] = expiries["contract"].to_numpy()[position]
    rolled[["volume", "open_interest"]] = np.nan
    rolled = rolled.assign(is_rolled_series=True)
    rolled = rolled[~rolled.set_index(["trade_date", "contract"]).index.isin(listed.set_index(["trade_date", "contract"]).index)]
    prices = pd.concat([listed, rolled], ignore_index=True)
    prices = prices.drop(columns="expiry_date").merge(contracts, on="contract")
    prices = prices.merge(tdays[["trade_date", "snapshot_utc"]], on="trade_date")
    prices = prices.merge(btc_4pm[["trade_date", "btc_usd_4pm"]], on="trade_date", how="left")
    prices["days_to_expiry"] = (prices["final_settlement_utc"] - prices["snapshot_utc"]).dt.total_seconds() / 86_400
    alive = prices["days_to_expiry"] > 0
    prices["basis_total"] = (prices["settle"] / prices["btc_usd_4pm"] - 1).where(alive)
    prices["basis_annualized"] = prices["basis_total"] * 365 / prices["days_to_expiry"]
    prices["is_expired"] = ~alive
    prices["is_short_dated"] = alive & (prices["days_to_expiry"] < MIN_DAYS)
    return prices.rename(columns={"settle": "settle_usd_per_btc", "volume": "volume_contracts",
                                  "open_interest": "open_interest_contracts"})


def front(prices: pd.DataFrame, tdays: pd.DataFrame) -> pd.DataFrame:
    """The front per day with any price: the nearest final settlement >= 7 days after 4 pm New York."""
    days = tdays[tdays["trade_date"].isin(prices["trade_date"])][["trade_date", "snapshot_utc"]]
    contracts = cme_contracts()
    rows = []
    for day, snapshot in days.itertuples(index=False):
        left = (contracts["final_settlement_utc"] - snapshot).dt.total_seconds() / 86_400
        rule = contracts[left >= MIN_DAYS].sort_values("expiry_date").iloc[0]
        that_day = prices[prices["trade_date"] == day]
        priced = that_day[that_day["contract"] == rule["contract"]]
        rows.append({
            "trade_date": day, "contract": rule["contract"], "expiry_date": rule["expiry_date"],
            "days_to_expiry": left[rule.name],
            "settle": priced["settle_usd_per_btc"].iloc[0] if len(priced) else np.nan,
            "basis_total": priced["basis_total"].iloc[0] if len(priced) else np.nan,
            "is_rolled_series": bool(priced["is_rolled_series"].iloc[0]) if len(priced) else False,
            "only_short_dated_prices": (not len(priced)) and bool((that_day["days_to_expiry"] < MIN_DAYS).all()),
        })
    out = pd.DataFrame(rows)
    out["basis_annualized"] = out["basis_total"] * 365 / out["days_to_expiry"]
    return out


def constant_maturity(prices: pd.DataFrame) -> pd.DataFrame:
    """(trade_date, tenor_days, basis_total, basis_annualized, contract_near, contract_far, is_extrapolated)."""
    rows = []
    usable = prices[prices["basis_total"].notna() & (prices["days_to_expiry"] >= MIN_DAYS)]
    for day in sorted(prices["trade_date"].unique()):
        curve = usable[usable["trade_date"] == day].sort_values("days_to_expiry")
        t, b, names = curve["days_to_expiry"].to_numpy(), curve["basis_total"].to_numpy(), curve["contract"].to_numpy()
        for n in TENORS:
            row = {"trade_date": day, "tenor_days": n}
            if len(t) >= 2:
                outside = [max(t[i] - n, n - t[i + 1], 0) for i in range(len(t) - 1)]
                i = int(np.argmin(outside))
                total = b[i] + (b[i + 1] - b[i]) * (n - t[i]) / (t[i + 1] - t[i])
                row.update(basis_total=total, basis_annualized=total * 365 / n, contract_near=names[i],
                           contract_far=names[i + 1], is_extrapolated=outside[i] > 0)
            rows.append(row)
    return pd.DataFrame(rows, columns=["trade_date", "tenor_days", "basis_total", "basis_annualized",
                                       "contract_near", "contract_far", "is_extrapolated"])
