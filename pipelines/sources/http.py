"""The one HTTP client every live source uses: timeouts, a User-Agent per source, retries with
exponential backoff and jitter on timeouts, 429, 5xx (honouring Retry-After) and on whatever else
the source calls a transient refusal (`retry_when`, e.g. Deribit's out-of-credits error), a
per-source rate limit, one clear error when a fetch still fails, and the record of every final
response (`responses`), so a failed fetch's bodies can be archived for diagnosis."""
from __future__ import annotations

import os
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

DEFAULT_USER_AGENT = "btcflows/0.1 (reproducible bitcoin market-structure warehouse; set BTCFLOWS_USER_AGENT)"
# For the sites that serve script User-Agents a challenge page or a 429/403 (Farside, Yahoo, CME).
BROWSER_USER_AGENT = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                      "Chrome/124.0.0.0 Safari/537.36")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def user_agent_for(source: str, preferred: str | None = None) -> str:
    """The User-Agent of `source`: BTCFLOWS_USER_AGENT_<SOURCE> (e.g. BTCFLOWS_USER_AGENT_FARSIDE),
    else the source's own (`preferred`, its module's USER_AGENT), else BTCFLOWS_USER_AGENT, else
    btcflows' descriptive default."""
    own_env = "BTCFLOWS_USER_AGENT_" + re.sub(r"[^A-Z0-9]", "_", source.upper())
    return os.environ.get(own_env) or preferred or os.environ.get("BTCFLOWS_USER_AGENT") or DEFAULT_USER_AGENT


class FetchError(Exception):
    """A fetch that failed after its retries. Names the source, URL, status and attempts; carries the
    last response when there was one."""

    def __init__(self, source: str, url: str, status: int | None, attempts: int, detail: str = "",
                 response: httpx.Response | None = None):
        self.source, self.url, self.status, self.attempts = source, url, status, attempts
        self.response = response
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
    """Per-source client. `get` returns the final successful response or raises FetchError. Every
    final response (success or failure, one per `get`) is appended to `responses`."""

    source: str
    rate_per_second: float = 2.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    user_agent: str | None = None
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0
    headers: dict[str, str] = field(default_factory=dict)
    sleep: Callable[[float], None] | None = None  # time.sleep, looked up when the client is made
    transport: httpx.BaseTransport | None = None
    # A response the source calls a transient refusal, whatever its status: retried with backoff.
    retry_when: Callable[[httpx.Response], bool] | None = None

    def __post_init__(self):
        ua = self.user_agent or user_agent_for(self.source)
        self.responses: list[httpx.Response] = []
        if self.sleep is None:
            self.sleep = time.sleep
        self._limiter = RateLimiter(self.rate_per_second, sleep=self.sleep)
        self._client = httpx.Client(
            headers={"User-Agent": ua, **self.headers},
            timeout=httpx.Timeout(self.read_timeout_s, connect=self.connect_timeout_s),
            follow_redirects=True,
            transport=self.transport,
        )

    @property
    def user_agent_header(self) -> str:
        """The User-Agent every request of this client sends."""
        return self._client.headers["User-Agent"]

    def get(self, url: str, params: dict | None = None, ok_statuses: tuple[int, ...] = (200,)) -> httpx.Response:
        last_status, last_response, detail = None, None, ""
        for attempt in range(1, self.retry.attempts + 1):
            self._limiter.wait()
            try:
                resp = self._client.get(url, params=params)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                last_status, last_response, detail = None, None, f"{type(exc).__name__}: {exc}"
                if attempt < self.retry.attempts:
                    self.sleep(self.retry.delay(attempt, None))
                continue
            refused = self.retry_when is not None and self.retry_when(resp)
            if resp.status_code in ok_statuses and not refused:
                self.responses.append(resp)
                return resp
            last_status, last_response = resp.status_code, resp
            detail = resp.text[:200].strip().replace("\n", " ")
            if resp.status_code == 451:
                detail = "refused from this location (geo-block); run from another region or replay the archive"
                break
            if (resp.status_code not in RETRY_STATUSES and not refused) or attempt == self.retry.attempts:
                break
            self.sleep(self.retry.delay(attempt, _retry_after_seconds(resp)))
        if last_response is not None:
            self.responses.append(last_response)
            url = str(last_response.request.url)
        elif params:
            url = str(httpx.URL(url, params=params))
        raise FetchError(self.source, url, last_status, attempt, detail, response=last_response)

    def close(self) -> None:
        self._client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
