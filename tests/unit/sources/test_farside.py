from datetime import date
from pathlib import Path

import httpx
import pandas as pd
import pytest
import respx

from pipelines.archive import PayloadMeta
from pipelines.demo.render import farside as render_farside
from pipelines.sources import farside
from pipelines.sources.base import ParseError
from pipelines.sources.http import FetchError, HttpClient, RetryPolicy

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "farside"
URL = farside.ENDPOINTS["all_data"]


def meta(partition="2024-01-18", endpoint="all_data"):
    return PayloadMeta(source="farside", endpoint=endpoint, url=URL, partition=partition)


def parse_fixture(name, **kw):
    return farside.parse((FIXTURES / name).read_bytes(), meta(**kw)).rows


def flow(rows, day, ticker):
    match = rows[(rows["trade_date"] == day) & (rows["ticker"] == ticker)]
    assert len(match) == 1, (day, ticker)
    value = match["flow_usd"].iloc[0]
    return None if pd.isna(value) else value


def client(attempts=3):
    return HttpClient("farside", rate_per_second=1000, retry=RetryPolicy(attempts=attempts),
                      sleep=lambda s: None)


def test_negatives_thousands_dash_and_zero_kept_apart():
    rows = parse_fixture("farside_negative_and_dash.html")
    assert list(rows.columns) == ["trade_date", "ticker", "flow_usd", "source", "reported_date"]
    assert flow(rows, date(2024, 1, 11), "IBIT") == 120_400_000
    assert flow(rows, date(2024, 1, 11), "GBTC") == -90_200_000
    assert flow(rows, date(2024, 1, 12), "IBIT") == 1_250_500_000
    assert flow(rows, date(2024, 1, 12), "GBTC") == -1_480_100_000
    assert flow(rows, date(2024, 1, 12), "FBTC") == 0.0  # a reported zero
    assert flow(rows, date(2024, 1, 16), "FBTC") is None  # '-' = no figure
    assert flow(rows, date(2024, 1, 11), "BTC") is None  # fund not launched yet
    assert set(rows["source"]) == {"farside"}
    assert set(rows["reported_date"]) == {date(2024, 1, 18)}


def test_trailers_and_total_column_dropped():
    rows = parse_fixture("farside_negative_and_dash.html")
    assert set(rows["ticker"]) == {"IBIT", "FBTC", "GBTC", "BTC"}
    assert all(isinstance(d, date) for d in rows["trade_date"])


def test_holiday_row_dropped_but_all_dash_trading_day_kept_null():
    rows = parse_fixture("farside_negative_and_dash.html")
    days = set(rows["trade_date"])
    assert date(2024, 1, 15) not in days  # MLK Day: NYSE closed, Total 0.0 is not a figure
    today = rows[rows["trade_date"] == date(2024, 1, 17)]
    assert len(today) == 4 and today["flow_usd"].isna().all()  # not reported yet


def test_unknown_fund_kept_with_warning():
    with pytest.warns(UserWarning, match="NEWX"):
        rows = parse_fixture("farside_unknown_fund.html", partition="2026-02-06")
    assert flow(rows, date(2026, 2, 5), "NEWX") == 12_500_000
    assert flow(rows, date(2026, 2, 5), "IBIT") == -175_300_000
    assert "Total" not in set(rows["ticker"])


@pytest.mark.parametrize("name, field", [
    ("farside_challenge_page.html", "Date"),
    ("farside_bad_number.html", "IBIT on 05 Feb 2026"),
    ("farside_bad_date.html", "Date"),
    ("farside_short_row.html", "FBTC"),
])
def test_malformed_pages_raise_parse_error_naming_the_field(name, field):
    with pytest.raises(ParseError) as err:
        parse_fixture(name)
    assert err.value.field == field
    assert err.value.source == "farside"


