"""The comparison behind `make test-spark` (tests/spark/parity.py) finds what it must: a key on one
side, a row count, a null on one side, a number further apart than 1e-9 relative; each named by
model, column and key. And the models it compares come from the dbt manifest with their keys."""
from __future__ import annotations

import copy
import decimal
import json
from datetime import date

import pandas as pd
import pytest

from pipelines.dbt_project import prepare_if_stale
from tests.spark.parity import Mart, compare_mart, models_to_compare

MART = Mart("fct_example", ("trade_date", "venue"))


def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "trade_date": pd.to_datetime(["2026-02-04", "2026-02-05", "2026-02-05"]),
        "venue": ["CME", "CME", "Binance"],
        "open_interest_btc": [150_000.0, 140_000.0, 90_000.0],
        "is_stale": [False, False, True],
        "data_mode": ["real", "real", "real"],
    })


def test_the_same_rows_in_another_order_and_types_agree():
    other = frame().iloc[::-1].reset_index(drop=True)
    other["trade_date"] = [d.date() for d in other["trade_date"]]  # Spark hands dates as datetime.date
    other["open_interest_btc"] = [decimal.Decimal(str(v)) for v in other["open_interest_btc"]]
    other.loc[0, "open_interest_btc"] = decimal.Decimal("90000.00000000001")  # 1e-16 relative
    assert compare_mart(MART, frame(), other) == []


def test_every_kind_of_difference_is_named_by_model_column_and_key():
    other = frame()
    other.loc[0, "open_interest_btc"] *= 1 + 3e-9  # beyond 1e-9 relative
    other.loc[1, "open_interest_btc"] = None
    other.loc[2, "is_stale"] = False
    other = pd.concat([other, frame().iloc[[0]].assign(venue="Deribit")], ignore_index=True)
    problems = compare_mart(MART, frame(), other)
    assert problems == [
        "fct_example: 3 rows in the duckdb build, 4 in the spark build",
        "fct_example: key trade_date=2026-02-04, venue=Deribit only in the spark build",
        "fct_example.open_interest_btc at trade_date=2026-02-04, venue=CME: duckdb 150000.0, spark 150000.00045",
        "fct_example.open_interest_btc at trade_date=2026-02-05, venue=CME: duckdb 140000.0, spark null",
        "fct_example.is_stale at trade_date=2026-02-05, venue=Binance: duckdb True, spark False",
    ]


def test_a_column_or_a_repeated_key_on_one_side_is_named():
    other = pd.concat([frame(), frame().iloc[[2]]], ignore_index=True).drop(columns=["data_mode"])
    problems = compare_mart(MART, frame(), other)
    assert "fct_example: column(s) data_mode only in the duckdb build" in problems
    assert "fct_example: key (trade_date, venue) repeated in the spark build, e.g. trade_date=2026-02-05, venue=Binance" in problems


def test_within_the_tolerance_is_equal():
    other = frame()
    other["open_interest_btc"] *= 1 + 5e-10
    assert compare_mart(MART, frame(), other) == []


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(prepare_if_stale().read_text())


def test_every_mart_and_the_incremental_model_are_compared_by_their_grain(manifest):
    models = {m.name: m for m in models_to_compare(manifest)}
    marts = {n["name"] for n in manifest["nodes"].values()
             if n["resource_type"] == "model" and n["config"].get("schema") == "marts"}
    assert marts and marts <= set(models)
    assert models["fct_daily_snapshot_4pm_et"].keys == ("trade_date",)
    assert models["fct_etf_flows"].keys == ("trade_date", "ticker")
    assert models["int_gamma_spot_shift_totals"].incremental
    assert models["int_gamma_spot_shift_totals"].schema == "intermediate"


def test_a_mart_without_a_grain_cannot_be_compared(manifest):
    changed = copy.deepcopy(manifest)
    for node in changed["nodes"].values():
        if (node.get("test_metadata") or {}).get("name") == "column_rules" and \
                node.get("attached_node", "").endswith(".fct_signals"):
            node["test_metadata"]["kwargs"] = {"not_null": ["trade_date"]}
    with pytest.raises(ValueError, match="fct_signals declare no grain"):
        models_to_compare(changed)


def test_dates_are_shown_as_dates():
    assert date(2026, 2, 5).isoformat() in compare_mart(MART, frame(), frame().iloc[:2])[1]
