"""fct_note_barriers and fct_note_barriers_daily against hand-computed answers, and the demo's notes.

One warehouse, one `dbt build` of the two marts and their parents: hand-built raw rows in Feb-Mar 2025
(IBIT closes, fund data and five notes' filings chosen so the answers can be worked out on paper) beside
the demo scenario (Oct 2025 - Mar 2026, simulated), whose crash-day row is checked against a pandas
reading of the scenario's own frames that shares no code with the SQL.
"""
from __future__ import annotations

import math
from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest

from pipelines.demo.scenario import (
    DEFAULT_CRASH_DAY,
    DEFAULT_END,
    DEFAULT_SEED,
    DEFAULT_START,
    build_scenario,
)
from tests.integration.conftest import build_raw_warehouse, run_dbt

pytestmark = pytest.mark.integration

D = date.fromisoformat
MARTS = ("fct_note_barriers", "fct_note_barriers_daily")
DEMO_DATASETS = ("daily_bars", "etf_fund_daily", "structured_notes")

# IBIT closes: a fall through the notes' barriers, a call on 03-12, a fall through two more on 03-14
CLOSES = {"2025-02-28": 48.0, "2025-03-03": 50.0, "2025-03-04": 52.0, "2025-03-05": 49.0, "2025-03-06": 40.0,
          "2025-03-07": 37.0, "2025-03-10": 34.0, "2025-03-11": 36.0, "2025-03-12": 51.0, "2025-03-13": 45.0,
          "2025-03-14": 33.0}
NOTE_COLUMNS = ["filing_date", "accession", "issuer", "cusip", "document_status", "pricing_date", "maturity_date", "initial_level_usd", "aggregate_principal_usd", "barrier_kind", "barrier_seq", "barrier_observation", "observation_date", "barrier_level_usd", "barrier_fraction_of_initial"]


def _filing(filed, accession, issuer, cusip, status, pricing, maturity, initial, principal, barriers):
    return [(filed, accession, issuer, cusip, status, pricing, maturity, initial, principal, *b) for b in barriers]


def hand_frames() -> dict[str, pd.DataFrame]:
    ms, gs, jpm = "Morgan Stanley Finance LLC", "GS Finance Corp.", "JPMorgan Chase Financial Company LLC"
    rows = []
    # A: preliminary then final, same CUSIP; the final states US$ 35.00 and 70%
    rows += _filing("2025-02-24", "0000000001-25-000001", ms, "61778NAA1", "preliminary", "2025-03-03", "2025-09-03",
                    None, None, [("knock_in", 1, "maturity", "2025-08-29", None, 0.70)])
    rows += _filing("2025-03-04", "0000000001-25-000002", ms, "61778NAA1", "final", "2025-03-03", "2025-09-03",
                    50.0, 10e6, [("knock_in", 1, "maturity", "2025-08-29", 35.0, 0.70)])
    # B: a preliminary without CUSIP, then the final with one (same issuer, dates and 75% barrier); the
    # final gives the barrier in US$ only; calls at 100% on 03-10 and 95% on 03-12
    rows += _filing("2025-02-25", "0000000002-25-000001", gs, None, "preliminary", "2025-03-04", "2025-09-04",
                    None, None, [("knock_in", 1, "maturity", None, None, 0.75),
                                 ("autocall", 1, "review_dates", "2025-03-10", None, 1.0),
                                 ("autocall", 2, "review_dates", "2025-03-12", None, 0.95)])
    rows += _filing("2025-03-06", "0000000002-25-000002", gs, "40058JBB2", "final", "2025-03-04", "2025-09-04",
                    52.0, 4e6, [("knock_in", 1, "maturity", None, 39.0, None),
                                ("autocall", 1, "review_dates", "2025-03-10", None, 1.0),
                                ("autocall", 2, "review_dates", "2025-03-12", None, 0.95)])
    # C: final only, a buffer at 85% of 49.00 (in % only), priced on a day without fund data
    rows += _filing("2025-03-06", "0000000003-25-000001", jpm, "48136HCC3", "final", "2025-03-05", "2025-06-05",
                    49.0, 2e6, [("buffer", 1, "maturity", "2025-06-02", None, 0.85)])
    # D: a preliminary never followed by a final
    rows += _filing("2025-03-13", "0000000003-25-000002", jpm, "48136HDD4", "preliminary", "2025-03-20", "2025-09-22",
                    None, None, [("knock_in", 1, "maturity", None, None, 0.60)])
    # E: a preliminary without CUSIP from B's issuer, same dates, other terms (60%): a note of its own
    rows += _filing("2025-02-25", "0000000002-25-000003", gs, None, "preliminary", "2025-03-04", "2025-09-04",
                    None, None, [("knock_in", 1, "maturity", None, None, 0.60)])
    notes = pd.DataFrame(rows, columns=NOTE_COLUMNS).assign(underlying="IBIT", source="sec-edgar")
    bars = pd.DataFrame({"trade_date": list(CLOSES), "symbol": "IBIT", "close": list(CLOSES.values()),
                         "volume": 1e6, "source": "yahoo"})
    fund = pd.DataFrame({"trade_date": ["2025-03-03", "2025-03-04"], "ticker": "IBIT",
                         "shares_outstanding": [1.0e9, 1.2e9], "nav_usd": [50.0, 52.0], "btc_held": [6e5, 6e5],
                         "source": "ishares"})
    return {"structured_notes": notes, "daily_bars": bars, "etf_fund_daily": fund}