# The three multi-row header fixtures hold the same body: the flows below (US$ millions, from the
# fixtures' cells; None = '-').
LAYOUT_FUNDS = ("IBIT", "FBTC", "BITB", "ARKB", "BTCO", "EZBC", "BRRR", "HODL", "BTCW", "GBTC", "BTC")
LAYOUT_FLOWS_MUSD = {
    date(2026, 2, 2): (142.7, 153.3, 12.0, -8.4, 0.0, 0.0, None, 3.1, 0.0, -20.5, 5.2),
    date(2026, 2, 3): (-60.2, 11.9, 0.0, -15.0, 0.0, 0.0, 0.0, 0.0, 0.0, -45.1, 0.0),
    date(2026, 2, 4): (-373.4, -120.5, -12.3, -30.0, -4.4, 0.0, 0.0, -9.9, 0.0, -80.8, -10.0),
    date(2026, 2, 5): (-2100.0, -433.7, -50.2, -61.1, 0.0, -7.5, -3.3, -20.0, 0.0, -210.4, -44.0),
    date(2026, 2, 6): (231.6, 1045.0, 40.0, 22.2, 3.3, 0.0, 0.0, 8.8, 1.1, -15.0, 12.5),
}


@pytest.mark.parametrize("name", [
    "farside_header_issuers_tickers_fee_thead.html",  # issuers / tickers / Fee in <thead>, no Date label
    "farside_header_date_on_ticker_row.html",  # issuers above `Date | IBIT ... | Total`, Fee below
    "farside_header_tickers_first_no_thead.html",  # tickers first, issuers and Fee below, all <td>
])
def test_multi_row_headers_give_the_same_rows(name):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every ticker is a known fund: no 'unknown fund' warning
        rows = parse_fixture(name, partition="2026-02-09")
    assert list(rows["ticker"].unique()) == list(LAYOUT_FUNDS)  # issuer names, Fee and Total are not funds
    assert len(rows) == len(LAYOUT_FLOWS_MUSD) * len(LAYOUT_FUNDS)
    for day, values in LAYOUT_FLOWS_MUSD.items():
        for ticker, musd in zip(LAYOUT_FUNDS, values):
            assert flow(rows, day, ticker) == (None if musd is None else round(musd * 1e6)), (day, ticker)


def test_date_on_the_issuer_row_spanned_issuer_seed_row_and_sept_dates():
    rows = parse_fixture("farside_header_date_on_issuer_row_colspan_seed.html", partition="2025-09-04")
    assert list(rows["ticker"].unique()) == ["IBIT", "FBTC", "BITB", "GBTC", "BTC"]
    assert set(rows["trade_date"]) == {date(2025, 9, 2), date(2025, 9, 3)}  # Labor Day's '-' row dropped
    assert flow(rows, date(2025, 9, 2), "IBIT") == -68_300_000
    assert flow(rows, date(2025, 9, 2), "BTC") is None
    assert flow(rows, date(2025, 9, 3), "IBIT") == 1_045_000_000
    assert flow(rows, date(2025, 9, 3), "BTC") == 5_500_000  # the spanned Grayscale cell is two columns


@pytest.mark.parametrize("text, day", [
    ("11 Jan 2024", date(2024, 1, 11)), ("02 Sept 2025", date(2025, 9, 2)), ("2 September 2025", date(2025, 9, 2)),
    ("05 FEB 2026", date(2026, 2, 5)), ("31 Feb 2026", None), ("11 Janu 2024", None), ("2026-02-05", None),
])
def test_parse_day(text, day):
    assert farside.parse_day(text) == day


@pytest.mark.parametrize("name, field, words", [
    ("farside_challenge_page.html", "Date", "bot-challenge"),
    ("farside_layout_changed_no_fund_header.html", "header", "2 dated row(s) but no header row names the funds"),
    ("farside_layout_changed_iso_dates.html", "Date", "names the funds (IBIT, FBTC, GBTC, ...) but no row is dated"),
])
def test_a_changed_layout_is_told_apart_from_a_challenge_page(name, field, words):
    with pytest.raises(ParseError) as err:
        parse_fixture(name)
    assert err.value.field == field and words in err.value.what
    assert ("layout changed" in err.value.what) == (name != "farside_challenge_page.html")


def test_a_blank_ticker_cell_that_is_not_the_total_column_is_a_layout_change():
    page = (b"<table><tr><th></th><th>IBIT</th><th></th><th>FBTC</th><th>Total</th></tr>"
            b"<tr><td>05 Feb 2026</td><td>1.0</td><td>2.0</td><td>3.0</td><td>6.0</td></tr></table>")
    with pytest.raises(ParseError, match="header column 3 has no ticker") as err:
        farside.parse(page, meta())
    assert err.value.field == "header"


