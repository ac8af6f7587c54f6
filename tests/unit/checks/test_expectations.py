"""The GX suites catch each kind of bad raw row and name it (expectation, column, keys); clean rows pass."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest

from pipelines.checks.expectations import RETURN_COLUMN, suites_summary, validate
from pipelines.datasets import DATASETS
from pipelines.warehouse import add_lineage

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
D = date.fromisoformat
TS = pd.Timestamp


def bars(rows):
    df = pd.DataFrame(rows, columns=["trade_date", "symbol", "open", "high", "low", "close", "volume", "source"])
    return df


def hourly(rows):
    return pd.DataFrame(rows, columns=["bar_start_utc", "symbol", "open", "high", "low", "close", "volume", "source"])


def clean_frames() -> dict[str, pd.DataFrame]:
    """One or two plausible rows per dataset."""
    return {
        "etf_flows": pd.DataFrame({"trade_date": [D("2026-02-05")] * 2, "ticker": ["IBIT", "FBTC"],
                                   "flow_usd": [-175e6, 2e6], "source": ["farside"] * 2,
                                   "reported_date": [D("2026-02-06"), None]}),
        "etf_fund_daily": pd.DataFrame({"trade_date": [D("2026-02-05")], "ticker": ["IBIT"],
                                        "shares_outstanding": [1.2e9], "nav_usd": [36.1],
                                        "btc_held": [6.8e5], "source": ["ishares"]}),
        "daily_bars": bars([(D("2026-02-04"), "IBIT", 41.0, 42.0, 40.0, 41.5, 1e7, "yahoo"),
                            (D("2026-02-05"), "IBIT", 40.0, 40.5, 35.0, 36.0, 9e7, "yahoo")]),
        "hourly_bars": hourly([(TS("2026-02-05 20:00"), "BTC-USD", 1.0, 2.0, 0.5, 1.5, 10.0, "coinbase")]),
        "futures_daily": pd.DataFrame({"trade_date": [D("2026-02-05")], "venue": ["CME"], "contract": ["BTCG26"],
                                       "expiry_date": [D("2026-02-27")], "settle": [64000.0], "volume": [1e4],
                                       "open_interest": [2.2e4], "source": ["cme-settlements"],
                                       "open_interest_source": ["volume_oi"]}),
        "perp_open_interest": pd.DataFrame({"ts_utc": [TS("2026-02-05 20:00")], "venue": ["Binance"],
                                            "symbol": ["BTCUSDT"], "open_interest_base": [9e4],
                                            "open_interest_usd": [6e9], "source": ["binance-oi"]}),
        "funding_rates": pd.DataFrame({"ts_utc": [TS("2026-02-05 16:00")], "venue": ["Binance"],
                                       "symbol": ["BTCUSDT"], "funding_rate": [-0.0002],
                                       "source": ["binance-funding"]}),
        "options_volume": pd.DataFrame({"trade_date": [D("2026-02-05")] * 2, "underlying": ["IBIT"] * 2,
                                        "put_call": ["P", "C"], "contracts": [2e6, 1e6], "source": ["occ-volume"] * 2}),
        "option_chain_snapshot": pd.DataFrame({
            "snapshot_utc": [TS("2026-02-05 21:00")], "venue": ["Deribit"], "instrument": ["BTC-27FEB26-64000-P"],
            "underlying": ["BTC"], "expiry_utc": [TS("2026-02-27 08:00")], "strike": [64000.0], "put_call": ["P"],
            "open_interest": [2500.0], "multiplier": [1.0], "mark_iv": [0.9], "underlying_price": [63400.0],
            "source": ["deribit-options"]}),
        "vol_index_daily": pd.DataFrame({"trade_date": [D("2026-02-05")], "index_name": ["DVOL-BTC"],
                                         "close": [90.0], "source": ["deribit-dvol"]}),
        "cot_positions": pd.DataFrame({"report_date": [D("2026-02-03")], "market_code": ["133741"],
                                       "category": ["leveraged_funds"], "long_contracts": [1e3],
                                       "short_contracts": [9e3], "open_interest": [2.2e4], "source": ["cftc-tff"]}),
        "structured_notes": pd.DataFrame({
            "filing_date": [D("2025-11-25")] * 2, "accession": ["0001213900-25-113870"] * 2,
            "issuer": ["JPMorgan Chase Financial Company LLC"] * 2, "issuer_cik": ["1665650"] * 2,
            "document_url": ["https://www.sec.gov/Archives/edgar/data/1665650/000121390025113870/a.htm"] * 2,
            "document_status": ["final"] * 2, "product_name": [None] * 2, "cusip": ["48136HBQ0"] * 2,
            "isin": [None] * 2, "underlying": ["IBIT"] * 2, "pricing_date": [D("2025-11-24")] * 2,
            "maturity_date": [D("2028-11-29")] * 2, "initial_level_usd": [50.57] * 2,
            "aggregate_principal_usd": [2e5] * 2, "barrier_kind": ["knock_in", "autocall"], "barrier_seq": [1, 1],
            "barrier_observation": ["maturity", "review_dates"], "observation_date": [D("2028-11-24"), D("2026-05-26")],
            "barrier_level_usd": [35.399, None], "barrier_fraction_of_initial": [0.7, 1.0],
            "source": ["sec-edgar"] * 2}),
    }


def test_every_dataset_has_a_suite_and_clean_rows_pass():
    frames = clean_frames()
    assert set(frames) == set(DATASETS)
    counts = suites_summary()
    for name, frame in frames.items():
        assert counts[name] >= 2 * len(DATASETS[name].columns), name
        out = validate(name, frame, now=NOW)
        assert out.passed, out.summary()
        assert out.rows_checked == len(frame)
        # with lineage columns (as read from the warehouse) too
        lineage = add_lineage(frame, DATASETS[name], source="x", mode="simulated", sha256="s")
        assert validate(name, lineage, now=NOW).passed, name


def failing(outcome, expectation, column):
    assert not outcome.passed
    hits = [f for f in outcome.failures if f.expectation == expectation and f.column == column]
    assert hits, f"expected {expectation} on {column!r}, got:\n{outcome.summary()}"
    return hits[0]


def _mutate(name, **changes):
    frame = clean_frames()[name]
    for col, (row, value) in changes.items():
        frame[col] = frame[col].astype(object)
        frame.loc[row, col] = value
    return frame


CASES = [
    # (dataset, mutation {column: (row, value)}, expectation, column, key of the failing row)
    ("etf_flows", {"ticker": (1, "IBIT")}, "expect_compound_columns_to_be_unique", "trade_date, ticker, source",
     {"ticker": "IBIT"}),
    ("etf_flows", {"ticker": (1, None)}, "expect_column_values_to_not_be_null", "ticker", {"flow_usd": None}),
    ("etf_flows", {"reported_date": (0, D("2026-02-04"))}, "expect_column_pair_values_a_to_be_greater_than_b",
     "reported_date, trade_date", {"ticker": "IBIT"}),
    ("options_volume", {"put_call": (0, "X")}, "expect_column_values_to_be_in_set", "put_call", {"put_call": "X"}),
    ("options_volume", {"contracts": (1, -5.0)}, "expect_column_values_to_be_between", "contracts", {"put_call": "C"}),
    ("futures_daily", {"open_interest": (0, -1.0)}, "expect_column_values_to_be_between", "open_interest",
     {"contract": "BTCG26"}),
    ("futures_daily", {"venue": (0, "Kraken")}, "expect_column_values_to_be_in_set", "venue", {"venue": "Kraken"}),
    ("vol_index_daily", {"trade_date": (0, D("2026-03-05"))}, "expect_column_values_to_be_between", "trade_date",
     {"index_name": "DVOL-BTC"}),
    ("perp_open_interest", {"ts_utc": (0, TS("1970-01-21 11:00"))}, "expect_column_values_to_be_between", "ts_utc",
     {"symbol": "BTCUSDT"}),
    ("hourly_bars", {"low": (0, 3.0)}, "expect_column_pair_values_a_to_be_greater_than_b", "high, low",
     {"symbol": "BTC-USD"}),
    ("funding_rates", {"funding_rate": (0, 0.2)}, "expect_column_values_to_be_between", "funding_rate",
     {"symbol": "BTCUSDT"}),
    ("cot_positions", {"category": (0, "hedge_funds")}, "expect_column_values_to_be_in_set", "category",
     {"category": "hedge_funds"}),
    ("etf_fund_daily", {"ticker": (0, 12.0)}, "expect_column_values_to_be_in_type_list", "ticker", {"ticker": 12.0}),
    # numbers must be finite: `inf` in a CSV or `1e400` in a payload reached the marts before
    ("etf_flows", {"flow_usd": (0, float("inf"))}, "expect_column_values_to_be_between", "flow_usd",
     {"ticker": "IBIT"}),
    ("etf_flows", {"flow_usd": (1, float("-inf"))}, "expect_column_values_to_be_between", "flow_usd",
     {"ticker": "FBTC"}),
    ("hourly_bars", {"close": (0, float("inf"))}, "expect_column_values_to_be_between", "close",
     {"symbol": "BTC-USD"}),
    ("daily_bars", {"volume": (1, float("inf"))}, "expect_column_values_to_be_between", "volume",
     {"symbol": "IBIT"}),
    # closed sets: the spot symbol where the chain's underlying belongs, an underlying its venue does not list
    ("option_chain_snapshot", {"underlying": (0, "BTC-USD")}, "expect_column_values_to_be_in_set", "underlying",
     {"underlying": "BTC-USD"}),
    ("option_chain_snapshot", {"underlying": (0, "IBIT")}, "expect_column_pair_values_to_be_in_set",
     "venue, underlying", {"instrument": "BTC-27FEB26-64000-P"}),
    ("vol_index_daily", {"index_name": (0, "dvol")}, "expect_column_values_to_be_in_set", "index_name",
     {"index_name": "dvol"}),
    ("cot_positions", {"market_code": (0, "043602")}, "expect_column_values_to_be_in_set", "market_code",
     {"market_code": "043602"}),
    ("futures_daily", {"open_interest_source": (0, "quotes")}, "expect_column_values_to_be_in_set",
     "open_interest_source", {"contract": "BTCG26"}),
    ("structured_notes", {"barrier_kind": (1, "call")}, "expect_column_values_to_be_in_set", "barrier_kind",
     {"barrier_kind": "call"}),
    ("structured_notes", {"maturity_date": (0, D("2025-01-02"))}, "expect_column_pair_values_a_to_be_greater_than_b",
     "maturity_date, pricing_date", {"barrier_kind": "knock_in"}),
    ("structured_notes", {"barrier_fraction_of_initial": (0, 70.0)}, "expect_column_values_to_be_between",
     "barrier_fraction_of_initial", {"barrier_kind": "knock_in"}),
]


@pytest.mark.parametrize("dataset, changes, expectation, column, row", CASES, ids=[f"{c[0]}-{c[2]}-{c[3]}" for c in CASES])
def test_bad_rows_are_named(dataset, changes, expectation, column, row):
    outcome = validate(dataset, _mutate(dataset, **changes), now=NOW)
    hit = failing(outcome, expectation, column)
    assert hit.unexpected_count >= 1
    assert hit.rows, hit
    first = hit.rows[0]
    for key in DATASETS[dataset].key:  # the failing row is identified by its key
        assert key in first
    for k, v in row.items():
        assert any(r.get(k) == v for r in hit.rows), (k, v, hit.rows)
    assert dataset in outcome.summary() and expectation in outcome.summary()


def test_tz_aware_timestamps_are_refused():
    frame = clean_frames()["hourly_bars"]
    frame["bar_start_utc"] = frame["bar_start_utc"].dt.tz_localize("America/New_York")
    hit = failing(validate("hourly_bars", frame, now=NOW), "expect_column_values_to_be_in_type_list", "bar_start_utc")
    assert hit.unexpected_count >= 0


def test_a_dropped_column_is_named():
    frame = clean_frames()["futures_daily"].drop(columns=["settle"])
    failing(validate("futures_daily", frame, now=NOW), "expect_column_to_exist", "settle")


def test_daily_close_to_close_return_over_50_percent_is_named_per_symbol():
    frame = bars([
        (D("2026-02-04"), "IBIT", 41.0, 42.0, 40.0, 41.0, 1e7, "yahoo"),
        (D("2026-02-05"), "IBIT", 41.0, 70.0, 40.0, 65.0, 1e7, "yahoo"),  # +58.5 %
        (D("2026-02-05"), "MSTR", 100.0, 101.0, 99.0, 100.0, 1e6, "yahoo"),  # first MSTR bar: no return
        (D("2026-02-06"), "MSTR", 100.0, 140.0, 99.0, 140.0, 1e6, "yahoo"),  # +40 %: fine
    ])
    hit = failing(validate("daily_bars", frame, now=NOW), "expect_column_values_to_be_between", RETURN_COLUMN)
    assert hit.unexpected_count == 1
    assert hit.rows[0]["symbol"] == "IBIT" and hit.rows[0]["trade_date"] == TS("2026-02-05")
    assert hit.rows[0]["close"] == 65.0


def test_return_uses_history_as_the_previous_bar_without_validating_history():
    history = bars([(D("2026-02-03"), "IBIT", 10.0, 10.0, 10.0, 10.0, 1.0, "yahoo"),
                    (D("2026-02-04"), "IBIT", 41.0, 42.0, 40.0, 41.0, 1e7, "yahoo")])  # history itself jumps 310 %
    window = bars([(D("2026-02-05"), "IBIT", 40.0, 40.5, 35.0, 36.0, 9e7, "yahoo")])
    assert validate("daily_bars", window, history=history, now=NOW).passed
    crash = bars([(D("2026-02-05"), "IBIT", 40.0, 40.5, 15.0, 16.0, 9e7, "yahoo")])  # -61 % vs history
    assert validate("daily_bars", crash, now=NOW).passed  # no previous bar without history
    hit = failing(validate("daily_bars", crash, history=history, now=NOW), "expect_column_values_to_be_between",
                  RETURN_COLUMN)
    assert [r["trade_date"] for r in hit.rows] == [TS("2026-02-05")]


def test_failing_rows_are_capped():
    frame = pd.DataFrame({"trade_date": [D("2026-02-05")] * 50, "underlying": [f"U{i}" for i in range(50)],
                          "put_call": ["Z"] * 50, "contracts": [1.0] * 50, "source": ["occ-volume"] * 50})
    hit = failing(validate("options_volume", frame, now=NOW, max_rows=7), "expect_column_values_to_be_in_set", "put_call")
    assert hit.unexpected_count == 50 and len(hit.rows) == 7


def test_validation_is_fast_once_the_context_exists():
    frame = clean_frames()["daily_bars"]
    validate("daily_bars", frame, now=NOW)
    out = validate("daily_bars", frame, now=NOW)
    assert out.elapsed_s < 2.0


def test_only_failed_expectations_are_detailed_and_every_one_is_counted():
    """Validation runs pass/fail for the whole suite, then failing rows only for what failed: two
    broken rules are both reported with their rows, and the count is still the whole suite's."""
    clean = validate("futures_daily", clean_frames()["futures_daily"], now=NOW)
    frame = clean_frames()["futures_daily"]
    frame.loc[0, "open_interest"] = -1.0
    frame.loc[0, "venue"] = "Kraken"
    outcome = validate("futures_daily", frame, now=NOW)
    assert outcome.expectations == clean.expectations > 2
    assert {(f.expectation, f.column) for f in outcome.failures} == {
        ("expect_column_values_to_be_between", "open_interest"), ("expect_column_values_to_be_in_set", "venue")}
    assert all(f.rows and f.unexpected_count == 1 for f in outcome.failures)
