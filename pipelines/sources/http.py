"""The one HTTP client every live source uses: timeouts, a descriptive User-Agent, retries with
exponential backoff and jitter on timeouts, 429 and 5xx (honouring Retry-After), a per-source
rate limit, and one clear error when a fetch still fails."""
from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

DEFAULT_USER_AGENT = "btcflows/0.1 (reproducible bitcoin market-structure warehouse; set BTCFLOWS_USER_AGENT)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class FetchError(Exception):
    """A fetch that failed after its retries. Names the source, URL, status and attempts."""

    def __init__(self, source: str, url: str, status: int | None, attempts: int, detail: str = ""):
        self.source, self.url, self.status, self.attempts = source, url, status, attempts
        status_text = f"HTTP {status}" if status is not None else "no response"
        extra = f": {detail}" if detail else ""
        super().__init__(f"{source}: fetch of {url} failed with {status_text} after {attempts} attempt(s){extra}")


@dataclass
class RetryPolicy:
    attempts: int = 5
    base_delay_s: float = 1.0
    max_delay_s: float = 60.0
    jitter: float = 0.5  # fraction of the delay added at random

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_delay_s)
        d = min(self.base_delay_s * 2 ** (attempt - 1), self.max_delay_s)
        return d + random.uniform(0, d * self.jitter)


class RateLimiter:
    """At most `per_second` requests per second (a minimum spacing), shared by threads."""

    def __init__(self, per_second: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.spacing = 1.0 / per_second if per_second > 0 else 0.0
        self._next = 0.0
        self._lock = threading.Lock()
        self._clock, self._sleep = clock, sleep

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            if now < self._next:
                self._sleep(self._next - now)
                now = self._next
            self._next = now + self.spacing


def _retry_after_seconds(resp: httpx.Response) -> float | None:
    value = resp.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
        return max(0.0, (when - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


@dataclass
class HttpClient:
    """Per-source client. `get` returns the final successful response or raises FetchError."""

    source: str
    rate_per_second: float = 2.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    user_agent: str | None = None
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0
    headers: dict[str, str] = field(default_factory=dict)
    sleep: Callable[[float], None] | None = None  # time.sleep, looked up when the client is made
    transport: httpx.BaseTransport | None = None

    def __post_init__(self):
        ua = self.user_agent or os.environ.get("BTCFLOWS_USER_AGENT") or DEFAULT_USER_AGENT
        if self.sleep is None:
            self.sleep = time.sleep
        self._limiter = RateLimiter(self.rate_per_second, sleep=self.sleep)
        self._client = httpx.Client(
            headers={"User-Agent": ua, **self.headers},
            timeout=httpx.Timeout(self.read_timeout_s, connect=self.connect_timeout_s),
            follow_redirects=True,
            transport=self.transport,
        )

    def get(self, url: str, params: dict | None = None, ok_statuses: tuple[int, ...] = (200,),
            headers: dict[str, str] | None = None) -> httpx.Response:
        """`headers` are added to (or replace) the client's for this request (e.g. a source's own User-Agent)."""
        last_status, detail = None, ""
        for attempt in range(1, self.retry.attempts + 1):
            self._limiter.wait()
            try:
                resp = self._client.get(url, params=params, headers=headers)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                last_status, detail = None, f"{type(exc).__name__}: {exc}"
                if attempt < self.retry.attempts:
                    self.sleep(self.retry.delay(attempt, None))
                continue
            if resp.status_code in ok_statuses:
                return resp
            last_status = resp.status_code
            detail = resp.text[:200].strip().replace("\n", " ")
            if resp.status_code == 451:
                raise FetchError(self.source, str(resp.request.url), 451, attempt,
                                 "refused from this location (geo-block); run from another region or replay the archive")
            if resp.status_code not in RETRY_STATUSES:
                raise FetchError(self.source, str(resp.request.url), resp.status_code, attempt, detail)
            if attempt < self.retry.attempts:
                self.sleep(self.retry.delay(attempt, _retry_after_seconds(resp)))
        full_url = str(httpx.URL(url, params=params)) if params else url
        raise FetchError(self.source, full_url, last_status, self.retry.attempts, detail)

    def close(self) -> None:
        self._client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
