from datetime import date
from pathlib import Path

import httpx
import pandas as pd
import pytest
import respx

from pipelines.archive import PayloadMeta
from pipelines.datasets import DATASETS
from pipelines.demo.render import deribit_dvol as renderer
from pipelines.sources import deribit_dvol
from pipelines.sources.base import ParseError
from pipelines.sources.http import FetchError, HttpClient, RetryPolicy

FIXTURES = Path(__file__).parents[2] / "fixtures" / "deribit-dvol"
URL = deribit_dvol.ENDPOINTS["get_volatility_index_data"]
META = PayloadMeta(source=deribit_dvol.NAME, endpoint="get_volatility_index_data", url=URL, params={"currency": "BTC"})
DAY = date(2026, 2, 5)


def client(attempts=3):
    return HttpClient(deribit_dvol.NAME, rate_per_second=0, retry=RetryPolicy(attempts=attempts), sleep=lambda s: None)


def body(data, continuation=None):
    return {"jsonrpc": "2.0", "result": {"data": data, "continuation": continuation}, "usOut": 1}


def test_parse_daily_candles_keyed_on_the_utc_date():
    rows = deribit_dvol.parse((FIXTURES / "deribit_dvol_three_days.json").read_bytes(), META).rows
    assert list(rows.columns) == DATASETS["vol_index_daily"].column_names
    assert rows["trade_date"].tolist() == [date(2026, 2, 4), date(2026, 2, 5), date(2026, 2, 6)]
    assert rows["close"].tolist() == [54.02, 69.87, 62.45]  # vol points, not decimals
    assert set(rows["index_name"]) == {"DVOL-BTC"} and set(rows["source"]) == {"deribit-dvol"}


@pytest.mark.parametrize("name, field", [
    ("deribit_dvol_error_envelope.json", "error"),
    ("deribit_dvol_short_candle.json", "data[0]"),
    ("deribit_dvol_bad_close.json", "close"),
    ("deribit_dvol_result_is_list.json", "result.data"),
])
def test_malformed_payloads_raise_parse_error(name, field):
    with pytest.raises(ParseError) as err:
        deribit_dvol.parse((FIXTURES / name).read_bytes(), META)
    assert err.value.source == "deribit-dvol" and err.value.field == field


def test_render_parse_round_trip():
    canonical = pd.DataFrame({
        "trade_date": [date(2026, 2, 3), date(2026, 2, 4), DAY], "index_name": "DVOL-BTC",
        "close": [50.5, 54.02, 69.8712345678], "source": "deribit-dvol",
    })
    fetched = renderer.render({"vol_index_daily": canonical}, DAY)
    assert fetched == renderer.render({"vol_index_daily": canonical}, DAY)
    got = deribit_dvol.parse(fetched[0].data, META).rows
    assert got["trade_date"].tolist() == [DAY]
    assert got["close"].tolist() == [69.8712345678]
    candle = __import__("json").loads(fetched[0].data)["result"]["data"][0]
    assert candle[1] == 54.02 and candle[2] >= candle[4] >= candle[3]  # opens at the previous close
    assert renderer.render({"vol_index_daily": canonical}, date(2026, 2, 6)) == []


@respx.mock
def test_fetch_utc_day_params_retry_and_continuation():
    start_ms, end_ms = deribit_dvol.utc_day_ms(DAY)
    route = respx.get(URL).mock(side_effect=[
        httpx.Response(500),
        httpx.Response(200, json=body([[start_ms + 3_600_000, 1, 1, 1, 1]], continuation=start_ms + 3_600_000)),
        httpx.Response(200, json=body([[start_ms, 1, 1, 1, 1]])),
    ])
    out = deribit_dvol.fetch(client(), DAY)
    assert len(out) == 2 and route.call_count == 3
    first = dict(route.calls[1].request.url.params)
    assert first == {"currency": "BTC", "start_timestamp": str(start_ms), "end_timestamp": str(end_ms), "resolution": "1D"}
    assert route.calls[2].request.url.params["end_timestamp"] == str(start_ms + 3_600_000)


@respx.mock
def test_fetch_gives_up_and_rejects_error_bodies():
    respx.get(URL).mock(return_value=httpx.Response(429))
    with pytest.raises(FetchError) as err:
        deribit_dvol.fetch(client(attempts=2), DAY)
    assert err.value.status == 429
    respx.get(URL).mock(return_value=httpx.Response(200, content=(FIXTURES / "deribit_dvol_error_envelope.json").read_bytes()))
    with pytest.raises(FetchError, match="not a volatility-index result"):
        deribit_dvol.fetch(client(), DAY)
