import hashlib
from datetime import date, datetime
from pathlib import Path

import httpx
import pandas as pd
import pytest
import respx

from pipelines.archive import PayloadMeta
from pipelines.datasets import DATASETS
from pipelines.demo.render import binance_oi as renderer
from pipelines.sources import binance_oi
from pipelines.sources.base import ParseError
from pipelines.sources.binance_common import new_york_day_ms
from pipelines.sources.http import FetchError, HttpClient, RetryPolicy

FIXTURES = Path(__file__).parents[2] / "fixtures" / "binance-oi"
HIST_URL = binance_oi.ENDPOINTS["openInterestHist"]
DAY = date(2026, 2, 5)  # New York day = 05:00 UTC Feb 5 .. 05:00 UTC Feb 6 (EST)


def meta(endpoint="openInterestHist", params=None):
    return PayloadMeta(source=binance_oi.NAME, endpoint=endpoint, url="https://example.invalid", params=params or {})


def parse_fixture(name, endpoint="openInterestHist"):
    return binance_oi.parse((FIXTURES / name).read_bytes(), meta(endpoint))


def client(attempts=3):
    return HttpClient(binance_oi.NAME, rate_per_second=0, retry=RetryPolicy(attempts=attempts), sleep=lambda s: None)


def test_hist_strings_ms_sorted_deduped_extra_fields_ignored():
    rows = parse_fixture("binance_oi_strings_ms.json").rows
    assert list(rows.columns) == DATASETS["perp_open_interest"].column_names
    assert list(rows["ts_utc"]) == [datetime(2026, 2, 5, 20), datetime(2026, 2, 5, 21)]
    assert rows["open_interest_base"].tolist() == [80111.0, 81234.567]
    assert rows["open_interest_usd"].iloc[1] == pytest.approx(5512345678.12345678, rel=1e-12)
    assert set(rows["venue"]) == {"Binance"} and set(rows["symbol"]) == {"BTCUSDT"}
    assert set(rows["source"]) == {"binance-oi"}


def test_metrics_zip_sorted_and_deduped():
    rows = parse_fixture("binance_oi_metrics_unordered_repeated.zip", "metrics").rows
    assert list(rows["ts_utc"]) == [datetime(2026, 2, 5, 0, 0), datetime(2026, 2, 5, 0, 5), datetime(2026, 2, 5, 0, 10)]
    assert rows["open_interest_base"].tolist() == [80400.0, 80450.5, 80500.123]
    assert rows["open_interest_usd"].iloc[2] == pytest.approx(5480001234.56)


@pytest.mark.parametrize(
    "name, endpoint, field",
    [
        ("binance_oi_error_code.json", "openInterestHist", "code"),
        ("binance_oi_missing_value.json", "openInterestHist", "sumOpenInterestValue"),
        ("binance_oi_bad_timestamp.json", "openInterestHist", "timestamp"),
        ("binance_oi_html_block.json", "openInterestHist", None),
        ("binance_oi_metrics_bad_header.zip", "metrics", "create_time"),
        ("binance_oi_metrics_not_a_zip.zip", "metrics", None),
    ],
)
def test_malformed_payloads_raise_parse_error_naming_the_field(name, endpoint, field):
    with pytest.raises(ParseError) as err:
        parse_fixture(name, endpoint)
    assert err.value.source == "binance-oi"
    assert err.value.field == field


def test_unknown_endpoint_is_a_parse_error():
    with pytest.raises(ParseError, match="unknown endpoint"):
        binance_oi.parse(b"[]", meta("openInterest"))


def test_render_parse_round_trip_keeps_the_new_york_day_only():
    stamps = pd.date_range("2026-02-05 03:00", "2026-02-06 06:00", freq="h")  # UTC, wider than the NY day
    canonical = pd.DataFrame({
        "ts_utc": stamps, "venue": "Binance", "symbol": "BTCUSDT",
        "open_interest_base": [80000 + i * 1.25 for i in range(len(stamps))],
        "open_interest_usd": [5.4e9 + i * 1234.56789 for i in range(len(stamps))],
        "source": "binance-oi",
    })
    other = canonical.assign(source="someone-else")
    full = {"perp_open_interest": pd.concat([canonical, other])}
    fetched = renderer.render(full, DAY)
    assert fetched == renderer.render(full, DAY)  # deterministic
    assert len(fetched) == 1 and fetched[0].endpoint == "openInterestHist"
    assert b'"sumOpenInterest":"80002.50000000"' in fetched[0].data  # 8 places, as Binance writes
    got = binance_oi.parse(fetched[0].data, meta(params=fetched[0].params)).rows
    want = canonical[(canonical["ts_utc"] >= "2026-02-05 05:00") & (canonical["ts_utc"] < "2026-02-06 05:00")]
    assert len(got) == 24
    assert list(got["ts_utc"]) == list(want["ts_utc"].dt.to_pydatetime())
    for col in ("open_interest_base", "open_interest_usd"):
        assert got[col].tolist() == pytest.approx(want[col].tolist(), rel=1e-9)
    assert renderer.render(full, date(2026, 3, 1)) == []


