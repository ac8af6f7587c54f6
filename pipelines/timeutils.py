"""The project's clock: the 16:00 New York snapshot instant and the NYSE trading calendar."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")
SNAPSHOT_LOCAL_TIME = time(16, 0)
CALENDAR_START = date(2015, 1, 1)
CALENDAR_END = date(2030, 12, 31)


def snapshot_instant(day: date) -> datetime:
    """16:00 America/New_York on `day`, as an aware UTC datetime (20:00 UTC under EDT, 21:00 under EST)."""
    return datetime.combine(day, SNAPSHOT_LOCAL_TIME, tzinfo=NEW_YORK).astimezone(UTC)


def new_york_date(ts: datetime) -> date:
    """The New York calendar date of an instant (naive datetimes are taken as UTC)."""
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(NEW_YORK).date()


@lru_cache(maxsize=1)
def _nyse_closes() -> dict[date, datetime]:
    """Session date -> its closing instant (aware UTC): 16:00 New York, 13:00 on early-close days."""
    import exchange_calendars as xcals

    cal = xcals.get_calendar("XNYS", start=CALENDAR_START.isoformat(), end=CALENDAR_END.isoformat())
    return {s.date(): close.to_pydatetime() for s, close in cal.closes.items()}


@lru_cache(maxsize=1)
def _nyse_sessions() -> frozenset[date]:
    return frozenset(_nyse_closes())


def nyse_close_instant(day: date) -> datetime | None:
    """When NYSE closed on `day` (aware UTC), or None when it held no session. Early closes (the day
    after Thanksgiving, Christmas Eve, ...) end at 13:00 New York; the snapshot stays at 16:00."""
    return _nyse_closes().get(day)


def trading_day_set() -> frozenset[date]:
    """Every NYSE session date of the calendar's range."""
    return _nyse_sessions()


def is_trading_day(day: date) -> bool:
    """True when NYSE (XNYS) holds a regular session on `day`."""
    if not CALENDAR_START <= day <= CALENDAR_END:
        raise ValueError(f"{day} is outside the trading calendar ({CALENDAR_START}..{CALENDAR_END})")
    return day in _nyse_sessions()


def trading_days(start: date, end: date) -> list[date]:
    """NYSE trading days from start to end, both included."""
    sessions = _nyse_sessions()
    out, day = [], start
    while day <= end:
        if day in sessions:
            out.append(day)
        day += timedelta(days=1)
    return out


def calendar_days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]
