from datetime import date, datetime

import pytest

from pipelines.timeutils import is_trading_day, new_york_date, snapshot_instant, trading_days


@pytest.mark.parametrize(
    "day, utc_hour",
    [
        (date(2026, 3, 6), 21),  # Friday before the spring switch: EST
        (date(2026, 3, 7), 21),
        (date(2026, 3, 8), 20),  # switch day (02:00 local): 16:00 is already EDT
        (date(2026, 3, 9), 20),
        (date(2026, 10, 31), 20),
        (date(2026, 11, 1), 21),  # autumn switch day: 16:00 is EST again
        (date(2026, 11, 2), 21),
        (date(2026, 2, 5), 21),
        (date(2026, 7, 1), 20),
    ],
)
def test_snapshot_instant_follows_new_york_clock(day, utc_hour):
    instant = snapshot_instant(day)
    assert instant.utcoffset().total_seconds() == 0
    assert (instant.date(), instant.hour, instant.minute) == (day, utc_hour, 0)


def test_new_york_date_of_late_utc_instant_is_previous_day():
    assert new_york_date(datetime(2026, 2, 6, 2, 0)) == date(2026, 2, 5)
    assert new_york_date(datetime(2026, 2, 6, 5, 0)) == date(2026, 2, 6)


@pytest.mark.parametrize(
    "day, expected",
    [
        (date(2026, 1, 19), False),  # Martin Luther King Jr. Day
        (date(2026, 2, 16), False),  # Presidents' Day
        (date(2026, 4, 3), False),  # Good Friday
        (date(2025, 12, 25), False),
        (date(2026, 2, 7), False),  # Saturday
        (date(2026, 2, 5), True),
        (date(2026, 3, 9), True),
    ],
)
def test_nyse_calendar(day, expected):
    assert is_trading_day(day) is expected


def test_trading_days_skip_weekends_and_holidays():
    days = trading_days(date(2026, 1, 15), date(2026, 1, 21))
    assert days == [date(2026, 1, 15), date(2026, 1, 16), date(2026, 1, 20), date(2026, 1, 21)]


def test_calendar_refuses_days_outside_its_range():
    with pytest.raises(ValueError, match="outside the trading calendar"):
        is_trading_day(date(1999, 1, 4))
