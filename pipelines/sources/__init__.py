"""The source registry: one module per upstream endpoint. The CLI, the ingest assets and the demo
all go through it. Adding a source = one module + its fixtures + one line here.

Each module defines:
    NAME: str                 the source name used in the archive and on the CLI
    DATASETS: tuple[str, ...] canonical datasets its payloads can hold
    EXT: str                  file extension of its payloads
    RATE_PER_SECOND: float    polite request rate
    SNAPSHOT: bool            True when the upstream keeps little history (fetch daily or lose it)
    LIVE_STATE_ONLY: bool     (optional) True when it serves only its current state (no past days)
    LOOKAHEAD_DAYS: int       (optional) how long after a row's date a payload may still carry it
    dataset_for(meta)         (optional) the dataset a payload holds, read from its request
    parse(payload: bytes, meta: PayloadMeta) -> Parsed
    fetch(client: HttpClient, day: date) -> list[Fetched]
"""
from __future__ import annotations

import importlib
from types import ModuleType

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


def sources_for(dataset: str) -> list[str]:
    """Source names whose payloads can hold rows of `dataset`."""
    return [n for n in SOURCE_MODULES if dataset in get(n).DATASETS]
