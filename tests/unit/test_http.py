import httpx
import pytest
import respx

from pipelines.sources.http import FetchError, HttpClient, RateLimiter, RetryPolicy

URL = "https://api.example.invalid/data"


def client(sleeps=None, attempts=4):
    return HttpClient("testsource", rate_per_second=0, retry=RetryPolicy(attempts=attempts, base_delay_s=1.0),
                      sleep=(sleeps.append if sleeps is not None else (lambda s: None)))


@respx.mock
def test_retries_429_and_5xx_then_succeeds_honouring_retry_after():
    route = respx.get(URL).mock(side_effect=[
        httpx.Response(429, headers={"Retry-After": "7"}),
        httpx.Response(503),
        httpx.Response(200, json={"ok": True}),
    ])
    sleeps = []
    resp = client(sleeps).get(URL, params={"a": "1"})
    assert resp.json() == {"ok": True}
    assert route.call_count == 3
    assert sleeps[0] == 7.0  # Retry-After
    assert 2.0 <= sleeps[1] <= 3.0  # exponential backoff (2 s) plus up to 50% jitter
    assert route.calls[0].request.url.params["a"] == "1"
    assert "btcflows" in route.calls[0].request.headers["User-Agent"]


@respx.mock
def test_gives_up_with_one_clear_error():
    respx.get(URL).mock(return_value=httpx.Response(500, text="boom"))
    with pytest.raises(FetchError) as info:
        client(attempts=3).get(URL)
    msg = str(info.value)
    assert "testsource" in msg and URL in msg and "HTTP 500" in msg and "3 attempt(s)" in msg


@respx.mock
def test_timeouts_are_retried():
    route = respx.get(URL).mock(side_effect=[httpx.ReadTimeout("slow"), httpx.Response(200, text="x")])
    assert client().get(URL).text == "x"
    assert route.call_count == 2


@respx.mock
def test_client_errors_are_not_retried_and_451_explains_geo_block():
    route = respx.get(URL).mock(return_value=httpx.Response(404))
    with pytest.raises(FetchError, match="HTTP 404 after 1 attempt"):
        client().get(URL)
    assert route.call_count == 1
    respx.get(URL + "/geo").mock(return_value=httpx.Response(451))
    with pytest.raises(FetchError, match="geo-block"):
        client().get(URL + "/geo")


def test_rate_limiter_spaces_requests():
    now = [0.0]
    slept = []

    def sleep(s):
        slept.append(s)
        now[0] += s

    limiter = RateLimiter(per_second=2, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        limiter.wait()
    assert slept == [0.5, 0.5]
