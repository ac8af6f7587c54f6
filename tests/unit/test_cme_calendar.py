from datetime import date

import pytest

from pipelines.cme_calendar import (
    contract_code,
    expiry_date,
    front_month_expiry,
    parse_contract_code,
)


@pytest.mark.parametrize(
    "year, month, expected",
    [
        (2026, 2, date(2026, 2, 27)),
        (2026, 1, date(2026, 1, 30)),
        (2024, 3, date(2024, 3, 28)),  # Good Friday 29 Mar 2024: the business day before
        (2026, 4, date(2026, 4, 24)),
        # Friday 26 Dec 2025 is Boxing Day (UK holiday), 25 Dec a holiday in both: Wednesday 24 Dec.
        (2025, 12, date(2025, 12, 24)),
    ],
)
def test_expiry_rule(year, month, expected):
    assert expiry_date(year, month) == expected


def test_front_month_rolls_on_expiry_day():
    assert front_month_expiry(date(2026, 2, 26)) == date(2026, 2, 27)
    assert front_month_expiry(date(2026, 2, 27)) == date(2026, 3, 27)


def test_contract_codes_round_trip():
    assert contract_code(2026, 2) == "BTCG26"
    assert contract_code(2026, 9, "MBT") == "MBTU26"
    assert parse_contract_code("MBTU26") == ("MBT", 2026, 9)
    with pytest.raises(ValueError):
        parse_contract_code("BTCA26")
