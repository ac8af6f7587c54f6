"""Rows a mart cannot use are not dropped without a word: dbt tests of severity warn count them (a
warning in the run, `check ... warns (N row(s))` on the command line), and the build goes on."""
from __future__ import annotations

import json
from datetime import date, datetime

import pandas as pd
import pytest

from tests.integration.conftest import build_raw_warehouse, run_dbt

pytestmark = pytest.mark.integration

SNAPSHOT = datetime(2026, 2, 5, 21)


def chain_row(instrument: str, underlying: str, put_call: str = "P") -> dict:
    return {"snapshot_utc": SNAPSHOT, "venue": "Deribit", "instrument": instrument, "underlying": underlying,
            "expiry_utc": datetime(2026, 3, 27, 8), "strike": 70000.0, "put_call": put_call, "open_interest": 10.0,
            "multiplier": 1.0, "mark_iv": 0.6, "underlying_price": 69000.0, "source": "test"}


def futures_row(contract: str) -> dict:
    return {"trade_date": date(2026, 2, 5), "venue": "CME", "contract": contract, "settle": 64000.0,
            "open_interest": 100.0, "source": "test"}


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, dict]:
    work = tmp_path_factory.mktemp("drop_warnings")
    frames = {
        # written past the import and the raw checks (as an older warehouse may hold them)
        "option_chain_snapshot": pd.DataFrame([
            chain_row("BTC-27MAR26-70000-P", "BTC"), chain_row("ETH-27MAR26-2000-P", "ETH"),
            chain_row("x-BTC-USD", "BTC-USD")]),
        "futures_daily": pd.DataFrame([
            futures_row("BTCH26"), futures_row("MBTH26"), futures_row("BTC-front-continuous"),
            futures_row("BTCH2026")]),  # a code the CME calendar does not know
    }
    warehouse = build_raw_warehouse(work / "btcflows.duckdb", frames, mode="simulated")
    result = run_dbt(["build", "--indirect-selection", "cautious", "--select", "stg_raw__option_chain_snapshot",
                      "stg_raw__futures_daily", "stg_raw__cme_expiries"], warehouse, work)
    assert result.returncode == 0, result.stdout[-4000:]  # warnings do not fail the build
    run = json.loads((work / "target" / "run_results.json").read_text())
    return {r["unique_id"].split(".")[2]: r for r in run["results"] if r["unique_id"].startswith("test.")}


def test_option_lines_the_gamma_marts_cannot_price_are_counted(results):
    [test] = [r for name, r in results.items() if name.startswith("option_lines_left_out_of_the_gamma_marts")]
    assert test["status"] == "warn" and test["failures"] == 2  # ETH and BTC-USD


def test_cme_contracts_the_basis_marts_cannot_place_are_counted(results):
    test = results["warn_cme_contracts_left_out_of_the_basis_marts"]
    assert test["status"] == "warn" and test["failures"] == 1  # BTCH2026; not MBT, not the rolled series
