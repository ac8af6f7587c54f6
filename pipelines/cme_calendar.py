"""CME bitcoin futures contract months and expiries.

Rule (CME BTC/MBT spec): the last trading day is the last Friday of the contract month; if that
Friday is not a business day in both London and the US, the business day before that is.
Trading ends 16:00 London that day and the contract cash-settles to the BRR.
"""
from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
FINAL_SETTLEMENT_LONDON_TIME = time(16, 0)

MONTH_CODES = "FGHJKMNQUVXZ"  # Jan..Dec
MONTH_ABBR = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


@lru_cache(maxsize=1)
def _business_days() -> frozenset[date]:
    import exchange_calendars as xcals

    us = xcals.get_calendar("XNYS", start="2015-01-01", end="2031-12-31")
    uk = xcals.get_calendar("XLON", start="2015-01-01", end="2031-12-31")
    return frozenset(s.date() for s in us.sessions) & frozenset(s.date() for s in uk.sessions)


def is_uk_and_us_business_day(day: date) -> bool:
    return day in _business_days()


def expiry_date(year: int, month: int) -> date:
    """Last trading day of the CME bitcoin contract for `year`-`month`."""
    last = date(year, month, calendar.monthrange(year, month)[1])
    friday = last - timedelta(days=(last.weekday() - 4) % 7)
    day = friday
    while not is_uk_and_us_business_day(day):
        day -= timedelta(days=1)
    return day


def final_settlement_instant(expiry: date) -> datetime:
    """The final settlement of a contract whose last trading day is `expiry`: trading ends 16:00
    London that day (aware UTC; 15:00 UTC under BST, 16:00 UTC otherwise)."""
    return datetime.combine(expiry, FINAL_SETTLEMENT_LONDON_TIME, tzinfo=LONDON).astimezone(UTC)


def contract_code(year: int, month: int, product: str = "BTC") -> str:
    """`BTCG26` for February 2026."""
    return f"{product}{MONTH_CODES[month - 1]}{year % 100:02d}"


def parse_contract_code(code: str) -> tuple[str, int, int]:
    """`BTCG26` -> ("BTC", 2026, 2)."""
    product, letter, yy = code[:-3], code[-3], code[-2:]
    if letter not in MONTH_CODES or not yy.isdigit() or not product:
        raise ValueError(f"not a CME contract code: {code!r}")
    return product, 2000 + int(yy), MONTH_CODES.index(letter) + 1


def front_month_expiry(trade_date: date) -> date:
    """Expiry of the front contract on `trade_date`: the nearest contract whose expiry is after it
    (on its expiry day a contract has stopped trading before 16:00 New York)."""
    year, month = trade_date.year, trade_date.month
    for _ in range(3):
        exp = expiry_date(year, month)
        if exp > trade_date:
            return exp
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise AssertionError("unreachable")


def expiries(start: date, end: date) -> list[tuple[str, date]]:
    """(BTC contract code, expiry) for every contract month from start's month to end's month."""
    out, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        out.append((contract_code(year, month), expiry_date(year, month)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out
