"""Binance USD-M BTCUSDT open interest -> perp_open_interest.

Endpoints: `fapi.binance.com/futures/data/openInterestHist` (period 1h, limit <= 500,
startTime/endTime ms; JSON list) and the data.binance.vision daily metrics ZIP (one CSV, 5-minute
rows, one UTC day, posted next day, back to 2021-12-01).
Units: sumOpenInterest / sum_open_interest in BTC; sumOpenInterestValue in USDT, taken as USD.
Quirks: numbers are strings; `timestamp` is int or string ms; extra fields (CMCCirculatingSupply)
are ignored; `{"code","msg"}` error bodies; metrics rows may be out of order or repeated (sorted,
deduplicated; a repeated instant keeps its last row).
History: openInterestHist keeps ~30 days, so older days are fetched from the ZIP archive.
"""
from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from datetime import UTC, date, datetime, timedelta

from pipelines.archive import PayloadMeta
from pipelines.sources.base import Fetched, Parsed, ParseError, frame, ms_to_utc, to_float
from pipelines.sources.binance_common import check_request_window, fetch_day_pages, parse_list_body
from pipelines.sources.http import FetchError, HttpClient

NAME = "binance-oi"
DATASETS = ("perp_open_interest",)
EXT = "json"
RATE_PER_SECOND = 2.0
SNAPSHOT = True
ENDPOINTS = {
    "openInterestHist": "https://fapi.binance.com/futures/data/openInterestHist",
    "metrics": "https://data.binance.vision/data/futures/um/daily/metrics/{symbol}/{symbol}-metrics-{utc_date}.zip",
}
VENUE = "Binance"
SYMBOL = "BTCUSDT"
PERIOD = "1h"  # 16:00 New York is always a whole UTC hour
PAGE_LIMIT = 500
REST_HISTORY_DAYS = 28  # openInterestHist serves ~30 days; keep a margin
METRICS_COLUMNS = ("create_time", "symbol", "sum_open_interest", "sum_open_interest_value")
DATASET = "perp_open_interest"


# -- parse -------------------------------------------------------------------------------------
def parse(payload: bytes, meta: PayloadMeta) -> Parsed:
    endpoint = meta.endpoint or ("metrics" if payload[:2] == b"PK" else "openInterestHist")  # a bare file
    if endpoint == "metrics":
        records = _parse_metrics_zip(payload)
    elif endpoint == "openInterestHist":
        records = _parse_open_interest_hist(payload, meta)
    else:
        raise ParseError(NAME, f"unknown endpoint {meta.endpoint!r}; expected one of {sorted(ENDPOINTS)}")
    return Parsed(DATASET, frame(DATASET, _sorted_unique(records)))


def _parse_open_interest_hist(payload: bytes, meta: PayloadMeta) -> list[dict]:
    body = parse_list_body(NAME, payload)
    default_symbol = (meta.params or {}).get("symbol", SYMBOL)
    records = []
    for i, row in enumerate(body):
        if not isinstance(row, dict):
            raise ParseError(NAME, f"row {i} is not an object", field=f"[{i}]")
        for key in ("timestamp", "sumOpenInterest", "sumOpenInterestValue"):
            if key not in row:
                raise ParseError(NAME, f"row {i} has no {key!r}", field=key)
        records.append(
            _record(
                ms_to_utc(NAME, row["timestamp"], "timestamp"),
                row.get("symbol") or default_symbol,
                to_float(NAME, row["sumOpenInterest"], "sumOpenInterest"),
                to_float(NAME, row["sumOpenInterestValue"], "sumOpenInterestValue"),
            )
        )
    check_request_window(NAME, meta, [int(str(row["timestamp"]).strip()) for row in body], "timestamp")
    return records


def _parse_metrics_zip(payload: bytes) -> list[dict]:
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as zf:
            members = [n for n in zf.namelist() if n.lower().endswith(".csv")]
            if len(members) != 1:
                raise ParseError(NAME, f"expected one CSV in the metrics ZIP, found {zf.namelist()}")
            text = zf.read(members[0]).decode("utf-8-sig")
    except zipfile.BadZipFile as exc:
        raise ParseError(NAME, f"not a ZIP file: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ParseError(NAME, f"metrics CSV is not UTF-8: {exc}") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in METRICS_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ParseError(NAME, f"metrics CSV header lacks {missing}", field=missing[0])
    records = []
    for row in reader:
        try:
            ts = datetime.strptime(row["create_time"].strip(), "%Y-%m-%d %H:%M:%S")
        except (AttributeError, ValueError):
            raise ParseError(NAME, f"bad create_time {row['create_time']!r}", field="create_time") from None
        records.append(
            _record(
                ts,
                row["symbol"] or SYMBOL,
                to_float(NAME, row["sum_open_interest"], "sum_open_interest"),
                to_float(NAME, row["sum_open_interest_value"], "sum_open_interest_value"),
            )
        )
    return records


def _record(ts: datetime, symbol: str, oi_btc: float | None, oi_usd: float | None) -> dict:
    return {
        "ts_utc": ts,
        "venue": VENUE,
        "symbol": symbol,
        "open_interest_base": oi_btc,
        "open_interest_usd": oi_usd,
        "source": NAME,
    }


def _sorted_unique(records: list[dict]) -> list[dict]:
    by_key = {(r["ts_utc"], r["symbol"]): r for r in records}  # later rows win
    return [by_key[k] for k in sorted(by_key)]


# -- fetch -------------------------------------------------------------------------------------
def fetch(client: HttpClient, day: date, today: date | None = None) -> list[Fetched]:
    today = today or datetime.now(UTC).date()
    if (today - day).days > REST_HISTORY_DAYS:
        return _fetch_metrics(client, day)
    return _fetch_open_interest_hist(client, day)


def _fetch_open_interest_hist(client: HttpClient, day: date) -> list[Fetched]:
    return fetch_day_pages(client, NAME, "openInterestHist", ENDPOINTS["openInterestHist"], day,
                           {"symbol": SYMBOL, "period": PERIOD}, PAGE_LIMIT, lambda r: int(str(r.get("timestamp"))))


def _fetch_metrics(client: HttpClient, day: date) -> list[Fetched]:
    """The UTC-day ZIPs covering the New York day, each checked against its .CHECKSUM file."""
    out = []
    for utc_day in (day, day + timedelta(days=1)):
        url = ENDPOINTS["metrics"].format(symbol=SYMBOL, utc_date=utc_day.isoformat())
        resp = client.get(url, ok_statuses=(200, 404))
        if resp.status_code == 404:  # not posted yet, or a day Binance never published
            continue
        check = client.get(url + ".CHECKSUM")
        expected = check.text.split()[0].lower() if check.text.split() else ""
        actual = hashlib.sha256(resp.content).hexdigest()
        if expected != actual:
            raise FetchError(NAME, url, 200, 1, f"sha256 {actual} does not match .CHECKSUM {expected!r}")
        out.append(Fetched(resp.content, "metrics", url, {}, "application/zip", "zip"))
    return out
