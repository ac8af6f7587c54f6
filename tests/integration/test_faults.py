"""Fault injection: each bad input leads to its documented outcome (docs/RELIABILITY.md).

HTTP faults go through respx into a real source fetch and the shared HttpClient (no sleeping);
payload faults go through the archive, the real parser and the raw asset in an in-process run.
"""
import json
import warnings
from datetime import date
from pathlib import Path

import httpx
import pandas as pd
import pytest
import respx

from pipelines.archive import Archive
from pipelines.datasets import DATASETS
from pipelines.ingest import IngestError, collect_from_archive
from pipelines.sources import binance_funding, farside
from pipelines.sources.base import ParseError
from pipelines.sources.http import FetchError, HttpClient, RetryPolicy
from pipelines.warehouse import Warehouse, add_lineage
from tests.unit.checks import helpers as h

pytestmark = pytest.mark.integration
DAY = date(2026, 2, 5)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FUNDING_URL = binance_funding.ENDPOINTS["fundingRate"]


def funding_body(day: date = DAY) -> bytes:
    from pipelines.demo.render import binance_funding as render

    (f,) = render.render(h.canonical(), day)
    return f.data


def client(sleeps: list | None = None) -> HttpClient:
    return HttpClient("binance-funding", rate_per_second=0, retry=RetryPolicy(attempts=3, base_delay_s=1.0),
                      sleep=(sleeps.append if sleeps is not None else (lambda s: None)))


# -- HTTP ----------------------------------------------------------------------------------------
@respx.mock
def test_http_429_is_retried_honouring_retry_after_then_succeeds():
    route = respx.get(FUNDING_URL).mock(side_effect=[
        httpx.Response(429, headers={"Retry-After": "7"}, text="too many requests"),
        httpx.Response(200, content=funding_body(), headers={"content-type": "application/json"}),
    ])
    sleeps = []
    with client(sleeps) as c:
        fetched = binance_funding.fetch(c, DAY)
    assert route.call_count == 2 and 7.0 in sleeps
    assert fetched and fetched[0].data == funding_body()


@respx.mock
def test_http_500_every_time_fails_after_the_retries_naming_source_url_and_status():
    route = respx.get(FUNDING_URL).mock(return_value=httpx.Response(500, text="internal error"))
    with client() as c, pytest.raises(FetchError) as err:
        binance_funding.fetch(c, DAY)
    assert route.call_count == 3
    msg = str(err.value)
    assert msg.startswith("binance-funding: fetch of ") and "HTTP 500 after 3 attempt(s)" in msg and "fundingRate" in msg


@respx.mock
def test_timeouts_are_retried_then_fail_clearly():
    route = respx.get(FUNDING_URL).mock(side_effect=httpx.ReadTimeout("read timed out"))
    with client() as c, pytest.raises(FetchError) as err:
        binance_funding.fetch(c, DAY)
    assert route.call_count == 3
    assert "no response after 3 attempt(s)" in str(err.value) and "ReadTimeout" in str(err.value)


@respx.mock
def test_a_timeout_then_success_recovers():
    respx.get(FUNDING_URL).mock(side_effect=[httpx.ConnectTimeout("connect timed out"),
                                             httpx.Response(200, content=funding_body())])
    with client() as c:
        assert len(binance_funding.fetch(c, DAY)) == 1


@respx.mock
def test_html_where_json_was_expected_fails_the_fetch():
    respx.get(FUNDING_URL).mock(return_value=httpx.Response(
        200, text="<html><body>Just a moment...</body></html>", headers={"content-type": "text/html"}))
    with client() as c, pytest.raises(FetchError) as err:
        binance_funding.fetch(c, DAY)
    assert "binance-funding" in str(err.value) and "not JSON" in str(err.value)


# -- payloads in the archive -------------------------------------------------------------------
def test_html_where_json_was_expected_in_the_archive_is_a_parse_error(tmp_path):
    archive = Archive(tmp_path / "archive")
    path = h.write_raw_payload(archive, "binance-funding", DAY, b"<!DOCTYPE html><html>blocked</html>", "json",
                               endpoint="fundingRate")
    with pytest.raises(IngestError) as err:
        collect_from_archive(archive, "funding_rates", DAY, DAY)
    assert "binance-funding: cannot parse payload in " + str(path) in str(err.value) and "not JSON" in str(err.value)


