"""`btcflows parse` prints canonical CSV that `btcflows import` reads back unchanged: one payload of
every registered source goes through the command, and the rows the import's reader gets from its
output equal the rows the parser produced."""
from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

from pipelines import sources
from pipelines.archive import PayloadMeta
from pipelines.cli import main
from pipelines.datasets import DATASETS
from pipelines.files import read_checked

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

# source -> (fixture, what `btcflows parse` is told about the request when no .meta.json is beside it)
ROUND_TRIP: dict[str, tuple[str, list[str]]] = {
    "farside": ("farside/farside_header_issuers_tickers_fee_thead.html", ["--partition", "2026-02-09"]),
    "ishares": ("ishares/ishares_holdings_btc_and_cash.csv", ["--endpoint", "holdings_csv"]),
    "yahoo": ("yahoo/yahoo_hourly_btc_null_bar_volume_zero.json", ["--partition", "2026-02-05"]),
    "stooq": ("stooq/stooq_ibit_crlf_oldest_first.csv", ["--param", "s=ibit.us"]),
    "coinbase": ("coinbase/coinbase_newest_first_with_gap.json", []),
    "binance-oi": ("binance-oi/binance_oi_strings_ms.json", ["--endpoint", "openInterestHist"]),
    "binance-funding": ("binance-funding/binance_funding_ms_after_settlement.json", []),
    "binance-klines": ("binance-klines/binance_klines_strings_12_fields.json", []),
    "cme-settlements": ("cme-settlements/cme_btc_commas_ask_bid_dash_total.json", ["--param", "productId=8478"]),
    "deribit-options": ("deribit-options/deribit_options_mixed_instruments.json", []),
    "deribit-dvol": ("deribit-dvol/deribit_dvol_three_days.json", ["--param", "currency=BTC"]),
    "occ-volume": ("occ-volume/occ_ibit_crlf_trailing_comma_both_sides.csv", []),
    "cftc-tff": ("cftc-tff/cftc_btc_and_micro_strings.json", ["--partition", "2026-02-06"]),
    "canonical-csv": ("canonical-csv/vol_index_daily_three_days.csv", ["--param", "dataset=vol_index_daily"]),
    "sec-edgar": ("sec-edgar/jpm_accin_final_interest_barrier_trigger_value.htm",
                  ["--endpoint", "document", "--param", "adsh=0001213900-25-113870", "--param", "cik=1665650",
                   "--param", "filename=ea0266114-01_424b2.htm", "--param", "file_date=2025-11-24"]),
}


def parse_with_the_command(source: str, capsys) -> tuple[str, str]:
    """(dataset, canonical CSV) as `btcflows parse` prints them."""
    fixture, args = ROUND_TRIP[source]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. a new Farside fund column
        main(["parse", source, str(FIXTURES / fixture), *args])
    out, err = capsys.readouterr()
    dataset = err.split("# dataset: ", 1)[1].split()[0]
    return dataset, out


def parse_directly(source: str) -> pd.DataFrame:
    fixture, args = ROUND_TRIP[source]
    options = dict(zip(args[::2], args[1::2]))
    params = dict(v.split("=", 1) for k, v in zip(args[::2], args[1::2]) if k == "--param")
    meta = PayloadMeta(source=source, endpoint=options.get("--endpoint", ""), url="", params=params,
                       partition=options.get("--partition", ""))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sources.get(source).parse((FIXTURES / fixture).read_bytes(), meta).rows


def comparable(rows: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Typed alike whichever side it comes from: dates as date, instants as naive datetime64, floats."""
    ds = DATASETS[dataset]
    out = pd.DataFrame(index=range(len(rows)))
    for col in ds.columns:
        values = rows[col.name].reset_index(drop=True)
        if col.kind == "date":
            out[col.name] = [None if pd.isna(v) else pd.Timestamp(v).date() for v in values]
        elif col.kind == "timestamp":
            out[col.name] = pd.to_datetime(values).astype("datetime64[ns]")
        elif col.kind in ("float", "int"):
            out[col.name] = values.astype("float64")
        else:
            out[col.name] = [None if v is None or (isinstance(v, float) and pd.isna(v)) else v for v in values]
    return out.sort_values(list(ds.key)).reset_index(drop=True)


def test_every_registered_source_has_a_round_trip_payload():
    assert set(ROUND_TRIP) == set(sources.names()), "add one payload of the new source to ROUND_TRIP"


@pytest.mark.parametrize("source", sorted(ROUND_TRIP))
def test_parse_output_imports_unchanged(source, tmp_path, capsys):
    dataset, text = parse_with_the_command(source, capsys)
    expected = parse_directly(source)
    assert len(expected) > 0, f"{source}: the round-trip payload should hold rows"
    csv_path = tmp_path / f"{dataset}.csv"
    csv_path.write_text(text)
    imported, problems = read_checked(csv_path, DATASETS[dataset])
    assert problems == []
    pd.testing.assert_frame_equal(comparable(imported, dataset), comparable(expected, dataset), check_exact=True)


def test_instants_are_utc_with_z_and_dates_iso(capsys):
    _, text = parse_with_the_command("deribit-options", capsys)
    header, first, *_ = text.splitlines()
    row = dict(zip(header.split(","), first.split(",")))
    assert row["snapshot_utc"] == "2026-02-05T20:00:00.120779Z"  # usOut, microseconds kept
    assert row["expiry_utc"] == "2026-03-27T08:00:00Z"
    _, text = parse_with_the_command("cftc-tff", capsys)
    assert text.splitlines()[1].startswith("2026-02-03,133741,dealer,")  # the Tuesday, YYYY-MM-DD