def isnull(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or pd.isna(v)


@pytest.fixture(scope="module")
def demo():
    return build_scenario(DEFAULT_SEED, DEFAULT_START, DEFAULT_END, DEFAULT_CRASH_DAY)


@pytest.fixture(scope="module")
def marts(tmp_path_factory, demo) -> dict[str, pd.DataFrame]:
    tmp = tmp_path_factory.mktemp("marts_structured_notes")
    frames = hand_frames()
    for name in DEMO_DATASETS:
        frames[name] = pd.concat([frames[name], demo.canonical[name]], ignore_index=True)
    warehouse = build_raw_warehouse(tmp / "btcflows.duckdb", frames, mode="simulated")
    result = run_dbt(["build", "--select", *[f"+{m}" for m in MARTS], "--indirect-selection", "cautious"],
                     warehouse, tmp)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    out = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for mart in MARTS:
            df = con.execute(f"select * from marts.{mart}").df()
            for col in df.columns:
                if pd.api.types.is_datetime64_any_dtype(df[col]):
                    df[col] = [None if pd.isna(v) else pd.Timestamp(v).date() for v in df[col]]
            out[mart] = df
    return out


def _one(df: pd.DataFrame, **key) -> pd.Series:
    mask = np.ones(len(df), dtype=bool)
    for col, value in key.items():
        mask &= (df[col] == value).to_numpy()
    assert mask.sum() == 1, f"{key}: {mask.sum()} rows"
    return df[mask].iloc[0]


# -- the register ----------------------------------------------------------------------------------

def test_the_final_supersedes_the_preliminary_by_cusip(marts):
    a = _one(marts["fct_note_barriers"], note_id="61778NAA1", barrier_kind="knock_in")
    assert (a["accession"], a["document_status"], a["filings_for_note"]) == ("0000000001-25-000002", "final", 2)
    assert (a["barrier_level_usd"], a["barrier_fraction_of_initial"], a["is_level_derived"]) == (35.0, 0.70, False)
    assert a["btc_per_share_on_pricing_date"] == pytest.approx(0.0006)  # 600,000 BTC / 1.0 bn shares
    assert a["barrier_level_btc_usd"] == pytest.approx(35.0 / 0.0006)
    assert not a["is_btc_per_share_missing"]
    assert isnull(a["called_on"]) and a["outstanding_until"] == D("2025-09-03")
    assert a["first_close_below_on"] == D("2025-03-10")  # 34.00 < 35.00


def test_a_final_with_a_cusip_supersedes_a_preliminary_without_one_on_the_same_terms(marts):
    register = marts["fct_note_barriers"]
    b = _one(register, note_id="40058JBB2", barrier_kind="knock_in")
    assert (b["accession"], b["filings_for_note"]) == ("0000000002-25-000002", 2)
    assert b["barrier_fraction_of_initial"] == pytest.approx(0.75)  # 39.00 / 52.00
    assert b["barrier_level_btc_usd"] == pytest.approx(39.0 / 0.0005)  # 600,000 / 1.2 bn shares
    assert b["first_close_below_on"] == D("2025-03-07")  # 37.00, before the call
    # the preliminary with other terms (60%) stays a note of its own
    e = _one(register, note_id="GS Finance Corp.|2025-03-04|2025-09-04|0.6")
    assert (e["accession"], e["document_status"]) == ("0000000002-25-000003", "preliminary")
    assert not (register["accession"] == "0000000002-25-000001").any()
    assert not (register["accession"] == "0000000001-25-000001").any()


def test_a_call_ends_the_note_and_levels_in_percent_are_derived(marts):
    register = marts["fct_note_barriers"]
    first = _one(register, note_id="40058JBB2", barrier_kind="autocall", barrier_seq=1)
    second = _one(register, note_id="40058JBB2", barrier_kind="autocall", barrier_seq=2)
    assert (first["barrier_level_usd"], first["is_level_derived"]) == (52.0, True)
    assert second["barrier_level_usd"] == pytest.approx(49.4)  # 95% of 52.00
    assert second["called_on"] == D("2025-03-12")  # 51.00 >= 49.40 (03-10: 34.00 < 52.00)
    assert second["outstanding_until"] == D("2025-03-12") and second["autocall_dates_unchecked"] == 0
    assert isnull(first["first_close_below_on"])  # no such thing for a call level


def test_missing_fund_data_leaves_the_btc_level_null_and_flagged(marts):
    c = _one(marts["fct_note_barriers"], note_id="48136HCC3")
    assert c["barrier_kind"] == "buffer" and c["is_principal_barrier"]
    assert c["barrier_level_usd"] == pytest.approx(41.65) and c["is_level_derived"]  # 85% of 49.00
    assert c["is_btc_per_share_missing"]
    assert isnull(c["btc_per_share_on_pricing_date"]) and isnull(c["barrier_level_btc_usd"])
    assert c["first_close_below_on"] == D("2025-03-06")


def test_a_preliminary_never_priced_has_no_level_and_no_principal(marts):
    d = _one(marts["fct_note_barriers"], note_id="48136HDD4")
    assert d["document_status"] == "preliminary" and d["barrier_fraction_of_initial"] == 0.6
    assert isnull(d["barrier_level_usd"]) and isnull(d["aggregate_principal_usd"]) and isnull(d["initial_level_usd"])


# -- the daily view ---------------------------------------------------------------------------------
# (day: notes, outstanding, within 5/10/20 %, nearest below, nearest above, breached, principal breached, levels)
DAILY = {
    "2025-02-28": (0, 0, 0, 0, 0, None, None, 0, 0, None),
    "2025-03-03": (1, 10e6, 0, 0, 0, 35.0, None, 0, 0, None),
    "2025-03-04": (2, 14e6, 0, 0, 0, 39.0, None, 0, 0, None),
    "2025-03-05": (3, 16e6, 0, 0, 2e6, 41.65, None, 0, 0, None),
    "2025-03-06": (3, 16e6, 4e6, 4e6, 14e6, 39.0, 41.65, 1, 2e6, "41.65"),
    "2025-03-07": (3, 16e6, 0, 10e6, 10e6, 35.0, 39.0, 1, 4e6, "39.00"),
    "2025-03-10": (3, 16e6, 0, 0, 0, None, 35.0, 1, 10e6, "35.00"),
    "2025-03-11": (3, 16e6, 10e6, 10e6, 10e6, 35.0, 39.0, 0, 0, None),
    "2025-03-12": (3, 16e6, 0, 0, 2e6, 41.65, None, 0, 0, None),  # B is called at this close
    "2025-03-13": (2, 12e6, 0, 2e6, 2e6, 41.65, None, 0, 0, None),
    "2025-03-14": (2, 12e6, 0, 0, 0, None, 35.0, 2, 12e6, "41.65, 35.00"),
}


@pytest.mark.parametrize("day", list(DAILY))
def test_daily_principal_near_the_barriers_by_hand(marts, day):
    notes, out, w5, w10, w20, below, above, breached, principal_breached, levels = DAILY[day]
    row = _one(marts["fct_note_barriers_daily"], trade_date=D(day))
    assert row["ibit_close_usd"] == CLOSES[day]
    assert (row["notes_outstanding"], row["principal_outstanding_usd"]) == (notes, out)
    assert (row["principal_within_5pct_usd"], row["principal_within_10pct_usd"], row["principal_within_20pct_usd"]) == (
        w5, w10, w20)
    assert (isnull(row["nearest_barrier_below_usd"]) if below is None
            else row["nearest_barrier_below_usd"] == pytest.approx(below))
    if below is not None:
        assert row["nearest_barrier_below_distance"] == pytest.approx((CLOSES[day] - below) / CLOSES[day])
    assert (isnull(row["nearest_barrier_above_usd"]) if above is None
            else row["nearest_barrier_above_usd"] == pytest.approx(above))
    assert (row["barriers_breached"], row["principal_breached_usd"]) == (breached, principal_breached)
    assert (isnull(row["breached_levels_usd"]) if levels is None else row["breached_levels_usd"] == levels)
    assert row["data_mode"] == "simulated"


# -- the demo's notes ------------------------------------------------------------------------------

def _demo_reading(demo, day: date) -> dict:
    """The crash day from the scenario's frames with pandas alone: each final note's principal barrier
    (stated US$ or initial x fraction), outstanding if priced by `day`, not past maturity, not called before."""
    notes = demo.canonical["structured_notes"]
    bars = demo.canonical["daily_bars"]
    closes = bars[bars["symbol"] == "IBIT"].set_index("trade_date")["close"]
    days = sorted(closes.index)
    close, previous = closes[day], closes[days[days.index(day) - 1]]
    finals = notes[notes["document_status"] == "final"]
    counted = breached = within10 = 0.0
    n_breached = 0
    for _, note in finals.groupby("accession"):
        principal = note[note["barrier_kind"].isin(["knock_in", "buffer"])].iloc[0]
        level = principal["barrier_level_usd"]
        if pd.isna(level):
            level = principal["initial_level_usd"] * principal["barrier_fraction_of_initial"]
        calls = note[note["barrier_kind"] == "autocall"]
        called = [c["observation_date"] for _, c in calls.iterrows()
                  if c["observation_date"] in closes.index and closes[c["observation_date"]] >= (
                      c["barrier_level_usd"] if not pd.isna(c["barrier_level_usd"])
                      else principal["initial_level_usd"] * c["barrier_fraction_of_initial"])]
        until = min(called) if called else principal["maturity_date"]
        if not (principal["pricing_date"] <= day <= until):
            continue
        counted += principal["aggregate_principal_usd"]
        if previous >= level > close:
            breached += principal["aggregate_principal_usd"]
            n_breached += 1
        if 0 <= (close - level) / close <= 0.10:
            within10 += principal["aggregate_principal_usd"]
    return {"outstanding": counted, "breached": breached, "n_breached": n_breached, "within10": within10}


def test_the_demo_crash_day_matches_a_reading_of_the_scenario(marts, demo):
    daily = marts["fct_note_barriers_daily"]
    for day in (demo.truths.pre_crash_day, demo.crash_day, demo.truths.rebound_day):
        expected = _demo_reading(demo, day)
        row = _one(daily, trade_date=day)
        assert row["principal_outstanding_usd"] == pytest.approx(expected["outstanding"])
        assert row["principal_breached_usd"] == pytest.approx(expected["breached"])
        assert row["barriers_breached"] == expected["n_breached"]
        assert row["principal_within_10pct_usd"] == pytest.approx(expected["within10"])
    crash = _one(daily, trade_date=demo.crash_day)
    assert crash["barriers_breached"] >= 3  # the cluster just above the crash-day close gives way


def test_the_demo_plants_the_november_barrier_and_the_cluster(marts, demo):
    register = marts["fct_note_barriers"]
    principal = register[register["is_principal_barrier"] & (register["document_status"] == "final")
                         & (pd.to_datetime(register["pricing_date"]) >= pd.Timestamp(DEFAULT_START))]
    crash_close = _one(marts["fct_note_barriers_daily"], trade_date=demo.crash_day)["ibit_close_usd"]
    november = principal[pd.to_datetime(principal["pricing_date"]).dt.month == 11]
    assert (november["barrier_level_usd"] / crash_close).between(1.17, 1.25).any()  # the article's 43.6 vs 36.1
    cluster = principal[(principal["barrier_level_usd"] / crash_close).between(1.02, 1.10)]
    assert cluster["note_id"].nunique() >= 3  # the article's 38-39
    assert (principal["data_mode"] == "simulated").all() and not principal["is_btc_per_share_missing"].any()
    fund = demo.canonical["etf_fund_daily"].set_index("trade_date")
    per_share = fund["btc_held"] / fund["shares_outstanding"]
    for _, row in principal.iterrows():
        assert row["barrier_level_btc_usd"] == pytest.approx(row["barrier_level_usd"] / per_share[row["pricing_date"]])
