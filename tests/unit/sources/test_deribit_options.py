from datetime import date, datetime
from pathlib import Path

import httpx
import pandas as pd
import pytest
import respx

from pipelines.archive import PayloadMeta
from pipelines.datasets import DATASETS
from pipelines.demo.render import deribit_options as renderer
from pipelines.sources import deribit_options
from pipelines.sources.base import ParseError
from pipelines.sources.http import FetchError, HttpClient, RetryPolicy
from pipelines.timeutils import snapshot_instant

FIXTURES = Path(__file__).parents[2] / "fixtures" / "deribit-options"
URL = deribit_options.ENDPOINTS["get_book_summary_by_currency"]
META = PayloadMeta(source=deribit_options.NAME, endpoint="get_book_summary_by_currency", url=URL,
                   params={"currency": "BTC", "kind": "option"})


def parse_fixture(name):
    return deribit_options.parse((FIXTURES / name).read_bytes(), META).rows


def client(attempts=3):
    return HttpClient(deribit_options.NAME, rate_per_second=0, retry=RetryPolicy(attempts=attempts),
                      sleep=lambda s: None)


def test_parse_inverse_options_only_with_units():
    rows = parse_fixture("deribit_options_mixed_instruments.json")
    assert list(rows.columns) == DATASETS["option_chain_snapshot"].column_names
    assert rows["instrument"].tolist() == ["BTC-27MAR26-70000-P", "BTC-6FEB26-75000-C"]  # no USDC, no perpetual
    put = rows.iloc[0]
    assert put.snapshot_utc == datetime(2026, 2, 5, 20, 0, 0, 120779)  # usOut, µs
    assert put.expiry_utc == datetime(2026, 3, 27, 8)
    assert (put.underlying, put.strike, put.put_call, put.multiplier) == ("BTC", 70000.0, "P", 1.0)
    assert put.open_interest == 1124.7 and put.underlying_price == 71234.5
    assert put.mark_iv == pytest.approx(0.677)
    assert rows.iloc[1].expiry_utc == datetime(2026, 2, 6, 8)
    assert set(rows["venue"]) == {"Deribit"} and set(rows["source"]) == {"deribit-options"}


def test_parse_2022_capture_without_mark_iv_falls_back_to_creation_timestamp():
    rows = parse_fixture("deribit_options_2022_no_mark_iv_no_usout.json")
    assert rows["mark_iv"].isna().all()  # missing, not zero
    assert set(rows["snapshot_utc"]) == {datetime(2022, 6, 4, 10, 30, 4, 999000)}  # latest creation_timestamp
    assert rows["expiry_utc"].tolist() == [datetime(2022, 12, 30, 8), datetime(2022, 6, 5, 8)]


@pytest.mark.parametrize("name, field", [
    ("deribit_options_error_envelope.json", "error"),
    ("deribit_options_bad_instrument.json", "instrument_name"),
    ("deribit_options_bad_mark_iv.json", "mark_iv"),
    ("deribit_options_no_result.json", "result"),
])
def test_malformed_payloads_raise_parse_error(name, field):
    with pytest.raises(ParseError) as err:
        parse_fixture(name)
    assert err.value.source == "deribit-options" and err.value.field == field
    if field == "error":
        assert "10028" in str(err.value) and "too_many_requests" in str(err.value)


def test_render_parse_round_trip_at_the_new_york_snapshot():
    day = date(2026, 2, 5)
    snap = snapshot_instant(day).replace(tzinfo=None)
    canonical = pd.DataFrame({
        "snapshot_utc": [snap, snap, snap, snap - pd.Timedelta(days=1)],
        "venue": "Deribit",
        "instrument": ["BTC-27MAR26-70000-P", "BTC-6FEB26-75000-C", "BTC-26JUN26-120000-C", "BTC-27MAR26-70000-P"],
        "underlying": "BTC",
        "expiry_utc": [datetime(2026, 3, 27, 8), datetime(2026, 2, 6, 8), datetime(2026, 6, 26, 8), datetime(2026, 3, 27, 8)],
        "strike": [70000.0, 75000.0, 120000.0, 70000.0],
        "put_call": ["P", "C", "C", "P"],
        "open_interest": [1124.7, 8.1, None, 1000.0],
        "multiplier": 1.0,
        "mark_iv": [0.677123456, 0.8125, None, 0.6],
        "underlying_price": [71234.5, 70980.0, 72001.25, 80000.0],
        "source": "deribit-options",
    })
    fetched = renderer.render({"option_chain_snapshot": canonical}, day)
    assert len(fetched) == 1 and fetched == renderer.render({"option_chain_snapshot": canonical}, day)
    assert b"BTC_USDC-" in fetched[0].data  # the live endpoint mixes linear options in
    got = deribit_options.parse(fetched[0].data, META).rows
    want = canonical.iloc[:3].sort_values("instrument").reset_index(drop=True)
    assert list(got["snapshot_utc"]) == [snap] * 3
    pd.testing.assert_frame_equal(got.astype({"open_interest": float, "mark_iv": float}), want,
                                  check_dtype=False, rtol=1e-9)


def test_black76_mark_price_is_sane():
    call = renderer.black76_btc(70000.0, 70000.0, 0.6, 0.25, "C")
    put = renderer.black76_btc(70000.0, 70000.0, 0.6, 0.25, "P")
    assert call == pytest.approx(put) and 0.11 < call < 0.13  # ATM: ~0.4 * sigma * sqrt(T)


@respx.mock
def test_fetch_params_retry_then_success():
    body = (FIXTURES / "deribit_options_mixed_instruments.json").read_bytes()
    route = respx.get(URL).mock(side_effect=[httpx.Response(429), httpx.Response(502), httpx.Response(200, content=body)])
    out = deribit_options.fetch(client(), date(2026, 2, 5))
    assert route.call_count == 3 and out[0].data == body
    assert dict(route.calls[-1].request.url.params) == {"currency": "BTC", "kind": "option"}


@respx.mock
def test_fetch_gives_up_and_classifies_error_envelopes():
    respx.get(URL).mock(return_value=httpx.Response(503))
    with pytest.raises(FetchError) as err:
        deribit_options.fetch(client(attempts=2), date(2026, 2, 5))
    assert err.value.status == 503 and err.value.attempts == 2
    respx.get(URL).mock(return_value=httpx.Response(200, content=(FIXTURES / "deribit_options_error_envelope.json").read_bytes()))
    with pytest.raises(FetchError, match="too_many_requests"):
        deribit_options.fetch(client(), date(2026, 2, 5))
