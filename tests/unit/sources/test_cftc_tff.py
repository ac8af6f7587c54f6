import json
from datetime import date
from pathlib import Path

import httpx
import pandas as pd
import pytest
import respx

from pipelines.archive import PayloadMeta
from pipelines.demo.render import cftc_tff as render_cftc
from pipelines.sources import cftc_tff
from pipelines.sources.base import ParseError
from pipelines.sources.http import FetchError, HttpClient, RetryPolicy

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cftc-tff"
URL = "https://publicreporting.cftc.gov/resource/gpe5-46if.json"
META = PayloadMeta(source="cftc-tff", endpoint="tff_futures_only", url=URL, partition="2026-02-06")
CATEGORIES = ["dealer", "asset_manager", "leveraged_funds", "other", "nonreportable"]


def parse_fixture(name):
    return cftc_tff.parse((FIXTURES / name).read_bytes(), META).rows


def client(attempts=3):
    return HttpClient("cftc-tff", rate_per_second=1000, retry=RetryPolicy(attempts=attempts),
                      sleep=lambda s: None)


def test_one_row_per_category_with_strings_as_numbers():
    rows = parse_fixture("cftc_btc_and_micro_strings.json")
    assert len(rows) == 10
    btc = rows[rows["market_code"] == "133741"].set_index("category")
    assert list(btc.index) == CATEGORIES
    assert btc.loc["leveraged_funds", "short_contracts"] == 24410.0
    assert btc.loc["dealer", "long_contracts"] == 12001.0
    assert btc.loc["nonreportable", "short_contracts"] == 1870.0
    assert (btc["open_interest"] == 31250.0).all()
    assert set(btc["report_date"]) == {date(2026, 2, 3)}
    micro = rows[rows["market_code"] == "133742"].set_index("category")
    assert micro.loc["asset_manager", "long_contracts"] == 0.0  # a reported zero stays zero
    assert set(rows["source"]) == {"cftc-tff"}


def test_leading_zero_code_stays_a_string_and_omitted_fields_are_null():
    rows = parse_fixture("cftc_leading_zero_code_and_omitted_nulls.json").set_index("category")
    assert set(rows["market_code"]) == {"043602"}
    assert pd.isna(rows.loc["asset_manager", "short_contracts"])
    assert rows.loc["asset_manager", "long_contracts"] == 2155592.0
    assert set(rows["report_date"]) == {date(2025, 11, 10)}  # a Monday as-of date (Veterans Day week)


@pytest.mark.parametrize("name, field", [
    ("cftc_socrata_error.json", "message"),
    ("cftc_bad_number.json", "lev_money_positions_short"),
    ("cftc_missing_report_date.json", "report_date_as_yyyy_mm_dd"),
    ("cftc_bad_report_date.json", "report_date_as_yyyy_mm_dd"),
])
def test_malformed_bodies_raise_parse_error_naming_the_field(name, field):
    with pytest.raises(ParseError) as err:
        parse_fixture(name)
    assert err.value.field == field and err.value.source == "cftc-tff"


def test_release_date_is_the_friday_or_the_next_trading_day():
    assert cftc_tff.release_date(date(2026, 2, 3)) == date(2026, 2, 6)
    assert cftc_tff.release_date(date(2025, 11, 10)) == date(2025, 11, 14)
    assert cftc_tff.release_date(date(2025, 6, 17)) == date(2025, 6, 20)
    assert cftc_tff.release_date(date(2026, 6, 16)) == date(2026, 6, 22)  # Friday 19 Jun 2026 is Juneteenth


@respx.mock
def test_fetch_pages_with_where_order_limit_offset():
    page = lambda n: [{"cftc_contract_market_code": "133741", "report_date_as_yyyy_mm_dd": "2026-02-03T00:00:00.000"}] * n
    route = respx.get(URL).mock(side_effect=[httpx.Response(200, json=page(2)), httpx.Response(200, json=page(1))])
    fetched = cftc_tff.fetch(client(), date(2026, 2, 6), page_size=2)
    assert route.call_count == 2 and len(fetched) == 2
    first, second = (dict(c.request.url.params) for c in route.calls)
    assert first["$where"] == ("cftc_contract_market_code in('133741','133742') AND "
                               "report_date_as_yyyy_mm_dd >= '2026-01-30T00:00:00.000' AND "
                               "report_date_as_yyyy_mm_dd <= '2026-02-06T00:00:00.000'")
    assert first["$order"] == "report_date_as_yyyy_mm_dd,cftc_contract_market_code"
    assert (first["$limit"], first["$offset"], second["$offset"]) == ("2", "0", "2")
    assert fetched[1].params["$offset"] == "2"


@respx.mock
def test_fetch_retries_then_succeeds_and_gives_up():
    route = respx.get(URL).mock(side_effect=[httpx.Response(429), httpx.Response(503), httpx.Response(200, json=[])])
    [fetched] = cftc_tff.fetch(client(), date(2026, 2, 6))
    assert route.call_count == 3 and fetched.data == b"[]"
    respx.get(URL).mock(return_value=httpx.Response(502))
    with pytest.raises(FetchError) as err:
        cftc_tff.fetch(client(attempts=2), date(2026, 2, 6))
    assert err.value.status == 502 and err.value.attempts == 2


def canonical_cot():
    records = []
    for report_date, oi in ((date(2026, 1, 27), 30001.0), (date(2026, 2, 3), 31250.0)):
        for code in ("133741", "133742"):
            for i, category in enumerate(CATEGORIES):
                records.append({"report_date": report_date, "market_code": code, "category": category,
                                "long_contracts": 1000.0 * i + (7 if code == "133742" else 0),
                                "short_contracts": None if (category == "other" and code == "133742") else 500.0 + i,
                                "open_interest": oi, "source": "cftc-tff"})
    return pd.DataFrame(records)


def test_render_parse_round_trip():
    canonical = {"cot_positions": canonical_cot()}
    day = date(2026, 2, 6)
    [fetched] = render_cftc.render(canonical, day)
    assert fetched.data == render_cftc.render(canonical, day)[0].data
    body = json.loads(fetched.data)
    assert len(body) == 2 and body[0]["open_interest_all"] == "31250"
    assert "other_rept_positions_short" not in body[1]  # a null is left out, as Socrata does
    rows = cftc_tff.parse(fetched.data, META).rows
    want = canonical["cot_positions"]
    want = want[want["report_date"] == date(2026, 2, 3)].reset_index(drop=True)
    pd.testing.assert_frame_equal(rows, want, check_dtype=False)
    assert render_cftc.render(canonical, date(2026, 2, 5)) == []  # Thursday: nothing released
    assert len(json.loads(render_cftc.render(canonical, date(2026, 1, 30))[0].data)) == 2
