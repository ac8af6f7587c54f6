"""Great Expectations validation in a second process, for the length of a run.

Importing GX takes seconds of one core (BENCHMARKS.md), in every process that validates. A run that
checks raw tables starts this worker when it starts (`start`, from the `great_expectations` resource,
pipelines/resources.py: every launch path); the worker imports GX on the other core while the run
ingests. Each raw asset hands it the window it has just written (`validate_ahead`), so validation
runs on the other core while the next assets ingest, and the blocking check collects the outcome
(`outcome_ahead`). The suites, the frames and the outcomes are the same as in-process: only where
and when GX runs changes. Without a started worker nothing is validated ahead and `validate` runs GX
in this process.
"""
from __future__ import annotations

import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

_pool: ProcessPoolExecutor | None = None
_ahead: dict[tuple[str, date, date], Future] = {}


def start() -> None:
    """Start the worker (once per process) and have it import GX right away."""
    global _pool
    if _pool is not None:
        return
    # spawn, not fork: this process has threads (Dagster's, DuckDB's) by the time checks run.
    _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                initializer=_init_worker)
    _pool.submit(_warm_up)  # a failure here shows again, named, at the first validation


def stop() -> None:
    """End the worker, if started (after a validation it may be running, for a check that never ran)."""
    global _pool
    pool, _pool = _pool, None
    _ahead.clear()
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def _init_worker() -> None:
    """In the worker: yield the CPU to the run, and leave without the interpreter's teardown (freeing
    GX, pandas and scipy takes most of a second, which `stop`, at the end of every run, waits for).
    The worker writes nothing: its outcomes have reached the run through the pool's queue by then."""
    import atexit
    import os

    from pipelines.runs.side_process import lower_priority

    lower_priority()
    atexit.register(os._exit, 0)  # runs first (registered last), after multiprocessing's own finalizers
    _exit_with_the_run()


def _exit_with_the_run() -> None:
    """End this worker when the run's process ends without stopping it (killed, SIGKILL): the pool
    only notices on its next task, so an idle worker would otherwise outlive the run for good."""
    import multiprocessing.connection
    import os
    import threading

    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-the-run", daemon=True).start()


def running() -> bool:
    return _pool is not None


def validate_ahead(dataset: str, start: date, end: date, frame: pd.DataFrame,
                   history: pd.DataFrame | None = None) -> None:
    """Start validating a window the raw asset has just written, while the run goes on (its check
    collects the outcome with `outcome_ahead`). Nothing happens without a started worker."""
    if _pool is not None:
        _ahead[(dataset, start, end)] = _pool.submit(_validate, dataset, frame, history)


def outcome_ahead(dataset: str, start: date, end: date):
    """The outcome of `validate_ahead` for this window (waiting for it), or None if none was started."""
    future = _ahead.pop((dataset, start, end), None)
    return None if future is None else _result(dataset, future)


def validate(dataset: str, frame: pd.DataFrame, *, history: pd.DataFrame | None = None):
    """expectations.validate, in the worker when one was started, else here."""
    from pipelines.checks import expectations

    if _pool is None:
        return expectations.validate(dataset, frame, history=history)
    return _result(dataset, _pool.submit(_validate, dataset, frame, history))


def _warm_up() -> None:
    # In the worker (this process imports neither pandas nor GX to start it). GX stays loaded for
    # the worker's life: no collections while it loads, then out of every later one.
    from pipelines.runs.gc_tuning import frozen_after_loading

    with frozen_after_loading():
        from pipelines.checks import expectations

        expectations.warm_up()


def _validate(dataset: str, frame: pd.DataFrame, history: pd.DataFrame | None):
    from pipelines.checks import expectations

    return expectations.validate(dataset, frame, history=history)


def _result(dataset: str, future: Future):
    try:
        return future.result()
    except BrokenProcessPool as exc:
        raise RuntimeError(f"great_expectations worker process for raw.{dataset} died: {exc}; rerun, or set "
                           "resources.great_expectations.config.separate_process: false to validate in the "
                           "run's own process") from exc
