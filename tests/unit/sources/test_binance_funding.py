from datetime import date, datetime
from pathlib import Path

import httpx
import pandas as pd
import pytest
import respx

from pipelines.archive import PayloadMeta
from pipelines.datasets import DATASETS
from pipelines.demo.render import binance_funding as renderer
from pipelines.sources import binance_funding
from pipelines.sources.base import ParseError
from pipelines.sources.binance_common import new_york_day_ms
from pipelines.sources.http import FetchError, HttpClient, RetryPolicy

FIXTURES = Path(__file__).parents[2] / "fixtures" / "binance-funding"
URL = binance_funding.ENDPOINTS["fundingRate"]
DAY = date(2026, 2, 5)


def meta(params=None):
    return PayloadMeta(source=binance_funding.NAME, endpoint="fundingRate", url=URL, params=params or {})


def client(attempts=3):
    return HttpClient(binance_funding.NAME, rate_per_second=0, retry=RetryPolicy(attempts=attempts),
                      sleep=lambda s: None)


def test_parse_strings_cut_to_the_second():
    rows = binance_funding.parse((FIXTURES / "binance_funding_ms_after_settlement.json").read_bytes(), meta()).rows
    assert list(rows.columns) == DATASETS["funding_rates"].column_names
    assert list(rows["ts_utc"]) == [datetime(2026, 2, 5, 16), datetime(2026, 2, 6, 0)]
    assert rows["funding_rate"].tolist() == [0.00001711, -0.00012345]
    assert set(rows["venue"]) == {"Binance"} and set(rows["source"]) == {"binance-funding"}


@pytest.mark.parametrize("name, field", [
    ("binance_funding_empty_rate.json", "fundingRate"),
    ("binance_funding_bad_rate.json", "fundingRate"),
    ("binance_funding_error_code.json", "code"),
])
def test_malformed_payloads_raise_parse_error(name, field):
    with pytest.raises(ParseError) as err:
        binance_funding.parse((FIXTURES / name).read_bytes(), meta())
    assert err.value.source == "binance-funding" and err.value.field == field


def test_not_json_is_a_parse_error():
    with pytest.raises(ParseError, match="not JSON"):
        binance_funding.parse(b"<html>", meta())


def test_render_parse_round_trip():
    canonical = pd.DataFrame({
        "ts_utc": pd.date_range("2026-02-04 16:00", periods=7, freq="8h"), "venue": "Binance",
        "symbol": "BTCUSDT", "funding_rate": [0.0001, 0.00005608, -0.0000375, 1.2345678912e-05, 0.0, -0.0003, 0.0001],
        "source": "binance-funding",
    })
    fetched = renderer.render({"funding_rates": canonical}, DAY)
    assert len(fetched) == 1
    assert fetched == renderer.render({"funding_rates": canonical}, DAY)
    assert b'"fundingRate":"-0.00003750"' in fetched[0].data and b'"markPrice":""' in fetched[0].data
    got = binance_funding.parse(fetched[0].data, meta(fetched[0].params)).rows
    # New York Feb 5 = 05:00 UTC Feb 5 .. 05:00 UTC Feb 6: the 08:00, 16:00 and 00:00 settlements
    want = canonical.iloc[2:5]
    assert list(got["ts_utc"]) == list(want["ts_utc"].dt.to_pydatetime())
    assert got["funding_rate"].tolist() == pytest.approx(want["funding_rate"].tolist(), rel=1e-9, abs=0)
    assert renderer.render({"funding_rates": canonical.iloc[:0]}, DAY) == []


@respx.mock
def test_fetch_params_and_paging():
    start_ms, end_ms = new_york_day_ms(DAY)
    full = [{"symbol": "BTCUSDT", "fundingTime": start_ms + i, "fundingRate": "0.0001", "markPrice": ""}
            for i in range(binance_funding.PAGE_LIMIT)]
    route = respx.get(URL).mock(side_effect=[httpx.Response(200, json=full), httpx.Response(200, json=[])])
    out = binance_funding.fetch(client(), DAY)
    assert len(out) == 2
    p1, p2 = (dict(c.request.url.params) for c in route.calls)
    assert p1 == {"symbol": "BTCUSDT", "startTime": str(start_ms), "endTime": str(end_ms), "limit": "1000"}
    assert p2["startTime"] == str(start_ms + 1000)


@respx.mock
def test_fetch_retries_then_succeeds_and_gives_up():
    respx.get(URL).mock(side_effect=[httpx.Response(429), httpx.Response(500), httpx.Response(200, json=[])])
    assert len(binance_funding.fetch(client(), DAY)) == 1
    respx.get(URL).mock(side_effect=None, return_value=httpx.Response(503))
    with pytest.raises(FetchError) as err:
        binance_funding.fetch(client(attempts=2), DAY)
    assert err.value.source == "binance-funding" and err.value.status == 503


@respx.mock
def test_fetch_451_geo_block_is_one_clear_error():
    respx.get(URL).mock(return_value=httpx.Response(451))
    with pytest.raises(FetchError, match="geo-block"):
        binance_funding.fetch(client(), DAY)


def test_funding_time_in_seconds_is_an_error_naming_the_field_not_rows_dropped():
    """`fundingTime` in seconds reads as January 1970: outside the window the request asked for."""
    start_ms, end_ms = new_york_day_ms(DAY)
    in_seconds = b'[{"symbol":"BTCUSDT","fundingTime":1770307200,"fundingRate":"0.0001"}]'
    with pytest.raises(ParseError) as err:
        binance_funding.parse(in_seconds, meta({"symbol": "BTCUSDT", "startTime": start_ms, "endTime": end_ms}))
    assert err.value.field == "fundingTime" and "outside the requested window" in str(err.value)
    in_ms = in_seconds.replace(b"1770307200", b"1770307200004")
    assert len(binance_funding.parse(in_ms, meta({"startTime": start_ms, "endTime": end_ms})).rows) == 1


@pytest.mark.parametrize("rate", [b'"Infinity"', b"Infinity", b"1e400", b'"1e400"', b"NaN", b'"inf"'])
def test_non_finite_rates_are_refused(rate):
    body = b'[{"symbol":"BTCUSDT","fundingTime":1770307200004,"fundingRate":' + rate + b"}]"
    with pytest.raises(ParseError) as err:
        binance_funding.parse(body, meta())
    assert err.value.field == "fundingRate"