def canonical_flows():
    days = [date(2026, 2, 2), date(2026, 2, 3), date(2026, 2, 4), date(2026, 2, 5)]
    values = {
        "IBIT": [-175_300_000, 1_045_000_000, 0.0, -2_100_000_000],
        "FBTC": [12_300_000, None, -100_000, 600_000],
        "NEWX": [0.0, 100_000, 200_000, 300_000],
    }
    records = [
        {"trade_date": d, "ticker": t, "flow_usd": v[i], "source": "farside", "reported_date": None}
        for t, v in values.items() for i, d in enumerate(days)
    ]
    records.append({"trade_date": days[0], "ticker": "IBIT", "flow_usd": 5e6, "source": "other",
                    "reported_date": None})
    records.append({"trade_date": date(2026, 1, 1), "ticker": "IBIT", "flow_usd": 1e6,
                    "source": "farside", "reported_date": None})  # outside the 3-week window
    return pd.DataFrame(records)


def test_render_parse_round_trip():
    canonical = {"etf_flows": canonical_flows()}
    day = date(2026, 2, 6)
    [fetched] = render_farside.render(canonical, day)
    assert fetched.endpoint == "all_data" and fetched.ext == "html"
    assert render_farside.render(canonical, day)[0].data == fetched.data  # deterministic
    text = fetched.data.decode()
    assert "(2,100.0)" in text and "1,045.0" in text and "<td><span class=\"tabletext\">-</span>" in text
    with pytest.warns(UserWarning):
        rows = farside.parse(fetched.data, meta(partition=day.isoformat())).rows
    expected = canonical["etf_flows"]
    expected = expected[(expected["source"] == "farside") & (expected["trade_date"] >= date(2026, 1, 16))]
    got = rows.set_index(["trade_date", "ticker"]).sort_index()
    want = expected.set_index(["trade_date", "ticker"]).sort_index()
    assert list(got.index) == list(want.index)
    pd.testing.assert_series_equal(got["flow_usd"].astype(float), want["flow_usd"].astype(float),
                                   check_names=False, rtol=1e-9)
    assert set(rows["reported_date"]) == {day}


def test_render_nothing_before_first_flow():
    assert render_farside.render({"etf_flows": canonical_flows()}, date(2025, 6, 1)) == []


@respx.mock
def test_fetch_all_data_page():
    route = respx.get(URL).mock(return_value=httpx.Response(
        200, content=(FIXTURES / "farside_negative_and_dash.html").read_bytes(),
        headers={"content-type": "text/html"}))
    [fetched] = farside.fetch(client(), date(2024, 1, 18))
    assert route.call_count == 1
    assert fetched.url == URL and fetched.endpoint == "all_data" and fetched.ext == "html"
    assert b"11 Jan 2024" in fetched.data


@respx.mock
def test_fetch_retries_429_and_5xx_then_succeeds():
    body = (FIXTURES / "farside_unknown_fund.html").read_bytes()
    route = respx.get(URL).mock(side_effect=[
        httpx.Response(429, headers={"Retry-After": "1"}), httpx.Response(503), httpx.Response(200, content=body)])
    [fetched] = farside.fetch(client(), date(2026, 2, 6))
    assert route.call_count == 3 and fetched.data == body


@respx.mock
def test_fetch_gives_up_after_retries():
    respx.get(URL).mock(return_value=httpx.Response(503))
    with pytest.raises(FetchError) as err:
        farside.fetch(client(attempts=2), date(2026, 2, 6))
    assert err.value.status == 503 and err.value.attempts == 2


@respx.mock
@pytest.mark.parametrize("name, words", [
    ("farside_challenge_page.html", "no flow table"),
    ("farside_layout_changed_no_fund_header.html", "the page layout changed"),
])
def test_fetch_of_a_challenge_or_changed_page_is_a_failed_fetch(name, words):
    respx.get(URL).mock(return_value=httpx.Response(200, content=(FIXTURES / name).read_bytes()))
    http = client()
    with pytest.raises(FetchError, match=words):
        farside.fetch(http, date(2026, 2, 6))
    assert [r.content for r in http.responses] == [(FIXTURES / name).read_bytes()]  # kept for the archive
