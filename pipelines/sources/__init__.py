"""The source registry: one module per upstream endpoint. The CLI, the ingest assets and the demo
all go through it. Adding a source = one module + its fixtures + one line here.

Each module defines:
    NAME: str                 the source name used in the archive and on the CLI
    DATASETS: tuple[str, ...] canonical datasets its payloads can hold
    EXT: str                  file extension of its payloads
    RATE_PER_SECOND: float    polite request rate
    SNAPSHOT: bool            True when the upstream keeps little history (fetch daily or lose it)
    USER_AGENT: str           (optional) its own User-Agent (e.g. a browser-like one for bot-protected sites)
    RETRY_WHEN(response)      (optional) True for a response the source calls a transient refusal,
                              whatever its HTTP status (retried with backoff like a 429)
    LIVE_STATE_ONLY: bool     (optional) True when it serves only its current state (no past days)
    LOOKAHEAD_DAYS: int       (optional) how long after a row's date a payload may still carry it
    IMPORTED: bool            (optional) True when its payloads arrive by `btcflows import`, not fetched
    dataset_for(meta)         (optional) the dataset a payload holds, read from its request
    covers(meta)              (optional) the first and last day a payload holds rows for (a file of
                              many days is stored under its first day and read for every window it covers)
    replacements(meta)        (optional) [(first, last, time)]: the payload replaced the dataset's rows
                              in those days at that time (older rows there no longer count)
    ENDPOINT_RANK: dict       (optional) endpoint -> rank: for a key held by two endpoints, each column
                              takes the higher-ranked endpoint's value where it has one (CME's Volume/OI report
                              over its settlements page)
    parse(payload: bytes, meta: PayloadMeta) -> Parsed
    fetch(client: HttpClient, day: date) -> list[Fetched]
"""
from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipelines.sources.http import HttpClient

# source name -> module (under pipelines.sources)
SOURCE_MODULES: dict[str, str] = {
    "farside": "farside",
    "ishares": "ishares",
    "yahoo": "yahoo",
    "stooq": "stooq",
    "coinbase": "coinbase",
    "binance-oi": "binance_oi",
    "binance-funding": "binance_funding",
    "binance-klines": "binance_klines",
    "cme-settlements": "cme_settlements",
    "deribit-options": "deribit_options",
    "deribit-dvol": "deribit_dvol",
    "occ-volume": "occ_volume",
    "cftc-tff": "cftc_tff",
    "canonical-csv": "canonical_csv",
    "sec-edgar": "sec_edgar",
}


class UnknownSource(KeyError):
    def __str__(self):
        return f"unknown source {self.args[0]!r}; known: {', '.join(sorted(SOURCE_MODULES))}"


def get(name: str) -> ModuleType:
    if name not in SOURCE_MODULES:
        raise UnknownSource(name)
    return importlib.import_module(f"pipelines.sources.{SOURCE_MODULES[name]}")


def names() -> list[str]:
    return list(SOURCE_MODULES)


def fetched_names() -> list[str]:
    """Sources fetched from upstream: every source but the files `btcflows import` brings."""
    return [n for n in SOURCE_MODULES if not getattr(get(n), "IMPORTED", False)]


def sources_for(dataset: str) -> list[str]:
    """Source names whose payloads can hold rows of `dataset`."""
    return [n for n in SOURCE_MODULES if dataset in get(n).DATASETS]


def client_for(name: str, **overrides) -> HttpClient:
    """The HTTP client for live fetches of source `name`: its rate, User-Agent and retry rule."""
    from pipelines.sources.http import HttpClient, user_agent_for

    module = get(name)
    options = {"rate_per_second": getattr(module, "RATE_PER_SECOND", 1.0),
               "user_agent": user_agent_for(name, getattr(module, "USER_AGENT", None)),
               "retry_when": getattr(module, "RETRY_WHEN", None)}
    return HttpClient(name, **{**options, **overrides})
