from datetime import date
from pathlib import Path

import httpx
import pandas as pd
import pytest
import respx

from pipelines.archive import PayloadMeta
from pipelines.datasets import DATASETS
from pipelines.demo.render import occ_volume as renderer
from pipelines.sources import occ_volume
from pipelines.sources.base import ParseError
from pipelines.sources.http import FetchError, HttpClient, RetryPolicy

FIXTURES = Path(__file__).parents[2] / "fixtures" / "occ-volume"
URL = occ_volume.ENDPOINTS["volume-query"]
META = PayloadMeta(source=occ_volume.NAME, endpoint="volume-query", url=URL, params=occ_volume.request_params(date(2026, 2, 5)))
DAY = date(2026, 2, 5)


def parse_fixture(name):
    return occ_volume.parse((FIXTURES / name).read_bytes(), META).rows


def client(attempts=3):
    return HttpClient(occ_volume.NAME, rate_per_second=0, retry=RetryPolicy(attempts=attempts), sleep=lambda s: None)


def test_parse_halves_the_per_clearing_side_sum():
    rows = parse_fixture("occ_ibit_crlf_trailing_comma_both_sides.csv")
    assert list(rows.columns) == DATASETS["options_volume"].column_names
    got = dict(zip(rows["put_call"], rows["contracts"]))
    assert got == {"C": (2 * 120344 + 50000 + 25000 + 25000) / 2, "P": (2 * 88001 + 2 * 12) / 2}
    assert set(rows["trade_date"]) == {DAY} and set(rows["underlying"]) == {"IBIT"}
    assert set(rows["source"]) == {"occ-volume"}


def test_no_records_is_a_valid_empty_day():
    rows = parse_fixture("occ_no_records_holiday.txt")
    assert rows.empty and list(rows.columns) == DATASETS["options_volume"].column_names


@pytest.mark.parametrize("name, says", [
    ("occ_not_yet_published.txt", "Report date cannot be greater than 02/04/2026"),
    ("occ_aged_out.txt", "Report date cannot be prior to  2 years"),
    ("occ_maintenance_page.html", "HTML"),
])
def test_error_bodies_raise_parse_error_naming_the_message(name, says):
    with pytest.raises(ParseError) as err:
        parse_fixture(name)
    assert says in str(err.value) and err.value.source == "occ-volume" and err.value.field == "body"


@pytest.mark.parametrize("name, field", [
    ("occ_bad_porc.csv", "porc"),
    ("occ_bad_quantity.csv", "quantity"),
    ("occ_bad_actdate.csv", "actdate"),
    ("occ_short_row.csv", "line"),
])
def test_malformed_rows_raise_parse_error_naming_the_field(name, field):
    with pytest.raises(ParseError) as err:
        parse_fixture(name)
    assert err.value.field == field


def test_render_parse_round_trip_and_holiday_body():
    canonical = pd.DataFrame({
        "trade_date": [DAY, DAY, date(2026, 2, 4), date(2026, 2, 6)],
        "underlying": "IBIT", "put_call": ["P", "C", "C", "P"],
        "contracts": [123457.0, 987654.0, 5.0, 0.0], "source": "occ-volume",
    })
    full = {"options_volume": canonical}
    fetched = renderer.render(full, DAY)
    assert fetched == renderer.render(full, DAY)
    data = fetched[0].data
    assert data.endswith(b",\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    lines = data.decode().split("\r\n")[1:-1]
    assert len({line.split(",")[5] for line in lines}) > 1  # spread over exchanges
    got = occ_volume.parse(data, META).rows
    assert dict(zip(got["put_call"], got["contracts"])) == {"C": 987654.0, "P": 123457.0}
    zero = occ_volume.parse(renderer.render(full, date(2026, 2, 6))[0].data, META).rows
    assert zero["contracts"].tolist() == [0.0]  # a reported zero stays a row
    holiday = renderer.render(full, date(2026, 2, 16))
    assert holiday[0].data == b"No record(s) found" and occ_volume.parse(holiday[0].data, META).rows.empty


def test_render_half_contract_keeps_the_total():
    canonical = pd.DataFrame({"trade_date": [DAY], "underlying": "IBIT", "put_call": ["C"],
                              "contracts": [10.5], "source": "occ-volume"})
    got = occ_volume.parse(renderer.render({"options_volume": canonical}, DAY)[0].data, META).rows
    assert got["contracts"].tolist() == [10.5]


@respx.mock
def test_fetch_params_retry_then_success():
    body = (FIXTURES / "occ_ibit_crlf_trailing_comma_both_sides.csv").read_bytes()
    route = respx.get(URL).mock(side_effect=[httpx.Response(503), httpx.Response(200, content=body)])
    out = occ_volume.fetch(client(), DAY)
    assert route.call_count == 2 and out[0].data == body and out[0].ext == "csv"
    assert dict(route.calls[-1].request.url.params) == {
        "reportDate": "20260205", "format": "csv", "volumeQueryType": "O", "symbolType": "U", "symbol": "IBIT",
        "accountType": "ALL", "productKind": "ALL", "porc": "BOTH", "reportType": "D"}


@respx.mock
def test_fetch_keeps_no_records_and_rejects_error_bodies():
    respx.get(URL).mock(return_value=httpx.Response(200, text="No record(s) found"))
    assert occ_volume.fetch(client(), date(2026, 2, 16))[0].data == b"No record(s) found"
    respx.get(URL).mock(return_value=httpx.Response(200, text="Report date cannot be greater than 02/04/2026"))
    with pytest.raises(FetchError, match="cannot be greater"):
        occ_volume.fetch(client(), DAY)
    respx.get(URL).mock(return_value=httpx.Response(500))
    with pytest.raises(FetchError) as err:
        occ_volume.fetch(client(attempts=2), DAY)
    assert err.value.status == 500 and err.value.attempts == 2
