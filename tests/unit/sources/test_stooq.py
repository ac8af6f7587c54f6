from datetime import date
from pathlib import Path

import httpx
import pandas as pd
import pytest
import respx

from pipelines.archive import PayloadMeta
from pipelines.sources import stooq
from pipelines.sources.base import ParseError
from pipelines.sources.http import FetchError, HttpClient, RetryPolicy

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "stooq"
URL = "https://stooq.com/q/d/l/"
CSV = (FIXTURES / "stooq_ibit_crlf_oldest_first.csv").read_bytes()


def meta(symbol="ibit.us"):
    return PayloadMeta(source="stooq", endpoint="daily", url=URL, partition="2026-02-05",
                       params={"s": symbol, "i": "d", "d1": "20260203", "d2": "20260205"})


def parse_fixture(name, symbol="ibit.us"):
    return stooq.parse((FIXTURES / name).read_bytes(), meta(symbol)).rows


def client(attempts=3):
    return HttpClient("stooq", rate_per_second=1000, retry=RetryPolicy(attempts=attempts), sleep=lambda s: None)


def test_csv_rows_symbol_from_request():
    rows = parse_fixture("stooq_ibit_crlf_oldest_first.csv")
    assert list(rows["trade_date"]) == [date(2026, 2, 3), date(2026, 2, 4), date(2026, 2, 5)]
    assert set(rows["symbol"]) == {"IBIT"} and set(rows["source"]) == {"stooq"}
    last = rows.iloc[-1]
    assert (last["open"], last["high"], last["low"], last["close"], last["volume"]) == (39.9, 40.0, 35.05, 36.02, 143250800.0)


def test_index_without_volume_column():
    rows = parse_fixture("stooq_index_without_volume.csv", symbol="^spx")
    assert rows["symbol"].iloc[0] == "^SPX" and pd.isna(rows["volume"].iloc[0])


def test_no_data_body_is_zero_rows():
    rows = parse_fixture("stooq_no_data.txt")
    assert rows.empty and rows.columns[0] == "trade_date"


@pytest.mark.parametrize("name, field, text", [
    ("stooq_quota_exceeded.txt", "Date", "Exceeded the daily hits limit"),
    ("stooq_bad_date.csv", "Date", "05/02/2026"),
    ("stooq_bad_close.csv", "Close (line 2)", "N/D"),
])
def test_malformed_bodies_raise_parse_error(name, field, text):
    with pytest.raises(ParseError) as err:
        parse_fixture(name)
    assert err.value.field == field and text in str(err.value)


def test_missing_symbol_parameter():
    with pytest.raises(ParseError) as err:
        stooq.parse(CSV, PayloadMeta(source="stooq", endpoint="daily", url=URL))
    assert err.value.field == "s"


@respx.mock
def test_fetch_one_request_per_symbol_with_day_window(monkeypatch):
    monkeypatch.setenv("BTCFLOWS_STOOQ_APIKEY", "k123")
    route = respx.get(URL).mock(return_value=httpx.Response(200, content=CSV))
    fetched = stooq.fetch(client(), date(2026, 2, 5))
    assert route.call_count == len(stooq.SYMBOLS) == len(fetched)
    params = dict(route.calls[0].request.url.params)
    assert params == {"s": "ibit.us", "i": "d", "d1": "20260205", "d2": "20260205", "apikey": "k123"}
    assert "apikey" not in fetched[0].params  # the key is not archived


@respx.mock
def test_fetch_no_data_is_kept_quota_is_a_failed_fetch():
    respx.get(URL).mock(return_value=httpx.Response(200, content=b"No data"))
    assert all(f.data == b"No data" for f in stooq.fetch(client(), date(2026, 2, 5)))
    respx.get(URL).mock(return_value=httpx.Response(200, content=b"Exceeded the daily hits limit"))
    with pytest.raises(FetchError, match="Exceeded the daily hits limit"):
        stooq.fetch(client(), date(2026, 2, 5))


def test_fetch_nothing_on_a_holiday():
    assert stooq.fetch(client(), date(2026, 1, 19)) == []


@respx.mock
def test_fetch_retries_then_succeeds_and_gives_up():
    route = respx.get(URL).mock(side_effect=[httpx.Response(503), httpx.Response(429)]
                                + [httpx.Response(200, content=CSV)] * len(stooq.SYMBOLS))
    assert len(stooq.fetch(client(), date(2026, 2, 5))) == len(stooq.SYMBOLS)
    assert route.call_count == len(stooq.SYMBOLS) + 2
    respx.get(URL).mock(return_value=httpx.Response(503))
    with pytest.raises(FetchError) as err:
        stooq.fetch(client(attempts=2), date(2026, 2, 5))
    assert err.value.status == 503 and err.value.attempts == 2
