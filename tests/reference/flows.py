"""ETF flows per fund and per day, the share-count flow, and the rolling flow model (numpy lstsq)."""
from __future__ import annotations

import numpy as np
import pandas as pd

CREATION_UNIT_SHARES = 50_000
LOOKBACK_TRADING_DAYS = 250
MIN_OBSERVATIONS = 60


def flows_per_fund(etf_flows: pd.DataFrame) -> pd.DataFrame:
    """One figure per fund and day (latest report, then source name) with the launch rule: a fund
    reports from its first non-zero flow on."""
    flows = etf_flows.assign(no_report_date=etf_flows["reported_date"].isna())
    flows = flows.sort_values(["trade_date", "ticker", "no_report_date", "reported_date", "source"],
                              ascending=[True, True, True, False, True])
    flows = flows.drop_duplicates(["trade_date", "ticker"]).sort_values(["ticker", "trade_date"])
    nonzero = (flows["flow_usd"].fillna(0) != 0).astype(int)
    flows["is_launched"] = nonzero.groupby(flows["ticker"]).cummax().astype(bool)
    flows["is_reporting"] = flows["flow_usd"].notna() & flows["is_launched"]
    return flows.reset_index(drop=True)


def flows_per_day(per_fund: pd.DataFrame) -> pd.DataFrame:
    grouped = per_fund.groupby("trade_date")
    return pd.DataFrame({
        "total_etf_flow_usd": grouped["flow_usd"].sum(min_count=1),
        "ibit_flow_usd": per_fund[per_fund["ticker"] == "IBIT"].set_index("trade_date")["flow_usd"],
        "funds_reporting": grouped["is_reporting"].sum(),
    }).rename_axis("trade_date").reset_index()


def _rolling_ols(rows: pd.DataFrame) -> pd.DataFrame:
    """Per row: OLS of y on (1, x1, x2) over the rows of the previous 250 trading days with all three."""
    day = rows["day_number"].to_numpy()
    y, x1, x2 = (rows[c].to_numpy(float) for c in ("flow_usd", "fund_return", "fund_return_previous_day"))
    complete = ~(np.isnan(y) | np.isnan(x1) | np.isnan(x2))
    n_obs, a, b1, b2 = (np.full(len(rows), np.nan) for _ in range(4))
    for i in range(len(rows)):
        window = complete & (day >= day[i] - LOOKBACK_TRADING_DAYS) & (day <= day[i] - 1)
        n_obs[i] = window.sum()
        if n_obs[i] < MIN_OBSERVATIONS:
            continue
        u, v = x1[window], x2[window]
        if u.var() == 0 or v.var() == 0 or 1 - np.corrcoef(u, v)[0, 1] ** 2 <= 1e-9:
            continue
        design = np.column_stack([np.ones(window.sum()), u, v])
        a[i], b1[i], b2[i] = np.linalg.lstsq(design, y[window], rcond=None)[0]
    return pd.DataFrame({"model_observations": n_obs, "model_intercept_usd": a, "model_usd_per_return": b1,
                         "model_usd_per_previous_day_return": b2}, index=rows.index)


def etf_flows_mart(per_fund: pd.DataFrame, fund_daily: pd.DataFrame, returns: pd.DataFrame,
                   tdays: pd.DataFrame) -> pd.DataFrame:
    """fct_etf_flows: fund rows and an ALL row per NYSE day with a flow or fund data."""
    days = tdays[["trade_date", "day_number"]].assign(previous_trade_date=tdays["trade_date"].shift(1))
    fund = fund_daily.drop_duplicates(["trade_date", "ticker"])[["trade_date", "ticker", "shares_outstanding", "nav_usd", "btc_held"]]
    keys = pd.concat([per_fund[["trade_date", "ticker"]], fund[["trade_date", "ticker"]]]).drop_duplicates()
    rows = keys.merge(days, on="trade_date", how="inner")
    rows = rows.merge(per_fund[["trade_date", "ticker", "flow_usd", "is_reporting"]], on=["trade_date", "ticker"], how="left")
    rows = rows.merge(fund, on=["trade_date", "ticker"], how="left")
    prev_fund = fund.rename(columns={"trade_date": "previous_trade_date", "shares_outstanding": "previous_shares"})
    rows = rows.merge(prev_fund[["previous_trade_date", "ticker", "previous_shares"]], on=["previous_trade_date", "ticker"], how="left")
    ret = returns.rename(columns={"symbol": "ticker"})[["trade_date", "ticker", "simple_return", "dollar_volume"]]
    rows = rows.merge(ret.rename(columns={"simple_return": "fund_return", "dollar_volume": "dollar_volume_usd"}),
                      on=["trade_date", "ticker"], how="left")
    prev_ret = ret.rename(columns={"trade_date": "previous_trade_date", "simple_return": "fund_return_previous_day"})
    rows = rows.merge(prev_ret[["previous_trade_date", "ticker", "fund_return_previous_day"]],
                      on=["previous_trade_date", "ticker"], how="left")
    rows["is_reporting"] = rows["is_reporting"].fillna(False).astype(bool)
    rows["shares_created"] = rows["shares_outstanding"] - rows["previous_shares"]
    rows["flow_from_shares_usd"] = rows["shares_created"] * rows["nav_usd"]
    rows["flow_gap_usd"] = rows["flow_usd"] - rows["flow_from_shares_usd"]
    rows = rows.sort_values(["ticker", "day_number"])
    fits = pd.concat([_rolling_ols(group) for _, group in rows.groupby("ticker")])
    rows = rows.join(fits)
    rows["expected_flow_usd"] = (rows["model_intercept_usd"] + rows["model_usd_per_return"] * rows["fund_return"]
                                 + rows["model_usd_per_previous_day_return"] * rows["fund_return_previous_day"])
    rows["flow_surprise_usd"] = rows["flow_usd"] - rows["expected_flow_usd"]
    rows["funds_reporting"] = rows["is_reporting"].astype(int)
    rows["funds_modelled"] = (rows["flow_usd"].notna() & rows["expected_flow_usd"].notna()).astype(int)
    rows["funds_with_share_data"] = (rows["flow_usd"].notna() & rows["shares_created"].notna()
                                     & rows["nav_usd"].notna()).astype(int)

    def total(day: pd.DataFrame) -> pd.Series:
        modelled = day[day["funds_modelled"] == 1]
        shares = day[day["funds_with_share_data"] == 1]
        gross = day["flow_usd"].abs().sum(min_count=1)
        return pd.Series({
            "flow_usd": day["flow_usd"].sum(min_count=1),
            "flow_from_shares_usd": shares["flow_from_shares_usd"].sum(min_count=1),
            "flow_gap_usd": shares["flow_gap_usd"].sum(min_count=1),
            "expected_flow_usd": modelled["expected_flow_usd"].sum(min_count=1),
            "flow_surprise_usd": modelled["flow_surprise_usd"].sum(min_count=1),
            "modelled_flow_usd": modelled["flow_usd"].sum(min_count=1),
            "modelled_share_of_gross_flow": modelled["flow_usd"].abs().sum(min_count=1) / gross if gross else np.nan,
            "funds_reporting": day["funds_reporting"].sum(),
            "funds_modelled": day["funds_modelled"].sum(),
            "funds_with_share_data": day["funds_with_share_data"].sum(),
        })

    all_rows = rows.groupby("trade_date").apply(total, include_groups=False).reset_index().assign(ticker="ALL")
    funds = rows.rename(columns={"nav_usd": "nav_usd_per_share"})
    return pd.concat([funds, all_rows], ignore_index=True)
