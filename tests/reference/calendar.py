"""Clocks: NYSE sessions and their 4 pm / closing instants, CME bitcoin expiries and final settlements."""
from __future__ import annotations

import calendar as month_calendar
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pandas as pd

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")
FIRST, LAST = "2015-01-01", "2030-12-31"
MONTH_LETTERS = "FGHJKMNQUVXZ"


@cache
def _sessions(code: str) -> pd.DataFrame:
    import exchange_calendars

    cal = exchange_calendars.get_calendar(code, start=FIRST, end=LAST)
    return cal.schedule


def nyse_days() -> list[date]:
    return [d.date() for d in _sessions("XNYS").index]


@cache
def nyse_day_set() -> frozenset[date]:
    return frozenset(nyse_days())


def utc_naive(local: datetime) -> pd.Timestamp:
    return pd.Timestamp(local.astimezone(UTC).replace(tzinfo=None))


def four_pm_new_york(day: date) -> pd.Timestamp:
    return utc_naive(datetime.combine(day, time(16), tzinfo=NEW_YORK))


def nyse_close(day: date) -> pd.Timestamp:
    close = _sessions("XNYS").loc[pd.Timestamp(day), "close"]
    return pd.Timestamp(close).tz_convert("UTC").tz_localize(None)


def trading_days_frame() -> pd.DataFrame:
    """Every NYSE session with its 4 pm instant, its close and its number (consecutive)."""
    days = nyse_days()
    return pd.DataFrame({
        "trade_date": pd.to_datetime(days).astype("datetime64[ns]"),
        "snapshot_utc": pd.Series([four_pm_new_york(d) for d in days]).astype("datetime64[ns]"),
        "nyse_close_utc": pd.Series([nyse_close(d) for d in days]).astype("datetime64[ns]"),
        "day_number": range(len(days)),
    })


@cache
def _uk_and_us_days() -> frozenset[date]:
    return nyse_day_set() & frozenset(d.date() for d in _sessions("XLON").index)


def cme_last_trading_day(year: int, month: int) -> date:
    """Last Friday of the month; if London or New York is closed then, the day before that both are open."""
    last = date(year, month, month_calendar.monthrange(year, month)[1])
    day = last - timedelta(days=(last.weekday() - 4) % 7)
    while day not in _uk_and_us_days():
        day -= timedelta(days=1)
    return day


@cache
def cme_contracts() -> pd.DataFrame:
    """BTC contract months 2015..2030: code, last trading day, final settlement (16:00 London)."""
    rows = []
    for year in range(2015, 2031):
        for month in range(1, 13):
            last_day = cme_last_trading_day(year, month)
            rows.append((f"BTC{MONTH_LETTERS[month - 1]}{year % 100:02d}", pd.Timestamp(last_day),
                         utc_naive(datetime.combine(last_day, time(16), tzinfo=LONDON))))
    out = pd.DataFrame(rows, columns=["contract", "expiry_date", "final_settlement_utc"])
    return out.astype({"expiry_date": "datetime64[ns]", "final_settlement_utc": "datetime64[ns]"})


def new_york_date(instants: pd.Series) -> pd.Series:
    local = pd.to_datetime(instants).dt.tz_localize("UTC").dt.tz_convert(NEW_YORK).dt.tz_localize(None)
    return local.dt.normalize().astype("datetime64[ns]")
