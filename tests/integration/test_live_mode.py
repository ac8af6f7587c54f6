"""Live mode through the archive asset's fetch path: every response is archived before anything
parses it; a fetch that fails after its retries writes nothing for that partition but keeps every
response it got in the archive, marked failed, which replay, ingest and `btcflows parse` refuse to
read as data."""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import pandas as pd
import pytest
import respx

from pipelines.archive import Archive
from pipelines.assets.archive import fetch_live
from pipelines.demo.render import coinbase as render_coinbase
from pipelines.ingest import collect_from_archive
from pipelines.sources import binance_oi, cme_settlements, coinbase, deribit_options
from pipelines.sources.http import FetchError, RetryPolicy
from pipelines.timeutils import NEW_YORK

DAY = date(2026, 2, 5)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LOG = logging.getLogger("test")


def hourly_frame(day: date) -> pd.DataFrame:
    start = datetime(2026, 2, 5, 5)  # 00:00 New York (EST) = 05:00 UTC
    hours = [start + timedelta(hours=h) for h in range(24) if h != 7]  # one hour without trades
    return pd.DataFrame({
        "bar_start_utc": hours, "symbol": "BTC-USD",
        "open": [70000.0 + i for i in range(len(hours))], "high": 71000.0, "low": 69000.0,
        "close": [70500.0 + i for i in range(len(hours))], "volume": 12.5, "source": "coinbase",
    })




@respx.mock
def test_live_fetch_archives_then_parses(tmp_path, monkeypatch):
    monkeypatch.setattr(coinbase, "RATE_PER_SECOND", 0)
    frame = hourly_frame(DAY)
    [body] = render_coinbase.render({"hourly_bars": frame}, DAY)
    route = respx.get(coinbase.ENDPOINTS["candles"].format(product="BTC-USD")).mock(
        side_effect=[httpx.Response(503), httpx.Response(200, content=body.data)])
    archive = Archive(tmp_path / "archive")
    assert fetch_live("coinbase", archive, [DAY], LOG) == 1
    assert route.call_count == 2  # retried the 503
    [stored] = archive.list("coinbase")
    assert stored.meta.mode == "live" and stored.meta.partition == DAY.isoformat()
    assert stored.read() == body.data  # archived byte for byte
    rows = collect_from_archive(archive, "hourly_bars", DAY, DAY).rows
    assert len(rows) == 23  # the missing hour stays missing
    assert rows["close"].tolist() == frame["close"].tolist()


@respx.mock
def test_a_fetch_that_keeps_failing_keeps_its_last_answer_as_a_failed_fetch(tmp_path, monkeypatch):
    monkeypatch.setattr(coinbase, "RATE_PER_SECOND", 0)
    respx.get(coinbase.ENDPOINTS["candles"].format(product="BTC-USD")).mock(
        return_value=httpx.Response(429, text="slow down", headers={"content-type": "text/plain"}))
    archive = Archive(tmp_path / "archive")
    with pytest.raises(FetchError, match=r"coinbase: fetch of https://api\.exchange\.coinbase\.com/.* failed with HTTP 429"):
        fetch_live("coinbase", archive, [DAY], LOG)
    assert archive.list("coinbase") == []  # nothing that reads as data
    [kept] = archive.list("coinbase", include_failed=True)
    assert kept.read() == b"slow down" and kept.path.name.endswith(".failed.txt")
    assert (kept.meta.fetch_ok, kept.meta.http_status, kept.meta.endpoint) == (False, 429, "candles")
    assert "HTTP 429" in kept.meta.fetch_error and kept.meta.params["granularity"] == "3600"
    assert collect_from_archive(archive, "hourly_bars", DAY, DAY).rows.empty  # replay does not parse it


@respx.mock
def test_html_error_bodies_of_binance_and_deribit_are_archived_as_failed_fetches(tmp_path, monkeypatch, capsys):
    from pipelines.cli import main

    today = datetime.now(NEW_YORK).date()
    monkeypatch.setattr(binance_oi, "RATE_PER_SECOND", 0)
    monkeypatch.setattr(deribit_options, "RATE_PER_SECOND", 0)
    block = (FIXTURES / "binance-oi" / "binance_cloudfront_block.html").read_bytes()
    gateway = (FIXTURES / "deribit-options" / "deribit_html_gateway_error.html").read_bytes()
    respx.get(binance_oi.ENDPOINTS["openInterestHist"]).mock(
        return_value=httpx.Response(200, content=block, headers={"content-type": "text/html"}))
    respx.get(deribit_options.ENDPOINTS["get_book_summary_by_currency"]).mock(
        return_value=httpx.Response(200, content=gateway, headers={"content-type": "text/html; charset=UTF-8"}))
    archive = Archive(tmp_path / "archive")
    for source, body in (("binance-oi", block), ("deribit-options", gateway)):
        with pytest.raises(FetchError, match="not JSON"):
            fetch_live(source, archive, [today], LOG)
        assert archive.list(source) == []
        [kept] = archive.list(source, include_failed=True)
        assert kept.read() == body and kept.path.suffix == ".html" and kept.meta.http_status == 200
        assert not kept.meta.fetch_ok and "body is not JSON" in kept.meta.fetch_error

    monkeypatch.setenv("BTCFLOWS_ARCHIVE", str(tmp_path / "archive"))
    main(["archive", "--bad"])
    out, err = capsys.readouterr()
    assert out.count("failed fetch (HTTP 200), kept for diagnosis") == 2 and "2 response(s) of failed fetches" in err
    main(["archive", "--source", "binance-oi"])
    assert "FAILED" in capsys.readouterr().out
    [kept] = archive.list("deribit-options", include_failed=True)
    with pytest.raises(SystemExit) as exit_info:
        main(["parse", "deribit-options", str(kept.path)])
    assert exit_info.value.code == 1 and "failed fetch, kept for diagnosis, not data" in capsys.readouterr().err


