import itertools
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pandas as pd
import pytest
import respx

from pipelines.archive import PayloadMeta
from pipelines.demo.render import coinbase as render_coinbase
from pipelines.sources import coinbase
from pipelines.sources.base import ParseError
from pipelines.sources.http import FetchError, HttpClient, RetryPolicy

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "coinbase"
URL = "https://api.exchange.coinbase.com/products/BTC-USD/candles"
META = PayloadMeta(source="coinbase", endpoint="candles", url=URL, partition="2026-02-05")


def parse_fixture(name):
    return coinbase.parse((FIXTURES / name).read_bytes(), META).rows


def client(attempts=3):
    return HttpClient("coinbase", rate_per_second=1000, retry=RetryPolicy(attempts=attempts),
                      sleep=lambda s: None)


def test_newest_first_sorted_ascending_and_gap_left_missing():
    rows = parse_fixture("coinbase_newest_first_with_gap.json")
    assert list(rows["bar_start_utc"]) == [datetime(2026, 2, 5, 3), datetime(2026, 2, 5, 5), datetime(2026, 2, 5, 6)]
    last = rows.iloc[-1]
    # [time, low, high, open, close, volume]: low before high, open fourth
    assert (last["open"], last["high"], last["low"], last["close"]) == (72010.25, 72410.0, 71850.5, 72390.01)
    assert last["volume"] == pytest.approx(812.44120831)
    assert set(rows["symbol"]) == {"BTC-USD"} and set(rows["source"]) == {"coinbase"}
    assert rows["bar_start_utc"].iloc[0].tzinfo is None


def test_repeated_bucket_is_deduped():
    rows = parse_fixture("coinbase_repeated_bucket_across_pages.json")
    assert len(rows) == 2
    assert rows.iloc[0]["close"] == 72390.01  # the first occurrence wins


def test_empty_list_is_no_rows():
    rows = parse_fixture("coinbase_empty.json")
    assert rows.empty and list(rows.columns) == ["bar_start_utc", "symbol", "open", "high", "low", "close",
                                                 "volume", "source"]


@pytest.mark.parametrize("name, field", [
    ("coinbase_error_message.json", "message"),
    ("coinbase_short_candle.json", "[0]"),
    ("coinbase_string_price.json", "[0].low"),
    ("coinbase_truncated.json", None),
])
def test_malformed_bodies_raise_parse_error(name, field):
    with pytest.raises(ParseError) as err:
        parse_fixture(name)
    assert err.value.field == field and err.value.source == "coinbase"


def test_windows_never_exceed_300_buckets():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = datetime(2026, 2, 1, tzinfo=UTC)  # 744 hours
    wins = coinbase.windows(start, end)
    assert len(wins) == 3
    assert [int((hi - lo).total_seconds() // 3600) + 1 for lo, hi in wins] == [300, 300, 144]
    assert wins[0][0] == start and wins[-1][1] == datetime(2026, 1, 31, 23, tzinfo=UTC)
    assert all(b[0] - a[1] == pd.Timedelta(hours=1) for a, b in itertools.pairwise(wins))


@respx.mock
def test_fetch_new_york_day_in_one_window():
    route = respx.get(URL).mock(return_value=httpx.Response(200, json=[]))
    [fetched] = coinbase.fetch(client(), date(2026, 3, 8))  # DST starts: a 23-hour day
    params = dict(route.calls[0].request.url.params)
    assert params == {"granularity": "3600", "start": "2026-03-08T05:00:00Z", "end": "2026-03-09T03:00:00Z"}
    assert fetched.params["start"] == "2026-03-08T05:00:00Z" and fetched.endpoint == "candles"


@respx.mock
def test_fetch_range_pages():
    route = respx.get(URL).mock(return_value=httpx.Response(200, json=[]))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    fetched = coinbase.fetch_range(client(), start, datetime(2026, 1, 26, tzinfo=UTC))
    assert route.call_count == 2 and len(fetched) == 2
    starts = [c.request.url.params["start"] for c in route.calls]
    assert starts == ["2026-01-01T00:00:00Z", "2026-01-13T12:00:00Z"]


@respx.mock
def test_fetch_retries_429_then_succeeds_and_gives_up_on_persistent_5xx():
    route = respx.get(URL).mock(side_effect=[httpx.Response(429), httpx.Response(502),
                                             httpx.Response(200, json=[[1770271200, 1, 2, 1, 2, 3]])])
    [fetched] = coinbase.fetch(client(), date(2026, 2, 5))
    assert route.call_count == 3 and fetched.data.startswith(b"[[1770271200")
    respx.get(URL).mock(return_value=httpx.Response(500))
    with pytest.raises(FetchError) as err:
        coinbase.fetch(client(attempts=2), date(2026, 2, 5))
    assert err.value.status == 500 and err.value.source == "coinbase"


def test_render_parse_round_trip():
    day = date(2026, 2, 5)
    hours = pd.date_range("2026-02-05 03:00", "2026-02-06 06:00", freq="h")  # a bit beyond the NY day
    bars = pd.DataFrame({
        "bar_start_utc": hours, "symbol": "BTC-USD",
        "open": [70000 + i * 10.25 for i in range(len(hours))],
        "high": [70100 + i * 10.125 for i in range(len(hours))],
        "low": [69900.5 + i for i in range(len(hours))],
        "close": [70050 + i / 3 for i in range(len(hours))],
        "volume": [0.1 * i for i in range(len(hours))], "source": "coinbase",
    })
    bars = bars.drop(index=[8]).reset_index(drop=True)  # a missing hour stays missing
    other = bars.assign(source="yahoo")
    canonical = {"hourly_bars": pd.concat([bars, other], ignore_index=True)}
    [fetched] = render_coinbase.render(canonical, day)
    assert fetched.data == render_coinbase.render(canonical, day)[0].data
    rows = coinbase.parse(fetched.data, META).rows
    expected = bars[(bars["bar_start_utc"] >= "2026-02-05 05:00") & (bars["bar_start_utc"] < "2026-02-06 05:00")]
    assert len(rows) == 23
    pd.testing.assert_frame_equal(rows.reset_index(drop=True), expected.reset_index(drop=True),
                                  check_dtype=False, rtol=1e-12)
    assert render_coinbase.render(canonical, date(2026, 3, 1)) == []
