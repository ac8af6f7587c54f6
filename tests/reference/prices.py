"""BTC-USD at an instant (as of the last hourly close at or before it) and daily bars and returns."""
from __future__ import annotations

import numpy as np
import pandas as pd

from tests.reference.calendar import new_york_date

MAX_AGE_MINUTES = 120


def minutes_between(earlier: pd.Series, later: pd.Series) -> pd.Series:
    return np.floor((later - earlier).dt.total_seconds() / 60)


def as_of(instants: pd.DataFrame, at: str, observations: pd.DataFrame, observed: str) -> pd.DataFrame:
    """For each row of `instants`, the last observation at or before its `at` (all columns; none -> NaN)."""
    left = instants.reset_index(drop=True).assign(_order=lambda d: range(len(d)))
    left[at] = left[at].astype("datetime64[ns]")
    left = left.sort_values(at)
    right = observations.astype({observed: "datetime64[ns]"}).sort_values(observed)
    merged = pd.merge_asof(left, right, left_on=at, right_on=observed, direction="backward", allow_exact_matches=True)
    return merged.sort_values("_order").drop(columns="_order").reset_index(drop=True)


def btc_usd_observations(hourly: pd.DataFrame) -> pd.DataFrame:
    """One close per hour (Coinbase first, then by source name), observed when the bar ends."""
    bars = hourly[(hourly["symbol"] == "BTC-USD") & hourly["close"].notna()].copy()
    bars["preference"] = np.where(bars["source"] == "coinbase", 0, 1)
    bars = bars.sort_values(["bar_start_utc", "preference", "source"]).drop_duplicates("bar_start_utc")
    return pd.DataFrame({"observed_at": bars["bar_start_utc"] + pd.Timedelta(hours=1), "price": bars["close"],
                         "partition": new_york_date(bars["bar_start_utc"])})


def btc_usd_at(days: pd.DataFrame, instant: str, observations: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """BTC-USD at `days[instant]`: price, its age in minutes, null when older than 120 minutes."""
    got = as_of(days[["trade_date", instant]], instant, observations[["observed_at", "price"]], "observed_at")
    age = minutes_between(got["observed_at"], got[instant])
    return pd.DataFrame({
        "trade_date": got["trade_date"],
        f"{prefix}_age_minutes": age,
        prefix: got["price"].where(age <= MAX_AGE_MINUTES),
    })


def one_bar_per_symbol(daily_bars: pd.DataFrame) -> pd.DataFrame:
    bars = daily_bars.assign(no_close=daily_bars["close"].isna())
    bars = bars.sort_values(["trade_date", "symbol", "no_close", "source"]).drop_duplicates(["trade_date", "symbol"])
    return bars.assign(dollar_volume=bars["close"] * bars["volume"]).drop(columns="no_close")


def close_to_close_returns(bars: pd.DataFrame, tdays: pd.DataFrame) -> pd.DataFrame:
    """(trade_date, symbol, close, simple_return) on NYSE days: close over the previous NYSE day's close."""
    on_days = bars[bars["trade_date"].isin(tdays["trade_date"])][["trade_date", "symbol", "close", "volume", "dollar_volume"]]
    previous = tdays.assign(previous_trade_date=tdays["trade_date"].shift(1))[["trade_date", "previous_trade_date"]]
    out = on_days.merge(previous, on="trade_date", how="left")
    prev = on_days[["trade_date", "symbol", "close"]].rename(columns={"trade_date": "previous_trade_date", "close": "previous_close"})
    out = out.merge(prev, on=["previous_trade_date", "symbol"], how="left")
    out["simple_return"] = out["close"] / out["previous_close"].replace(0, np.nan) - 1
    return out