def page(start_ms, n, step_ms=3_600_000):
    return [{"symbol": "BTCUSDT", "sumOpenInterest": "1.0", "sumOpenInterestValue": "2.0",
             "timestamp": start_ms + i * step_ms} for i in range(n)]


@respx.mock
def test_fetch_window_params_and_paging():
    start_ms, end_ms = new_york_day_ms(DAY)
    assert (start_ms, end_ms) == (1770267600000, 1770354000000 - 1)
    first = page(start_ms, binance_oi.PAGE_LIMIT, step_ms=60)  # a full page -> ask for the rest
    route = respx.get(HIST_URL).mock(side_effect=[httpx.Response(200, json=first),
                                                  httpx.Response(200, json=page(start_ms + 30_000, 3))])
    out = binance_oi.fetch(client(), DAY, today=date(2026, 2, 6))
    assert len(out) == 2 and route.call_count == 2
    p1, p2 = (dict(c.request.url.params) for c in route.calls)
    assert p1 == {"symbol": "BTCUSDT", "period": "1h", "limit": "500",
                  "startTime": str(start_ms), "endTime": str(end_ms)}
    assert p2["startTime"] == str(start_ms + 499 * 60 + 1)
    assert out[0].data == route.calls[0].response.content and out[0].ext == "json"


@respx.mock
def test_fetch_retries_429_and_5xx_then_succeeds():
    route = respx.get(HIST_URL).mock(side_effect=[httpx.Response(429, headers={"Retry-After": "1"}),
                                                  httpx.Response(503), httpx.Response(200, json=page(0, 2))])
    out = binance_oi.fetch(client(), DAY, today=DAY)
    assert route.call_count == 3 and len(out) == 1


@respx.mock
def test_fetch_gives_up_with_fetch_error():
    respx.get(HIST_URL).mock(return_value=httpx.Response(502))
    with pytest.raises(FetchError) as err:
        binance_oi.fetch(client(attempts=2), DAY, today=DAY)
    assert err.value.source == "binance-oi" and err.value.status == 502 and err.value.attempts == 2


@respx.mock
def test_fetch_error_body_with_http_200_is_a_fetch_error():
    respx.get(HIST_URL).mock(return_value=httpx.Response(200, json={"code": -1130, "msg": "bad startTime"}))
    with pytest.raises(FetchError, match="bad startTime"):
        binance_oi.fetch(client(), DAY, today=DAY)


@respx.mock
def test_old_days_come_from_the_vision_archive_with_checksum():
    zip_bytes = (FIXTURES / "binance_oi_metrics_unordered_repeated.zip").read_bytes()
    digest = hashlib.sha256(zip_bytes).hexdigest()
    base = "https://data.binance.vision/data/futures/um/daily/metrics/BTCUSDT/BTCUSDT-metrics-"
    respx.get(base + "2026-02-05.zip").mock(return_value=httpx.Response(200, content=zip_bytes))
    respx.get(base + "2026-02-05.zip.CHECKSUM").mock(
        return_value=httpx.Response(200, text=f"{digest}  BTCUSDT-metrics-2026-02-05.zip\n"))
    respx.get(base + "2026-02-06.zip").mock(return_value=httpx.Response(404))
    out = binance_oi.fetch(client(), DAY, today=date(2026, 4, 1))
    assert [(f.endpoint, f.ext) for f in out] == [("metrics", "zip")]
    assert out[0].data == zip_bytes


@respx.mock
def test_vision_checksum_mismatch_is_a_fetch_error():
    base = "https://data.binance.vision/data/futures/um/daily/metrics/BTCUSDT/BTCUSDT-metrics-"
    respx.get(base + "2026-02-05.zip").mock(return_value=httpx.Response(200, content=b"zip"))
    respx.get(base + "2026-02-05.zip.CHECKSUM").mock(return_value=httpx.Response(200, text="00ff  x.zip"))
    with pytest.raises(FetchError, match="CHECKSUM"):
        binance_oi.fetch(client(), DAY, today=date(2026, 4, 1))


def test_a_bare_file_without_endpoint_is_recognised_by_its_bytes():
    zipped = parse_fixture("binance_oi_metrics_unordered_repeated.zip", "")
    listed = parse_fixture("binance_oi_strings_ms.json", "")
    assert len(zipped.rows) == 3 and len(listed.rows) == 2
