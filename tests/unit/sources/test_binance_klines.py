from datetime import date, datetime
from pathlib import Path

import httpx
import pandas as pd
import pytest
import respx

from pipelines.archive import PayloadMeta
from pipelines.datasets import DATASETS
from pipelines.demo.render import binance_klines as renderer
from pipelines.sources import binance_klines
from pipelines.sources.base import ParseError
from pipelines.sources.binance_common import new_york_day_ms
from pipelines.sources.http import FetchError, HttpClient, RetryPolicy

FIXTURES = Path(__file__).parents[2] / "fixtures" / "binance-klines"
URL = binance_klines.ENDPOINTS["klines"]
DAY = date(2026, 7, 6)  # EDT: New York day = 04:00 UTC .. 04:00 UTC


def meta(params=None):
    return PayloadMeta(source=binance_klines.NAME, endpoint="klines", url=URL, params=params or {})


def client(attempts=3):
    return HttpClient(binance_klines.NAME, rate_per_second=0, retry=RetryPolicy(attempts=attempts),
                      sleep=lambda s: None)


def test_parse_twelve_field_string_klines_deduped_on_open_time():
    rows = binance_klines.parse((FIXTURES / "binance_klines_strings_12_fields.json").read_bytes(), meta()).rows
    assert list(rows.columns) == DATASETS["hourly_bars"].column_names
    assert list(rows["bar_start_utc"]) == [datetime(2026, 2, 5, 20), datetime(2026, 2, 5, 21)]
    first = rows.iloc[0]
    assert (first.open, first.high, first.low, first.close, first.volume) == (73100.10, 73555.0, 72010.5, 72200.0, 15234.123)
    assert set(rows["symbol"]) == {"BTCUSDT"} and set(rows["source"]) == {"binance-klines"}


@pytest.mark.parametrize("name, field", [
    ("binance_klines_short_array.json", "[0]"),
    ("binance_klines_bad_close.json", "close"),
    ("binance_klines_error_code.json", "code"),
    ("binance_klines_truncated.json", None),
])
def test_malformed_payloads_raise_parse_error(name, field):
    with pytest.raises(ParseError) as err:
        binance_klines.parse((FIXTURES / name).read_bytes(), meta())
    assert err.value.source == "binance-klines" and err.value.field == field


def test_render_parse_round_trip_summer_day():
    starts = pd.date_range("2026-07-06 00:00", "2026-07-07 06:00", freq="h")
    n = len(starts)
    canonical = pd.DataFrame({
        "bar_start_utc": starts, "symbol": "BTCUSDT",
        "open": [100000 + i / 3 for i in range(n)], "high": [100500 + i for i in range(n)],
        "low": [99500.25 + i for i in range(n)], "close": [100100.1 + i / 7 for i in range(n)],
        "volume": [1234.5678 + i for i in range(n)], "source": "binance-klines",
    })
    canonical.loc[5, "volume"] = None  # optional column: stays missing
    fetched = renderer.render({"hourly_bars": canonical}, DAY)
    assert fetched == renderer.render({"hourly_bars": canonical}, DAY)
    got = binance_klines.parse(fetched[0].data, meta(fetched[0].params)).rows
    want = canonical[(canonical["bar_start_utc"] >= "2026-07-06 04:00") & (canonical["bar_start_utc"] < "2026-07-07 04:00")]
    assert len(got) == 24
    assert list(got["bar_start_utc"]) == list(want["bar_start_utc"].dt.to_pydatetime())
    for col in ("open", "high", "low", "close"):
        assert got[col].tolist() == pytest.approx(want[col].tolist(), rel=1e-9)
    assert got["volume"].isna().tolist() == want["volume"].isna().tolist()
    assert got["volume"].dropna().tolist() == pytest.approx(want["volume"].dropna().tolist(), rel=1e-9)


@respx.mock
def test_fetch_params_retry_and_give_up():
    start_ms, end_ms = new_york_day_ms(DAY)
    route = respx.get(URL).mock(side_effect=[httpx.Response(504), httpx.Response(200, json=[])])
    out = binance_klines.fetch(client(), DAY)
    assert len(out) == 1 and route.call_count == 2
    assert dict(route.calls[-1].request.url.params) == {
        "symbol": "BTCUSDT", "interval": "1h", "startTime": str(start_ms), "endTime": str(end_ms), "limit": "1500"}
    assert end_ms - start_ms + 1 == 24 * 3_600_000
    respx.get(URL).mock(side_effect=None, return_value=httpx.Response(429))
    with pytest.raises(FetchError) as err:
        binance_klines.fetch(client(attempts=2), DAY)
    assert err.value.status == 429 and err.value.attempts == 2


@respx.mock
def test_fetch_pages_a_full_page():
    start_ms, _ = new_york_day_ms(DAY)
    full = [[start_ms + i, "1", "1", "1", "1", "1", start_ms + i, "1", 1, "1", "1", "0"]
            for i in range(binance_klines.PAGE_LIMIT)]
    route = respx.get(URL).mock(side_effect=[httpx.Response(200, json=full), httpx.Response(200, json=[])])
    assert len(binance_klines.fetch(client(), DAY)) == 2
    assert route.calls[1].request.url.params["startTime"] == str(start_ms + 1500)