@respx.mock
def test_deribit_out_of_credits_is_retried_with_backoff(tmp_path, monkeypatch):
    from pipelines.demo.render import deribit_options as render_deribit

    monkeypatch.setattr(deribit_options, "RATE_PER_SECOND", 0)
    today = datetime.now(NEW_YORK).date()
    chain = pd.DataFrame({
        "snapshot_utc": [datetime(2026, 2, 5, 21)], "venue": "Deribit", "instrument": "BTC-27MAR26-70000-P",
        "underlying": "BTC", "expiry_utc": [datetime(2026, 3, 27, 8)], "strike": 70000.0, "put_call": "P",
        "open_interest": 12.5, "multiplier": 1.0, "mark_iv": 0.6, "underlying_price": 71000.0,
        "source": "deribit-options"})
    [good] = render_deribit.render({"option_chain_snapshot": chain}, date(2026, 2, 5))
    credits = (FIXTURES / "deribit-options" / "deribit_out_of_credits_10028.json").read_bytes()
    route = respx.get(deribit_options.ENDPOINTS["get_book_summary_by_currency"]).mock(side_effect=[
        httpx.Response(400, content=credits), httpx.Response(400, content=credits), httpx.Response(200, content=good.data)])
    sleeps = []
    monkeypatch.setattr("pipelines.sources.http.time.sleep", sleeps.append)
    archive = Archive(tmp_path / "archive")
    assert fetch_live("deribit-options", archive, [today], LOG) == 1
    assert route.call_count == 3 and len(sleeps) == 2 and sleeps[1] > sleeps[0] * 1.3  # exponential backoff
    [stored] = archive.list("deribit-options", include_failed=True)
    assert stored.meta.fetch_ok and stored.read() == good.data


@respx.mock
def test_a_fetch_that_fails_half_way_keeps_every_response_as_failed_not_half_a_day(tmp_path, monkeypatch):
    """CME: BTC's settlements and Volume/OI answer, MBT's settlements page is refused. Replay must not
    ingest half a day: the good bodies are kept too, marked as parts of a failed fetch."""
    monkeypatch.setattr(cme_settlements, "RATE_PER_SECOND", 0)
    fixtures = FIXTURES / "cme-settlements"
    ok_bodies = [(fixtures / "cme_btc_commas_ask_bid_dash_total.json").read_bytes(),
                 (fixtures / "cme_volume_oi_btc.json").read_bytes()]
    respx.get(cme_settlements.ENDPOINTS["settlements"].format(product_id="8478")).mock(
        return_value=httpx.Response(200, content=ok_bodies[0]))
    respx.get(cme_settlements.ENDPOINTS["volume_oi"].format(product_id="8478", trade_date="20260205")).mock(
        return_value=httpx.Response(200, content=ok_bodies[1]))
    denied = (fixtures / "cme_akamai_denied.html").read_bytes()
    respx.get(cme_settlements.ENDPOINTS["settlements"].format(product_id="9024")).mock(
        return_value=httpx.Response(403, content=denied, headers={"content-type": "text/html"}))
    archive = Archive(tmp_path / "archive")
    with pytest.raises(FetchError, match="HTTP 403"):
        fetch_live("cme-settlements", archive, [DAY], LOG)
    assert archive.list("cme-settlements") == []
    kept = archive.list("cme-settlements", include_failed=True)
    assert sorted((p.meta.endpoint, p.meta.http_status) for p in kept) == [
        ("settlements", 200), ("settlements", 403), ("volume_oi", 200)]
    assert {p.read() for p in kept} == {*ok_bodies, denied}
    assert all("HTTP 403" in p.meta.fetch_error for p in kept)
    assert collect_from_archive(archive, "futures_daily", DAY, DAY).rows.empty


def test_every_live_client_gets_its_sources_user_agent_and_retry_rule(monkeypatch):
    from pipelines import sources
    from pipelines.sources.base import deribit_out_of_credits
    from pipelines.sources.http import BROWSER_USER_AGENT, DEFAULT_USER_AGENT

    monkeypatch.delenv("BTCFLOWS_USER_AGENT", raising=False)
    for name in sources.names():
        with sources.client_for(name, retry=RetryPolicy(attempts=1)) as client:
            ua = client._client.headers["User-Agent"]
            assert ua == (BROWSER_USER_AGENT if name in ("farside", "yahoo", "cme-settlements") else DEFAULT_USER_AGENT)
            assert client.retry_when is (deribit_out_of_credits if name.startswith("deribit") else None)


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr("pipelines.sources.http.time.sleep", lambda s: None)
