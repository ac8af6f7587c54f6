"""Great Expectations validation in a second process, for `btcflows` command runs.

Importing GX costs ~4.5 s of one core here, in every process that validates. A command run starts
this worker first thing (`start`); it imports GX on the other core while this process loads the
pipeline and ingests, and the raw checks hand it their frames (`validate`). The suites, the frames
and the outcomes are the same as in-process: only where GX runs changes. Without a started worker
(the Dagster UI, schedules, tests) `validate` runs GX in this process.
"""
from __future__ import annotations

import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

_pool: ProcessPoolExecutor | None = None
_warm: Future | None = None


def start() -> None:
    """Start the worker (once per process) and have it import GX right away."""
    global _pool, _warm
    if _pool is not None:
        return
    from pipelines.checks import expectations

    # spawn, not fork: this process has threads (Dagster's, DuckDB's) by the time checks run.
    _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    _warm = _pool.submit(expectations.warm_up)


def stop() -> None:
    """End the worker, if started (idle by then: every check waited for its result)."""
    global _pool, _warm
    pool, _pool, _warm = _pool, None, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def running() -> bool:
    return _pool is not None


def validate(dataset: str, frame: pd.DataFrame, *, history: pd.DataFrame | None = None):
    """expectations.validate, in the worker when one was started, else here."""
    from pipelines.checks import expectations

    if _pool is None:
        return expectations.validate(dataset, frame, history=history)
    try:
        return _pool.submit(expectations.validate, dataset, frame, history=history).result()
    except BrokenProcessPool as exc:
        raise RuntimeError(f"great_expectations worker process for raw.{dataset} died: {exc}; "
                           "rerun, or run without the worker (Dagster UI / dg.materialize)") from exc
