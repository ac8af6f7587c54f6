"""Live mode through the archive asset's fetch path: every response is archived before anything
parses it, and a fetch that fails after its retries writes nothing for that partition."""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

import httpx
import pandas as pd
import pytest
import respx

from pipelines.archive import Archive
from pipelines.assets.archive import fetch_live
from pipelines.demo.render import coinbase as render_coinbase
from pipelines.ingest import collect_from_archive
from pipelines.sources import coinbase
from pipelines.sources.http import FetchError

DAY = date(2026, 2, 5)
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
def test_a_fetch_that_keeps_failing_archives_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(coinbase, "RATE_PER_SECOND", 0)
    respx.get(coinbase.ENDPOINTS["candles"].format(product="BTC-USD")).mock(return_value=httpx.Response(429))
    archive = Archive(tmp_path / "archive")
    with pytest.raises(FetchError, match=r"coinbase: fetch of https://api\.exchange\.coinbase\.com/.* failed with HTTP 429"):
        fetch_live("coinbase", archive, [DAY], LOG)
    assert archive.list("coinbase") == []


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr("pipelines.sources.http.time.sleep", lambda s: None)