def test_truncated_body_is_a_parse_error_naming_the_file(tmp_path):
    archive = Archive(tmp_path / "archive")
    body = funding_body()
    path = h.write_raw_payload(archive, "binance-funding", DAY, body[: len(body) // 2], "json", endpoint="fundingRate")
    with pytest.raises(IngestError) as err:
        collect_from_archive(archive, "funding_rates", DAY, DAY)
    assert str(path) in str(err.value) and "not JSON" in str(err.value)


def _in_seconds(body: bytes) -> bytes:
    rows = json.loads(body)
    return json.dumps([dict(r, fundingTime=int(r["fundingTime"]) // 1000) for r in rows]).encode()


def test_funding_times_in_seconds_fail_the_window_naming_source_file_and_field(tmp_path):
    """Before, these rows were dated January 1970, dropped by the window filter, and the window was
    written empty with exit code 0."""
    from pipelines.sources.binance_common import new_york_day_ms

    archive = Archive(tmp_path / "archive")
    start_ms, end_ms = new_york_day_ms(DAY)
    seconds = _in_seconds(funding_body())
    with_request = h.write_raw_payload(archive, "binance-funding", DAY, seconds, "json", endpoint="fundingRate",
                                       params={"symbol": "BTCUSDT", "startTime": start_ms, "endTime": end_ms})
    with pytest.raises(IngestError) as err:
        collect_from_archive(archive, "funding_rates", DAY, DAY)
    assert (f"binance-funding: cannot parse payload in {with_request} (field 'fundingTime'): 3 row(s) outside "
            "the requested window") in str(err.value)
    # A payload that does not say what it asked for is still refused: its rows predate bitcoin.
    bare = Archive(tmp_path / "bare")
    path = h.write_raw_payload(bare, "binance-funding", DAY, seconds, "json", endpoint="fundingRate")
    with pytest.raises(IngestError) as err:
        collect_from_archive(bare, "funding_rates", DAY, DAY)
    assert (f"binance-funding: payload {path} (field 'ts_utc'): 3 row(s) dated before 2009-01-03 (first: "
            "1970-01-21 ") in str(err.value)


def test_an_empty_day_writes_no_rows_and_passes_its_check(tmp_path):
    archive = Archive(tmp_path / "archive")
    h.write_raw_payload(archive, "binance-funding", DAY, b"[]", "json", endpoint="fundingRate")
    h.write_payloads(archive, "occ-volume", [date(2026, 2, 7)])  # a Saturday: "No record(s) found"
    res = h.resources(tmp_path)
    result = h.materialize([h.raw_asset("funding_rates"), h.raw_check("funding_rates"),
                            h.raw_asset("options_volume"), h.raw_check("options_volume")], res, DAY, date(2026, 2, 7))
    assert result.success, h.step_failures(result)
    assert all(ev.passed for ev in h.check_evaluations(result))
    with Warehouse(tmp_path / "btcflows.duckdb").reader() as con:
        assert con.execute("select count(*) from raw.funding_rates").fetchone()[0] == 0
        assert con.execute("select count(*) from raw.options_volume").fetchone()[0] == 0


def test_duplicate_rows_and_refetches_collapse_to_one_row_per_key(tmp_path):
    archive = Archive(tmp_path / "archive")
    rows = json.loads(funding_body())
    doubled = json.dumps(rows + rows).encode()  # every row twice in one payload
    h.write_raw_payload(archive, "binance-funding", DAY, doubled, "json", endpoint="fundingRate",
                        fetched="2026-02-06T05:30:00Z")
    revised = [dict(r, fundingRate="0.00042") if i == 0 else r for i, r in enumerate(rows)]
    h.write_raw_payload(archive, "binance-funding", DAY, json.dumps(revised).encode(), "json",
                        endpoint="fundingRate", fetched="2026-02-06T09:00:00Z")  # a later re-fetch revises one row
    res = h.resources(tmp_path)
    result = h.materialize([h.raw_asset("funding_rates"), h.raw_check("funding_rates")], res, DAY)
    assert result.success, h.step_failures(result)
    with Warehouse(tmp_path / "btcflows.duckdb").reader() as con:
        got = con.execute("select ts_utc, funding_rate from raw.funding_rates order by ts_utc").fetchall()
    assert len(got) == len(rows) == 3
    assert got[0][1] == pytest.approx(0.00042)  # the latest fetch wins


def test_utc_timestamps_in_the_dst_gap_hour_map_to_the_right_new_york_day():
    # 2026-03-08 02:00-03:00 New York does not exist; UTC data is unaffected: 06:30Z = 01:30 EST,
    # 07:30Z = 03:30 EDT, both on 03-08; 04:59Z = 23:59 EST the day before.
    ts = pd.to_datetime(["2026-03-08 04:59", "2026-03-08 05:00", "2026-03-08 06:30", "2026-03-08 07:00",
                         "2026-03-08 07:30", "2026-03-09 03:59", "2026-03-09 04:00"])
    frame = pd.DataFrame({"ts_utc": ts, "venue": "Binance", "symbol": "BTCUSDT", "funding_rate": 0.0001,
                          "source": "binance-funding"})
    parts = add_lineage(frame, DATASETS["funding_rates"], "binance-funding", "simulated", "x")["_partition"]
    assert list(parts) == [date(2026, 3, 7)] + [date(2026, 3, 8)] * 5 + [date(2026, 3, 9)]


# -- schema drift --------------------------------------------------------------------------------
def test_a_new_farside_fund_column_is_kept_as_a_new_ticker_with_a_warning():
    from pipelines.archive import PayloadMeta

    data = (FIXTURES / "farside" / "farside_unknown_fund.html").read_bytes()
    meta = PayloadMeta(source="farside", endpoint="all-data", url="", partition="2026-02-06")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parsed = farside.parse(data, meta)
    messages = [str(w.message) for w in caught]
    assert any("unknown fund column" in m for m in messages), messages
    new = [m.split("'")[1] for m in messages if "unknown fund column" in m]
    assert set(new) <= set(parsed.rows["ticker"])


def test_a_renamed_binance_field_is_a_parse_error_naming_the_field():
    from pipelines.archive import PayloadMeta

    renamed = funding_body().replace(b'"fundingRate"', b'"fundingRateValue"')
    meta = PayloadMeta(source="binance-funding", endpoint="fundingRate", url="", partition=DAY.isoformat())
    with pytest.raises(ParseError) as err:
        binance_funding.parse(renamed, meta)
    assert err.value.field == "fundingRate" and "(field 'fundingRate')" in str(err.value)


def test_a_dropped_csv_column_in_import_is_a_validation_error(tmp_path):
    from pipelines.files import ImportValidationError, validate_dir

    (tmp_path / "daily_bars.csv").write_text("trade_date,symbol,open,high,low,volume,source\n"
                                             "2026-02-05,IBIT,40,41,35,1000,yahoo\n")
    with pytest.raises(ImportValidationError) as err:
        validate_dir(tmp_path)
    assert "daily_bars.csv: line 1: required column 'close' is missing" in str(err.value)


# -- quarantine: a malformed payload in the archive ---------------------------------------------
def test_a_malformed_payload_fails_its_window_leaves_raw_unchanged_and_is_listed_as_bad(tmp_path, monkeypatch, capsys):
    from pipelines.cli import main
    from tests.unit.checks.helpers import table_hashes

    archive = Archive(tmp_path / "archive")
    days = [date(2026, 2, 4), DAY]
    h.write_payloads(archive, "binance-funding", days)
    res = h.resources(tmp_path)
    defs = [h.raw_asset("funding_rates"), h.raw_check("funding_rates")]
    assert h.materialize(defs, res, days[0], days[-1]).success
    before = table_hashes(tmp_path / "btcflows.duckdb", schemas=("raw",))
    assert before["raw.funding_rates"][0] == 6

    # A later fetch of DAY comes back with a renamed field.
    bad_body = funding_body(DAY).replace(b'"fundingRate"', b'"fundingRateValue"')
    bad = h.write_raw_payload(archive, "binance-funding", DAY, bad_body, "json", endpoint="fundingRate",
                              fetched="2026-02-06T12:00:00Z")
    result = h.materialize(defs, res, days[0], days[-1])
    # (a) the window fails with an error naming source, file and field
    assert not result.success
    (message,) = h.step_failures(result).values()
    assert "raw.funding_rates: 1 payload(s) failed, nothing written" in message
    assert f"binance-funding: cannot parse payload in {bad} (field 'fundingRate')" in message
    assert h.check_evaluations(result) == []  # the check did not run on a window that was not written
    # (b) the raw table is unchanged for that window
    assert table_hashes(tmp_path / "btcflows.duckdb", schemas=("raw",)) == before
    # (c) the payload stays in the archive and `btcflows archive --bad` lists it with the reason
    assert bad.exists() and Path(str(bad) + ".meta.json").exists()
    monkeypatch.setenv("BTCFLOWS_ARCHIVE", str(tmp_path / "archive"))
    main(["archive", "--bad"])
    out, err = capsys.readouterr()
    assert str(bad) in out and "(field 'fundingRate')" in out
    assert "1 payload(s)" in err
    main(["archive", "--source", "binance-funding"])
    assert str(bad) in capsys.readouterr().out
