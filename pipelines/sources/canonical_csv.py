"""Canonical CSV files brought by `btcflows import`, archived like payloads -> any canonical dataset.

Not fetched: `btcflows import DIR` stores each `<dataset>.csv` here (content-addressed, like every
payload) before its rows are written, so a replay of the archive rebuilds what every import wrote.
One file covers many days: it is stored under its first day, and its meta names the days it covers
(`params.first`, `params.last`) and every import of it (`params.imports`: time, run, and whether it
replaced the dataset's rows in those days). `fetched_at` is the latest import's time, so the file
imported last is the latest revision of the rows it holds. Parsing reads the file as the import
did (pipelines/files.py); a file is archived only once it has passed the import's checks.
"""
from __future__ import annotations

from datetime import date

from pipelines import datasets as canonical
from pipelines.archive import PayloadMeta
from pipelines.sources.base import Fetched, Parsed, ParseError

NAME = "canonical-csv"
DATASETS = tuple(canonical.DATASETS)
EXT = "csv"
RATE_PER_SECOND = 0.0
SNAPSHOT = False
IMPORTED = True  # written by `btcflows import`, never fetched (no freshness, no live fetch)


def dataset_for(meta: PayloadMeta) -> str | None:
    return (meta.params or {}).get("dataset")


def covers(meta: PayloadMeta) -> tuple[date, date]:
    """The first and last day (New York partition) of the rows the file holds."""
    params = meta.params or {}
    return date.fromisoformat(params["first"]), date.fromisoformat(params["last"])


def replacements(meta: PayloadMeta) -> list[tuple[date, date, str]]:
    """(first, last, time) of each import of this file that replaced the dataset's rows in its days:
    rows of the dataset fetched or imported before that time, in those days, were removed then."""
    first, last = covers(meta)
    return [(first, last, event["at"]) for event in (meta.params or {}).get("imports", []) if event.get("replace")]


def parse(payload: bytes, meta: PayloadMeta) -> Parsed:
    from pipelines.files import check_csv

    dataset = dataset_for(meta)
    if dataset not in canonical.DATASETS:
        raise ParseError(NAME, f"its meta names no canonical dataset (params.dataset = {dataset!r})", field="dataset")
    name = (meta.params or {}).get("file", f"{dataset}.csv")
    rows, problems = check_csv(payload, name, canonical.DATASETS[dataset])
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ParseError(NAME, problems[0] + more)
    return Parsed(dataset, rows)


def fetch(client, day: date) -> list[Fetched]:
    return []  # nothing to fetch: files arrive through `btcflows import`
