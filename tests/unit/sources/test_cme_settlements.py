from datetime import date
from pathlib import Path

import httpx
import pandas as pd
import pytest
import respx

from pipelines.archive import PayloadMeta
from pipelines.cme_calendar import expiry_date
from pipelines.datasets import DATASETS
from pipelines.demo.render import cme_settlements as renderer
from pipelines.sources import cme_settlements
from pipelines.sources.base import ParseError
from pipelines.sources.http import FetchError, HttpClient, RetryPolicy

FIXTURES = Path(__file__).parents[2] / "fixtures" / "cme-settlements"
BTC_URL = cme_settlements.ENDPOINTS["settlements"].format(product_id="8478")
MBT_URL = cme_settlements.ENDPOINTS["settlements"].format(product_id="9024")
DAY = date(2026, 2, 5)


def meta(url=BTC_URL, params=None):
    return PayloadMeta(source=cme_settlements.NAME, endpoint="settlements", url=url, params=params or {})


def parse_fixture(name, url=BTC_URL):
    return cme_settlements.parse((FIXTURES / name).read_bytes(), meta(url)).rows


def client(attempts=3):
    return HttpClient(cme_settlements.NAME, rate_per_second=0, retry=RetryPolicy(attempts=attempts),
                      sleep=lambda s: None)


def test_parse_commas_ask_bid_dash_and_total_row():
    rows = parse_fixture("cme_btc_commas_ask_bid_dash_total.json")
    assert list(rows.columns) == DATASETS["futures_daily"].column_names
    assert rows["contract"].tolist() == ["BTCG26", "BTCH26", "BTCJ26"]  # Total dropped
    assert set(rows["trade_date"]) == {DAY} and set(rows["venue"]) == {"CME"}
    assert rows["settle"].tolist() == [64130.0, 64795.0, 65300.0]  # "64,795A" -> 64795
    assert rows["volume"].iloc[:2].tolist() == [21345.0, 3210.0]
    assert pd.isna(rows["volume"].iloc[2])  # '-' is no figure, not zero
    assert rows["open_interest"].tolist() == [9876.0, 4321.0, 57.0]
    assert rows["expiry_date"].tolist() == [date(2026, 2, 27), date(2026, 3, 27), expiry_date(2026, 4)]


def test_product_id_from_the_url_names_micro_contracts():
    rows = parse_fixture("cme_mbt_month.json", MBT_URL)
    assert rows["contract"].tolist() == ["MBTZ26"]
    assert rows["settle"].tolist() == [66812.5]
    assert rows["expiry_date"].tolist() == [date(2026, 12, 24)]  # last Friday is Christmas


def test_product_id_falls_back_to_params_and_unknown_is_an_error():
    payload = (FIXTURES / "cme_mbt_month.json").read_bytes()
    rows = cme_settlements.parse(payload, meta("https://example.invalid/x", {"productId": "9024"})).rows
    assert rows["contract"].tolist() == ["MBTZ26"]
    with pytest.raises(ParseError) as err:
        cme_settlements.parse(payload, meta("https://example.invalid/x"))
    assert err.value.field == "productId"


def test_empty_day_gives_no_rows():
    assert parse_fixture("cme_empty_day.json").empty


@pytest.mark.parametrize("name, field", [
    ("cme_bad_month.json", "month"),
    ("cme_bad_trade_date.json", "tradeDate"),
    ("cme_bad_settle.json", "settle"),
    ("cme_akamai_denied.html", None),
])
def test_malformed_payloads_raise_parse_error(name, field):
    with pytest.raises(ParseError) as err:
        parse_fixture(name)
    assert err.value.source == "cme-settlements" and err.value.field == field


def test_render_parse_round_trip_per_product():
    canonical = pd.DataFrame({
        "trade_date": [DAY, DAY, DAY, date(2026, 2, 4)],
        "venue": "CME",
        "contract": ["BTCH26", "BTCG26", "MBTG26", "BTCG26"],
        "expiry_date": [date(2026, 3, 27), date(2026, 2, 27), date(2026, 2, 27), date(2026, 2, 27)],
        "settle": [64795.0, 64130.0, 64127.5, 73360.0],
        "volume": [3210.0, 1021345.0, None, 5.0],
        "open_interest": [4321.0, 9876.0, 120.0, 5.0],
        "source": "cme-settlements",
    })
    fetched = renderer.render({"futures_daily": canonical}, DAY)
    assert fetched == renderer.render({"futures_daily": canonical}, DAY)
    assert [f.url for f in fetched] == [BTC_URL, MBT_URL]
    assert b'"volume":"1,021,345"' in fetched[0].data and b'"month":"Total"' in fetched[0].data
    got = pd.concat([cme_settlements.parse(f.data, meta(f.url, f.params)).rows for f in fetched], ignore_index=True)
    want = canonical.iloc[[1, 0, 2]].reset_index(drop=True)
    got["volume"] = got["volume"].astype(float)  # None and NaN both mean no figure
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert renderer.render({"futures_daily": canonical}, date(2026, 2, 16)) == []  # Presidents' Day


def test_cme_number_format():
    assert renderer.cme_number(1234567.0) == "1,234,567"
    assert renderer.cme_number(64127.5) == "64,127.5"
    assert renderer.cme_number(None) == "-"


@respx.mock
def test_fetch_both_products_with_params():
    btc = respx.get(BTC_URL).mock(return_value=httpx.Response(200, json={"settlements": [], "tradeDate": "02/05/2026"}))
    mbt = respx.get(MBT_URL).mock(return_value=httpx.Response(200, json={"settlements": [], "tradeDate": "02/05/2026"}))
    out = cme_settlements.fetch(client(), DAY)
    assert [f.url for f in out] == [BTC_URL, MBT_URL]
    params = dict(btc.calls[0].request.url.params)
    assert params.pop("_t").isdigit()
    assert params == {"strategy": "DEFAULT", "tradeDate": "02/05/2026", "pageSize": "500", "isProtected": ""}
    assert mbt.call_count == 1
    assert cme_settlements.fetch(client(), date(2026, 2, 7)) == []  # Saturday: no request


@respx.mock
def test_fetch_retry_then_success_and_give_up():
    ok = httpx.Response(200, json={"settlements": [], "tradeDate": "02/05/2026"})
    respx.get(BTC_URL).mock(side_effect=[httpx.Response(503), httpx.Response(429), ok])
    respx.get(MBT_URL).mock(return_value=ok)
    assert len(cme_settlements.fetch(client(), DAY)) == 2
    respx.get(BTC_URL).mock(side_effect=None, return_value=httpx.Response(500))
    with pytest.raises(FetchError) as err:
        cme_settlements.fetch(client(attempts=2), DAY)
    assert err.value.source == "cme-settlements" and err.value.status == 500


@respx.mock
def test_fetch_bot_block_page_with_200_is_a_fetch_error():
    respx.get(BTC_URL).mock(return_value=httpx.Response(200, text=(FIXTURES / "cme_akamai_denied.html").read_text()))
    with pytest.raises(FetchError, match="not JSON"):
        cme_settlements.fetch(client(), DAY)
