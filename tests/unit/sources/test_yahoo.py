from datetime import date, datetime
from pathlib import Path

import httpx
import pandas as pd
import pytest
import respx

from pipelines.archive import PayloadMeta
from pipelines.demo.render import yahoo as render_yahoo
from pipelines.sources import yahoo
from pipelines.sources.base import ParseError
from pipelines.sources.http import FetchError, HttpClient, RetryPolicy

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "yahoo"
CHART = "https://query1.finance.yahoo.com/v8/finance/chart/"


def meta(partition="2026-02-05", symbol="IBIT"):
    return PayloadMeta(source="yahoo", endpoint="chart", url=CHART + symbol, partition=partition)


def parse_fixture(name, **kw):
    return yahoo.parse((FIXTURES / name).read_bytes(), meta(**kw))


def client(attempts=3):
    return HttpClient("yahoo", rate_per_second=1000, retry=RetryPolicy(attempts=attempts), sleep=lambda s: None)


def test_daily_trade_date_from_session_open_null_bar_and_live_bar_dropped():
    parsed = parse_fixture("yahoo_daily_session_open_null_and_live_bar.json")
    rows = parsed.rows
    assert parsed.dataset == "daily_bars"
    # 4 Feb has a null open (dropped); 6 Feb is the live bar after the partition date (dropped)
    assert list(rows["trade_date"]) == [date(2026, 2, 2), date(2026, 2, 3), date(2026, 2, 5)]
    last = rows.iloc[-1]
    assert last["close"] == 36.02000045776367  # kept as served, not rounded
    assert last["volume"] == 143250800 and last["symbol"] == "IBIT" and last["source"] == "yahoo"


def test_daily_without_partition_keeps_the_last_bar():
    rows = parse_fixture("yahoo_daily_session_open_null_and_live_bar.json", partition="").rows
    assert rows["trade_date"].iloc[-1] == date(2026, 2, 6)


def test_crypto_daily_bars_are_utc_days():
    rows = parse_fixture("yahoo_crypto_daily_utc_days.json", symbol="BTC-USD").rows
    assert list(rows["trade_date"]) == [date(2026, 2, 4), date(2026, 2, 5)]
    assert rows["low"].iloc[-1] == 62702.1


def test_hourly_bars_keyed_by_utc_start_null_bar_dropped_zero_volume_kept():
    parsed = parse_fixture("yahoo_hourly_btc_null_bar_volume_zero.json", symbol="BTC-USD")
    rows = parsed.rows
    assert parsed.dataset == "hourly_bars"
    assert list(rows["bar_start_utc"]) == [datetime(2026, 2, 5, 20), datetime(2026, 2, 5, 21), datetime(2026, 2, 5, 23)]
    assert rows["volume"].iloc[0] == 0.0 and rows["close"].iloc[-1] == 63650.75


def test_btc_futures_is_the_rolled_front_month():
    parsed = parse_fixture("yahoo_btc_futures_front_month.json", symbol="BTC=F")
    assert parsed.dataset == "futures_daily"
    row = parsed.rows.iloc[0]
    assert (row["trade_date"], row["venue"], row["contract"]) == (date(2026, 2, 5), "CME", "BTC-front-continuous")
    assert row["settle"] == 63215.0 and row["volume"] == 41233
    assert pd.isna(row["expiry_date"]) and pd.isna(row["open_interest"])


def test_result_without_timestamps_is_no_bars():
    parsed = parse_fixture("yahoo_no_bars_in_range.json")
    assert parsed.dataset == "daily_bars" and parsed.rows.empty


@pytest.mark.parametrize("name, field, text", [
    ("yahoo_error_not_found.json", "chart.error", "No data found"),
    ("yahoo_mismatched_arrays.json", "indicators.quote[0].close", "1 values for 2"),
    ("yahoo_unknown_timezone.json", "meta.exchangeTimezoneName", "Mars"),
    ("yahoo_weekly_interval.json", "meta.dataGranularity", "1wk"),
    ("yahoo_string_price.json", "indicators.quote[0].open[0]", "n/a"),
])
def test_malformed_bodies_raise_parse_error(name, field, text):
    with pytest.raises(ParseError) as err:
        parse_fixture(name)
    assert err.value.field == field and text in str(err.value)


def test_not_json_raises_parse_error():
    with pytest.raises(ParseError, match="not JSON"):
        yahoo.parse(b"<html>Too Many Requests</html>", meta())


@respx.mock
def test_fetch_trading_day_asks_daily_and_hourly_windows():
    route = respx.get(url__startswith=CHART).mock(return_value=httpx.Response(200, json={"chart": {}}))
    fetched = yahoo.fetch(client(), date(2026, 2, 5))
    assert len(fetched) == len(yahoo.DAILY_SYMBOLS) + len(yahoo.HOURLY_SYMBOLS)
    calls = {(c.request.url.path.rsplit("/", 1)[-1], c.request.url.params["interval"]): dict(c.request.url.params)
             for c in route.calls}
    daily = calls[("IBIT", "1d")]
    assert (daily["period1"], daily["period2"]) == ("1770249600", "1770336000")  # the UTC day
    hourly = calls[("BTC-USD", "60m")]
    assert (hourly["period1"], hourly["period2"]) == ("1770267600", "1770354000")  # the New York day
    assert daily["includePrePost"] == "false" and daily["events"] == "div,split"
    assert ("BTC=F", "1d") in calls


