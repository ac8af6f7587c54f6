"""The reference itself (tests/reference), on cases worked out by hand: its clocks, its CME calendar,
its statistics, and the false-positive rate of the correlation rule it shares with fct_signals."""
from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from tests.reference.calendar import (
    cme_contracts,
    cme_last_trading_day,
    four_pm_new_york,
    nyse_close,
)
from tests.reference.stats import fisher_change_z, prior_window_z, rolling_corr, two_sided_tail


def test_four_pm_new_york_and_early_closes():
    assert four_pm_new_york(date(2026, 2, 5)) == pd.Timestamp("2026-02-05 21:00")  # EST
    assert four_pm_new_york(date(2026, 3, 9)) == pd.Timestamp("2026-03-09 20:00")  # EDT from 8 March
    assert nyse_close(date(2025, 11, 28)) == pd.Timestamp("2025-11-28 18:00")  # 13:00 New York
    assert nyse_close(date(2025, 11, 26)) == pd.Timestamp("2025-11-26 21:00")


@pytest.mark.parametrize("year, month, expected", [
    (2026, 2, date(2026, 2, 27)),
    (2024, 3, date(2024, 3, 28)),  # Good Friday: London and New York closed
    (2025, 12, date(2025, 12, 24)),  # 26 Dec: London closed
])
def test_cme_last_trading_day(year, month, expected):
    assert cme_last_trading_day(year, month) == expected


def test_cme_final_settlement_is_4pm_london():
    contracts = cme_contracts().set_index("contract")
    assert contracts.at["BTCG26", "final_settlement_utc"] == pd.Timestamp("2026-02-27 16:00")  # GMT
    assert contracts.at["BTCJ26", "final_settlement_utc"] == pd.Timestamp("2026-04-24 15:00")  # BST


def test_statistics_on_small_cases():
    assert two_sided_tail(1.959963984540054) == pytest.approx(0.05)
    z = prior_window_z(pd.Series([1.0, 2.0, 3.0, 10.0]), window=60, min_count=3)
    assert np.isnan(z.iloc[2]) and z.iloc[3] == pytest.approx((10 - 2) / 1.0)
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert rolling_corr(x, 2 * x, 3)[2:] == pytest.approx([1.0, 1.0, 1.0])
    assert np.isnan(rolling_corr(x, np.array([1.0, np.nan, 3.0, 4.0, 5.0]), 3)[3])
    assert fisher_change_z(0.5, 20, 0.5, 60) == 0
    assert fisher_change_z(0.65, 20, 0.1, 60) == pytest.approx((math.atanh(0.65) - math.atanh(0.1)) / math.sqrt(1 / 17 + 1 / 57))


def test_correlation_rule_false_positive_rate():
    """Under no change (normal returns, one correlation throughout) the rule of fct_signals fires on
    ~1% of days per peer (1.2% here: Fisher's approximation is a little liberal at n = 20), as
    _marts__signals.yml states."""
    rng = np.random.default_rng(2026)
    days, rho = 20_080, 0.3
    x = rng.normal(size=days)
    y = rho * x + math.sqrt(1 - rho * rho) * rng.normal(size=days)
    r20, r60 = rolling_corr(x, y, 20), rolling_corr(x, y, 60)
    z = fisher_change_z(r20[80:], 20, r60[60:-20], 60)  # the 60 days before each 20-day window
    fired, tested = int(np.sum(np.abs(z) >= 2.576)), int(np.sum(~np.isnan(z)))
    assert tested == days - 80
    assert 0.008 <= fired / tested <= 0.016, fired / tested
