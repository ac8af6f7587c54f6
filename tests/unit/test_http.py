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


@respx.mock
def test_every_final_response_is_recorded_and_a_failure_carries_its_body():
    respx.get(URL).mock(side_effect=[httpx.Response(503, text="<html>busy</html>"),
                                     httpx.Response(200, text="ok")])
    respx.get(URL + "/gone").mock(return_value=httpx.Response(404, text="<html>not here</html>"))
    http = client()
    http.get(URL)
    with pytest.raises(FetchError) as info:
        http.get(URL + "/gone")
    assert info.value.response is not None and info.value.response.text == "<html>not here</html>"
    # one per get: the retried 503 is not kept, the final answers are
    assert [(r.status_code, r.text) for r in http.responses] == [(200, "ok"), (404, "<html>not here</html>")]


@respx.mock
def test_a_response_the_source_calls_transient_is_retried_whatever_its_status():
    out_of_credits = {"jsonrpc": "2.0", "error": {"code": 10028, "message": "too_many_requests"}}
    route = respx.get(URL).mock(side_effect=[httpx.Response(400, json=out_of_credits),
                                             httpx.Response(200, json=out_of_credits),
                                             httpx.Response(200, json={"result": []})])
    sleeps = []
    http = HttpClient("testsource", rate_per_second=0, retry=RetryPolicy(attempts=4, base_delay_s=1.0),
                      sleep=sleeps.append, retry_when=lambda r: b"10028" in r.content)
    assert http.get(URL).json() == {"result": []}
    assert route.call_count == 3 and len(sleeps) == 2 and sleeps[1] >= 2.0  # backed off, exponentially
    respx.get(URL + "/always").mock(return_value=httpx.Response(400, json=out_of_credits))
    with pytest.raises(FetchError, match=r"HTTP 400 after 4 attempt\(s\): .*too_many_requests"):
        http.get(URL + "/always")


def test_user_agent_per_source(monkeypatch):
    from pipelines.sources.http import BROWSER_USER_AGENT, DEFAULT_USER_AGENT, user_agent_for

    for var in ("BTCFLOWS_USER_AGENT", "BTCFLOWS_USER_AGENT_BINANCE_OI", "BTCFLOWS_USER_AGENT_FARSIDE"):
        monkeypatch.delenv(var, raising=False)
    assert user_agent_for("binance-oi") == DEFAULT_USER_AGENT
    assert user_agent_for("farside", BROWSER_USER_AGENT) == BROWSER_USER_AGENT
    monkeypatch.setenv("BTCFLOWS_USER_AGENT", "Org ops@example.invalid")
    assert user_agent_for("binance-oi") == "Org ops@example.invalid"
    assert user_agent_for("farside", BROWSER_USER_AGENT) == BROWSER_USER_AGENT  # the source's own wins
    monkeypatch.setenv("BTCFLOWS_USER_AGENT_BINANCE_OI", "Mine/1.0")
    assert user_agent_for("binance-oi") == "Mine/1.0"
    assert HttpClient("binance-oi")._client.headers["User-Agent"] == "Mine/1.0"
