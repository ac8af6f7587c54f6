"""Small archives, raw-only materializations and in-process commands for the checks, reliability
and fault tests.

Payloads come from the demo renderers of a short scenario (2026-01-26..02-10, crash 02-05), so the
real parsers read them; a test may change the canonical rows first to plant bad data.
"""
from __future__ import annotations

import copy
import hashlib
import importlib
from datetime import date
from functools import lru_cache
from pathlib import Path

import dagster as dg
import pandas as pd

from pipelines.archive import Archive, PayloadMeta
from pipelines.demo.simulate import fetched_at
from pipelines.resources import GreatExpectationsWorker, IngestSettings, WarehouseResource
from pipelines.sources import SOURCE_MODULES
from pipelines.timeutils import calendar_days

START, END, CRASH = date(2026, 1, 26), date(2026, 2, 10), date(2026, 2, 5)


@lru_cache(maxsize=1)
def _scenario():
    from pipelines.demo.scenario import build_scenario

    return build_scenario(seed=7, start=START, end=END, crash_day=CRASH)


def canonical() -> dict[str, pd.DataFrame]:
    """A private copy of the short scenario's canonical frames (safe to change)."""
    return copy.deepcopy(_scenario().canonical)


def write_payloads(archive: Archive, source: str, days: list[date], frames: dict[str, pd.DataFrame] | None = None,
                   fetched: str | None = None) -> list[Path]:
    """Render `source`'s payloads for `days` from `frames` (default: the scenario) into `archive`."""
    renderer = importlib.import_module(f"pipelines.demo.render.{SOURCE_MODULES[source]}")
    frames = frames if frames is not None else _scenario().canonical
    paths = []
    for day in days:
        for f in renderer.render(frames, day):
            meta = PayloadMeta(source=source, endpoint=f.endpoint, url=f.url, params=f.params,
                               fetched_at=fetched or fetched_at(source, day), partition=day.isoformat(),
                               content_type=f.content_type, mode="simulated")
            paths.append(archive.write(f.data, meta, f.ext).path)
    return paths


def write_raw_payload(archive: Archive, source: str, day: date, data: bytes, ext: str, endpoint: str = "",
                      params: dict | None = None, fetched: str | None = None) -> Path:
    meta = PayloadMeta(source=source, endpoint=endpoint, url=f"https://example.invalid/{source}", params=params or {},
                       fetched_at=fetched or fetched_at(source, day), partition=day.isoformat(),
                       content_type="", mode="simulated")
    return archive.write(data, meta, ext).path


def resources(tmp_path: Path, mode: str = "replay", **ingest) -> dict:
    """The resources of a small run; GX validates in the test's process (no worker to start per run)."""
    return {
        "warehouse": WarehouseResource(warehouse_path=str(tmp_path / "btcflows.duckdb"),
                                       archive_path=str(tmp_path / "archive")),
        "ingest": IngestSettings(mode=mode, **ingest),
        "great_expectations": GreatExpectationsWorker(separate_process=False),
    }


def raw_asset(dataset: str) -> dg.AssetsDefinition:
    from pipelines.assets.raw import build_raw_asset

    return build_raw_asset(dataset)


def raw_check(dataset: str) -> dg.AssetChecksDefinition:
    from pipelines.checks.raw_checks import build_raw_check

    return build_raw_check(dataset)


def materialize(defs: list, res: dict, start: date, end: date | None = None, **kw) -> dg.ExecuteInProcessResult:
    """One in-process run over [start, end] (a partition range, as `btcflows materialize` runs)."""
    end = end or start
    tags = {"dagster/asset_partition_range_start": start.isoformat(),
            "dagster/asset_partition_range_end": end.isoformat()}
    return dg.materialize(defs, resources=res, tags=tags, raise_on_error=False, **kw)


def days(start: date, end: date) -> list[date]:
    return calendar_days(start, end)


def check_evaluations(result: dg.ExecuteInProcessResult) -> list:
    return [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]


def step_failures(result: dg.ExecuteInProcessResult) -> dict[str, str]:
    out = {}
    for e in result.all_events:
        if e.is_step_failure:
            err, parts = e.event_specific_data.error, []
            while err is not None:  # the user's exception is the cause of Dagster's step error
                parts.append(err.message)
                err = err.cause
            out[e.step_key] = "\n".join(parts)
    return out


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    """`btcflows ARGV` in this process: (exit code, stdout, stderr)."""
    from pipelines.cli import main

    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def table_hashes(path: Path, schemas=("raw", "staging", "intermediate", "marts")) -> dict[str, tuple[int, str]]:
    """(row count, content hash) per table, ignoring `_ingested_at` (the write time, by design)."""
    out = {}
    from pipelines.warehouse import Warehouse

    with Warehouse(path).reader() as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables where table_schema in "
            f"({', '.join(repr(s) for s in schemas)}) and table_type = 'BASE TABLE' order by 1, 2").fetchall()
        for schema, name in tables:
            cols = [c for (c,) in con.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
                "order by ordinal_position", [schema, name]).fetchall() if c != "_ingested_at"]
            df = con.execute(f"select {', '.join(repr(c).replace(chr(39), chr(34)) for c in cols)} "
                             f"from {schema}.{name} order by all").df()
            digest = hashlib.sha256(pd.util.hash_pandas_object(df, index=False).values.tobytes()).hexdigest()
            out[f"{schema}.{name}"] = (len(df), digest)
    return out