@respx.mock
def test_fetch_weekend_asks_crypto_only():
    route = respx.get(url__startswith=CHART).mock(return_value=httpx.Response(200, json={"chart": {}}))
    fetched = yahoo.fetch(client(), date(2026, 2, 7))
    assert {f.url for f in fetched} == {CHART + "BTC-USD"} and route.call_count == 2


@respx.mock
def test_fetch_backs_off_on_429_then_gives_up():
    route = respx.get(url__startswith=CHART).mock(side_effect=[httpx.Response(429), httpx.Response(500)]
                                                  + [httpx.Response(200, json={"chart": {}})] * 2)
    assert len(yahoo.fetch(client(), date(2026, 2, 7))) == 2 and route.call_count == 4
    respx.get(url__startswith=CHART).mock(return_value=httpx.Response(429))
    with pytest.raises(FetchError) as err:
        yahoo.fetch(client(attempts=2), date(2026, 2, 7))
    assert err.value.status == 429 and "BTC-USD" in err.value.url


def canonical():
    daily = pd.DataFrame([
        {"trade_date": date(2026, 2, 5), "symbol": "IBIT", "open": 39.900001525878906, "high": 40.0,
         "low": 35.05, "close": 36.02000045776367, "volume": 143250800.0, "source": "yahoo"},
        {"trade_date": date(2026, 2, 5), "symbol": "BTC-USD", "open": 73019.21875, "high": 73300.5,
         "low": 62702.1, "close": 63001.0, "volume": 98765432100.0, "source": "yahoo"},
        {"trade_date": date(2026, 2, 4), "symbol": "IBIT", "open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0,
         "volume": 1.0, "source": "yahoo"},
        {"trade_date": date(2026, 2, 5), "symbol": "QQQ", "open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0,
         "volume": 1.0, "source": "stooq"},
    ])
    futures = pd.DataFrame([
        {"trade_date": date(2026, 2, 5), "venue": "CME", "contract": "BTC-front-continuous", "expiry_date": None,
         "settle": 63215.0, "volume": float("nan"), "open_interest": float("nan"), "source": "yahoo",
         "open_interest_source": None},
    ])
    hours = pd.date_range("2026-02-05 04:00", "2026-02-06 05:00", freq="h")  # NY day is 05:00 .. 04:00 UTC
    hourly = pd.DataFrame({"bar_start_utc": hours, "symbol": "BTC-USD", "open": [60000 + i / 7 for i in range(len(hours))],
                           "high": 70000.0, "low": 50000.5, "close": [61000 + i / 3 for i in range(len(hours))],
                           "volume": 0.0, "source": "yahoo"})
    return {"daily_bars": daily, "futures_daily": futures, "hourly_bars": hourly}


def test_render_parse_round_trip():
    day = date(2026, 2, 5)
    data = canonical()
    fetched = render_yahoo.render(data, day)
    assert [f.data for f in fetched] == [f.data for f in render_yahoo.render(data, day)]
    parsed = {}
    for f in fetched:
        p = yahoo.parse(f.data, PayloadMeta(source="yahoo", endpoint=f.endpoint, url=f.url, params=f.params,
                                           partition=day.isoformat()))
        parsed.setdefault(p.dataset, []).append(p.rows)
    daily = pd.concat(parsed["daily_bars"]).sort_values("symbol").reset_index(drop=True)
    want = data["daily_bars"].iloc[[1, 0]].reset_index(drop=True)
    pd.testing.assert_frame_equal(daily, want, check_dtype=False, rtol=1e-12)
    [futures] = parsed["futures_daily"]
    pd.testing.assert_frame_equal(futures, data["futures_daily"], check_dtype=False)
    [hourly] = parsed["hourly_bars"]
    want_h = data["hourly_bars"].iloc[1:-1].reset_index(drop=True)
    assert len(hourly) == 24
    pd.testing.assert_frame_equal(hourly, want_h, check_dtype=False, rtol=1e-12)


def test_render_nothing_on_a_day_without_rows():
    assert render_yahoo.render(canonical(), date(2026, 2, 8)) == []


def test_dataset_for_reads_the_request_without_parsing():
    def meta(symbol, interval):
        return PayloadMeta(source="yahoo", endpoint="chart", url=yahoo.ENDPOINTS["chart"].format(symbol=symbol),
                           params={"interval": interval})

    assert yahoo.dataset_for(meta("IBIT", "1d")) == "daily_bars"
    assert yahoo.dataset_for(meta("BTC-USD", "60m")) == "hourly_bars"
    assert yahoo.dataset_for(meta("BTC=F", "1d")) == "futures_daily"
    assert yahoo.dataset_for(PayloadMeta(source="yahoo", endpoint="", url="")) is None
