from datetime import date
from pathlib import Path

import httpx
import pandas as pd
import pytest
import respx

from pipelines.archive import PayloadMeta
from pipelines.demo.render import ishares as render_ishares
from pipelines.sources import ishares
from pipelines.sources.base import ParseError
from pipelines.sources.http import FetchError, HttpClient, RetryPolicy

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ishares"


def meta(endpoint, partition="2026-02-05"):
    return PayloadMeta(source="ishares", endpoint=endpoint, url=ishares.ENDPOINTS.get(endpoint, ""),
                       partition=partition)


def parse_fixture(name, endpoint, **kw):
    return ishares.parse((FIXTURES / name).read_bytes(), meta(endpoint, **kw)).rows


def client(attempts=3):
    return HttpClient("ishares", rate_per_second=1000, retry=RetryPolicy(attempts=attempts), sleep=lambda s: None)


def test_holdings_csv_shares_btc_and_derived_nav():
    rows = parse_fixture("ishares_holdings_btc_and_cash.csv", "holdings_csv", partition="2026-02-06")
    assert len(rows) == 1
    row = rows.iloc[0]
    assert row["trade_date"] == date(2026, 2, 5)  # the file's as-of date, not the fetch date
    assert (row["ticker"], row["source"]) == ("IBIT", "ishares")
    assert row["shares_outstanding"] == 1_450_000_000
    assert row["btc_held"] == 817_092.857
    assert row["nav_usd"] == pytest.approx((52_199_000_000 + 1_000_000) / 1_450_000_000, rel=1e-12)


def test_holdings_csv_without_data_is_no_rows():
    assert parse_fixture("ishares_holdings_no_data_dash.csv", "holdings_csv").empty


def test_holdings_json_btc_quantity_after_bom():
    rows = parse_fixture("ishares_ibit_holdings_with_bom.json", "holdings_json")
    row = rows.iloc[0]
    assert row["trade_date"] == date(2026, 2, 5) and row["btc_held"] == 817092.857
    assert pd.isna(row["nav_usd"]) and pd.isna(row["shares_outstanding"])


def test_fund_xls_historical_nav_and_shares():
    rows = parse_fixture("ishares_fund_historical_spreadsheetml.xls", "fund_xls").set_index("trade_date")
    assert list(rows.index) == [date(2026, 2, 5), date(2026, 2, 4), date(2026, 2, 3)]
    assert rows.loc[date(2026, 2, 5), "nav_usd"] == 36.0
    assert rows.loc[date(2026, 2, 5), "shares_outstanding"] == 1_450_000_000
    assert rows.loc[date(2026, 2, 4), "shares_outstanding"] == 1_448_200_000  # after an ss:Index skip
    assert rows.loc[[date(2026, 2, 3)], ["nav_usd", "shares_outstanding"]].isna().all().all()
    assert rows["btc_held"].isna().all()


def test_fund_xls_utf16_with_bom():
    rows = parse_fixture("ishares_fund_historical_utf16_bom.xls", "fund_xls")
    assert list(rows["trade_date"]) == [date(2026, 2, 5)] and rows["nav_usd"].iloc[0] == 36.0


def test_unknown_endpoint_sniffs_the_format():
    assert ishares.parse((FIXTURES / "ishares_fund_historical_utf16_bom.xls").read_bytes(),
                         meta("")).rows["nav_usd"].iloc[0] == 36.0
    assert ishares.parse((FIXTURES / "ishares_holdings_btc_and_cash.csv").read_bytes(),
                         meta("")).rows["btc_held"].iloc[0] == 817_092.857


@pytest.mark.parametrize("name, endpoint, field", [
    ("ishares_holdings_no_table.csv", "holdings_csv", "Ticker"),
    ("ishares_holdings_bad_shares.csv", "holdings_csv", "Shares Outstanding"),
    ("ishares_holdings_bad_date.csv", "holdings_csv", "Fund Holdings as of"),
    ("ishares_json_short_row.json", "holdings_json", "aaData[0]"),
    ("ishares_json_html_body.json", "holdings_json", "aaData"),
    ("ishares_fund_no_historical_sheet.xls", "fund_xls", "Historical"),
    ("ishares_fund_bad_nav.xls", "fund_xls", "NAV per Share (Feb 05, 2026)"),
    ("ishares_fund_no_as_of_header.xls", "fund_xls", "As Of"),
])
def test_malformed_payloads_raise_parse_error_naming_the_field(name, endpoint, field):
    with pytest.raises(ParseError) as err:
        parse_fixture(name, endpoint)
    assert err.value.field == field and err.value.source == "ishares"


