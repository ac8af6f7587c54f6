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
BTC_VOLUME_URL = cme_settlements.ENDPOINTS["volume_oi"].format(product_id="8478", trade_date="20260205")
MBT_VOLUME_URL = cme_settlements.ENDPOINTS["volume_oi"].format(product_id="9024", trade_date="20260205")


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
        "open_interest_source": "settlements",
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


def volume_meta(url=BTC_VOLUME_URL):
    return PayloadMeta(source=cme_settlements.NAME, endpoint="volume_oi", url=url, params={"tradeDate": "20260205"})


def test_parse_volume_oi_report():
    rows = cme_settlements.parse((FIXTURES / "cme_volume_oi_btc.json").read_bytes(), volume_meta()).rows
    assert list(rows.columns) == DATASETS["futures_daily"].column_names
    assert rows["contract"].tolist() == ["BTCG26", "BTCH26", "BTCJ26"]  # the totals object is not a month
    assert set(rows["trade_date"]) == {DAY}  # tradeDate as YYYYMMDD
    assert rows["settle"].isna().all()  # the report has no prices
    assert rows["volume"].tolist() == [21345.0, 3210.0, 0.0]
    assert rows["open_interest"].iloc[:2].tolist() == [10212.0, 4500.0]  # atClose
    assert pd.isna(rows["open_interest"].iloc[2])  # '-': no figure
    assert rows["open_interest_source"].iloc[:2].tolist() == ["volume_oi", "volume_oi"]
    assert pd.isna(rows["open_interest_source"].iloc[2])  # no open interest, no source
    settlements = parse_fixture("cme_btc_commas_ask_bid_dash_total.json")
    assert set(settlements["open_interest_source"]) == {"settlements"}


def test_volume_oi_month_id_micro_product_empty_day_and_bad_value():
    payload = (FIXTURES / "cme_volume_oi_monthid_only.json").read_bytes()
    rows = cme_settlements.parse(payload, volume_meta(MBT_VOLUME_URL)).rows
    assert rows["contract"].tolist() == ["MBTZ26"] and rows["open_interest"].tolist() == [5678.0]
    bare = PayloadMeta(source=cme_settlements.NAME, endpoint="", url="", params={"productId": "9024"})
    assert cme_settlements.parse(payload, bare).rows["open_interest"].tolist() == [5678.0]  # recognised by shape
    assert cme_settlements.parse((FIXTURES / "cme_volume_oi_empty.json").read_bytes(), volume_meta()).rows.empty
    with pytest.raises(ParseError) as err:
        cme_settlements.parse((FIXTURES / "cme_volume_oi_bad_at_close.json").read_bytes(), volume_meta())
    assert err.value.field == "atClose"


def test_open_interest_comes_from_the_volume_oi_report_whatever_the_fetch_order(tmp_path):
    """The settlements page's OI may be the day before's: for a contract and trade date, the Volume/OI
    report's value wins even when the settlements page was fetched after it; the page's value stays
    where the report has none. Settle comes from the page."""
    from pipelines.archive import Archive
    from pipelines.ingest import collect_from_archive

    archive = Archive(tmp_path)
    for name, endpoint, url, fetched_at in [
        ("cme_volume_oi_btc.json", "volume_oi", BTC_VOLUME_URL, "2026-02-06T16:05:00Z"),
        ("cme_btc_commas_ask_bid_dash_total.json", "settlements", BTC_URL, "2026-02-06T18:00:00Z"),  # re-fetched later
    ]:
        archive.write((FIXTURES / name).read_bytes(), PayloadMeta(
            source=cme_settlements.NAME, endpoint=endpoint, url=url, partition="2026-02-05", fetched_at=fetched_at,
            mode="live"), "json")
    rows = collect_from_archive(archive, "futures_daily", DAY, DAY).rows.set_index("contract")
    assert rows.loc["BTCG26", "open_interest"] == 10212.0  # not the page's 9,876
    assert rows.loc["BTCH26", "open_interest"] == 4500.0  # not 4,321
    assert rows.loc["BTCJ26", "open_interest"] == 57.0  # the report has none: the page's
    assert rows["open_interest_source"].to_dict() == {"BTCG26": "volume_oi", "BTCH26": "volume_oi",
                                                      "BTCJ26": "settlements"}
    assert rows["settle"].tolist() == [64130.0, 64795.0, 65300.0]
    assert rows.loc["BTCJ26", "volume"] == 0.0  # the report's 0 over the page's '-'


def ok_pages(route_settlements, route_volume, **kw):
    route_settlements.mock(return_value=httpx.Response(200, json={"settlements": [], "tradeDate": "02/05/2026"}), **kw)
    route_volume.mock(return_value=httpx.Response(200, json={"monthData": [], "tradeDate": "20260205"}), **kw)


@respx.mock
def test_fetch_both_endpoints_of_both_products_with_params():
    btc, btc_vol = respx.get(BTC_URL), respx.get(BTC_VOLUME_URL)
    mbt, mbt_vol = respx.get(MBT_URL), respx.get(MBT_VOLUME_URL)
    ok_pages(btc, btc_vol)
    ok_pages(mbt, mbt_vol)
    out = cme_settlements.fetch(client(), DAY)
    assert [(f.endpoint, f.url) for f in out] == [("settlements", BTC_URL), ("volume_oi", BTC_VOLUME_URL),
                                                  ("settlements", MBT_URL), ("volume_oi", MBT_VOLUME_URL)]
    params = dict(btc.calls[0].request.url.params)
    assert params.pop("_t").isdigit()
    assert params == {"strategy": "DEFAULT", "tradeDate": "02/05/2026", "pageSize": "500", "isProtected": ""}
    params = dict(btc_vol.calls[0].request.url.params)
    assert params.pop("_t").isdigit()
    assert params == {"tradeDate": "20260205", "pageSize": "500", "isProtected": ""}
    assert mbt.call_count == mbt_vol.call_count == 1
    assert cme_settlements.fetch(client(), date(2026, 2, 7)) == []  # Saturday: no request


@respx.mock
def test_fetch_retry_then_success_and_give_up():
    ok = httpx.Response(200, json={"settlements": [], "tradeDate": "02/05/2026"})
    respx.get(BTC_URL).mock(side_effect=[httpx.Response(503), httpx.Response(429), ok])
    respx.get(MBT_URL).mock(return_value=ok)
    for url in (BTC_VOLUME_URL, MBT_VOLUME_URL):
        respx.get(url).mock(return_value=httpx.Response(200, json={"monthData": [], "tradeDate": "20260205"}))
    assert len(cme_settlements.fetch(client(), DAY)) == 4
    respx.get(BTC_URL).mock(side_effect=None, return_value=httpx.Response(500))
    with pytest.raises(FetchError) as err:
        cme_settlements.fetch(client(attempts=2), DAY)
    assert err.value.source == "cme-settlements" and err.value.status == 500


@respx.mock
@pytest.mark.parametrize("blocked", ["settlements", "volume_oi"])
def test_fetch_bot_block_page_with_200_is_a_fetch_error(blocked):
    ok_pages(respx.get(BTC_URL), respx.get(BTC_VOLUME_URL))
    denied = httpx.Response(200, text=(FIXTURES / "cme_akamai_denied.html").read_text())
    respx.get(BTC_URL if blocked == "settlements" else BTC_VOLUME_URL).mock(return_value=denied)
    with pytest.raises(FetchError, match="not JSON"):
        cme_settlements.fetch(client(), DAY)
