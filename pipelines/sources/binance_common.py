"""What the Binance USD-M sources share: the New York day in epoch ms, reading a list body (errors
come as `{"code","msg"}`, even with HTTP 200), and paging a list endpoint by startTime."""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from pipelines.sources.base import Fetched, ParseError, load_json
from pipelines.sources.http import FetchError, HttpClient
from pipelines.timeutils import NEW_YORK


def new_york_day_ms(day: date) -> tuple[int, int]:
    """[start, end] of the New York calendar day in epoch ms (end inclusive)."""
    start = datetime.combine(day, time(0), tzinfo=NEW_YORK).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=NEW_YORK).astimezone(UTC)
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000) - 1


def parse_list_body(source: str, payload: bytes, what: str = "rows") -> list:
    """The JSON list of a stored Binance payload, or ParseError naming what is wrong."""
    body = load_json(source, payload)
    if isinstance(body, dict) and "code" in body:
        raise ParseError(source, f"Binance error {body.get('code')}: {body.get('msg')}", field="code")
    if not isinstance(body, list):
        raise ParseError(source, f"expected a JSON list of {what}, got {type(body).__name__}")
    return body


def check_request_window(source: str, meta, times_ms: list[int], field: str) -> None:
    """A row outside the window its request asked for (`startTime`..`endTime`, ms) is an error, not
    a row to drop: it means a unit mix-up (seconds where milliseconds belong) or a wrong page.
    Payloads without that window in their request (e.g. parsed from a bare file) are not checked."""
    params = meta.params or {}
    if "startTime" not in params or "endTime" not in params:
        return
    lo, hi = int(params["startTime"]), int(params["endTime"])
    outside = [t for t in times_ms if not lo <= t <= hi]
    if outside:
        raise ParseError(source, f"{len(outside)} row(s) outside the requested window {lo}..{hi} ms "
                                 f"(first: {outside[0]}; seconds instead of milliseconds?)", field=field)


def binance_json_page(source: str, data: bytes, url: str) -> list:
    """A fetched page of a Binance list endpoint, or FetchError (the fetch failed, not the parse)."""
    try:
        body = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise FetchError(source, url, 200, 1, "body is not JSON") from None
    if not isinstance(body, list):
        raise FetchError(source, url, 200, 1, f"error body: {str(body)[:200]}")
    return body


def fetch_day_pages(client: HttpClient, source: str, endpoint: str, url: str, day: date, params: dict,
                    page_limit: int, row_time_ms: Callable[[object], int]) -> list[Fetched]:
    """Every page of `url` covering the New York `day`: a full page continues after its last row."""
    start_ms, end_ms = new_york_day_ms(day)
    out = []
    while start_ms <= end_ms:
        page_params = {**params, "startTime": start_ms, "endTime": end_ms, "limit": page_limit}
        resp = client.get(url, page_params)
        rows = binance_json_page(source, resp.content, str(resp.request.url))
        out.append(Fetched(resp.content, endpoint, url, page_params,
                           resp.headers.get("content-type", "application/json"), "json"))
        if len(rows) < page_limit:
            break
        start_ms = max(row_time_ms(r) for r in rows) + 1
    return out