def test_json_needs_a_partition():
    with pytest.raises(ParseError) as err:
        parse_fixture("ishares_ibit_holdings_with_bom.json", "holdings_json", partition="")
    assert err.value.field == "partition"


def canonical():
    return {"etf_fund_daily": pd.DataFrame([
        {"trade_date": date(2026, 2, 5), "ticker": "IBIT", "shares_outstanding": 1_448_200_000.0,
         "nav_usd": 36.0312345678, "btc_held": 817_092.857123, "source": "ishares"},
        {"trade_date": date(2026, 2, 4), "ticker": "IBIT", "shares_outstanding": 1_450_000_000.0,
         "nav_usd": 40.17, "btc_held": None, "source": "ishares"},
        {"trade_date": date(2026, 2, 5), "ticker": "FBTC", "shares_outstanding": 1.0, "nav_usd": 1.0,
         "btc_held": 1.0, "source": "ishares"},
    ])}


@pytest.mark.parametrize("day", [date(2026, 2, 5), date(2026, 2, 4)])
def test_render_parse_round_trip(day):
    data = canonical()
    [fetched] = render_ishares.render(data, day)
    assert fetched.endpoint == "holdings_csv" and fetched.params["asOfDate"] == day.strftime("%Y%m%d")
    assert fetched.data == render_ishares.render(data, day)[0].data
    rows = ishares.parse(fetched.data, meta("holdings_csv", partition=day.isoformat())).rows
    want = data["etf_fund_daily"]
    want = want[(want["trade_date"] == day) & (want["ticker"] == "IBIT")].reset_index(drop=True)
    numeric = {c: float for c in ("shares_outstanding", "nav_usd", "btc_held")}
    pd.testing.assert_frame_equal(rows.astype(numeric), want.astype(numeric), check_dtype=False, rtol=1e-9)


def test_render_nothing_on_a_holiday_or_without_rows():
    assert render_ishares.render(canonical(), date(2026, 1, 19)) == []
    assert render_ishares.render(canonical(), date(2026, 2, 6)) == []


@respx.mock
def test_fetch_csv_as_of_day_xls_and_json_only_today():
    csv_route = respx.get(ishares.ENDPOINTS["holdings_csv"]).mock(return_value=httpx.Response(200, text="x"))
    xls_route = respx.get(ishares.ENDPOINTS["fund_xls"]).mock(return_value=httpx.Response(200, text="x"))
    json_route = respx.get(ishares.ENDPOINTS["holdings_json"]).mock(return_value=httpx.Response(200, text="{}"))
    past = ishares.fetch(client(), date(2026, 2, 5), today=date(2026, 2, 9))
    assert [f.endpoint for f in past] == ["holdings_csv", "fund_xls"] and json_route.call_count == 0
    params = dict(csv_route.calls[0].request.url.params)
    assert params == {"fileType": "csv", "fileName": "IBIT_holdings", "dataType": "fund", "asOfDate": "20260205"}
    assert xls_route.calls[0].request.url.params["fileType"] == "xls"
    now = ishares.fetch(client(), date(2026, 2, 9), today=date(2026, 2, 9))
    assert [f.ext for f in now] == ["csv", "xls", "json"]
    assert dict(json_route.calls[0].request.url.params) == {"tab": "all", "fileType": "json"}


@respx.mock
def test_fetch_retries_then_succeeds_and_gives_up():
    route = respx.get(ishares.ENDPOINTS["holdings_csv"]).mock(
        side_effect=[httpx.Response(429), httpx.Response(503), httpx.Response(200, text="ok")])
    respx.get(ishares.ENDPOINTS["fund_xls"]).mock(return_value=httpx.Response(200, text="x"))
    fetched = ishares.fetch(client(), date(2026, 2, 5), today=date(2026, 2, 9))
    assert route.call_count == 3 and fetched[0].data == b"ok"
    respx.get(ishares.ENDPOINTS["holdings_csv"]).mock(return_value=httpx.Response(500))
    with pytest.raises(FetchError) as err:
        ishares.fetch(client(attempts=2), date(2026, 2, 5), today=date(2026, 2, 9))
    assert err.value.status == 500 and "asOfDate=20260205" in err.value.url
