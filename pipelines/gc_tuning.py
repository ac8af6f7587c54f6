"""Garbage collection around what a `btcflows` command loads once and keeps until it exits.

Loading the pipeline (dagster, dagster-dbt, dbt-core, pandas; 64 assets and the dbt manifest) creates
millions of objects that live as long as the process; Python's collector rescans them on every full
collection: ~0.7 s while loading and ~0.7 s during a one-day run here. Inside `loading()` nothing is
collected, and at its end those objects leave the collector's view for good (`gc.freeze`), so later
collections only look at what the run itself creates.

Only in a command's own process (`for_this_command`, called by the `btcflows` entry point, which
exits after one command): in a long-lived process (tests, a notebook calling `run_materialization`
again and again) whatever happened to be garbage at that moment would be kept forever.
"""
import gc
from collections.abc import Iterator
from contextlib import contextmanager

_command_process = False


def for_this_command() -> None:
    global _command_process
    _command_process = True


@contextmanager
def frozen_after_loading() -> Iterator[None]:
    """No collections while the block loads what stays alive, then those objects out of every later
    collection. For processes that end after one job (a command, dbt-ahead, the GX worker)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


@contextmanager
def loading() -> Iterator[None]:
    """`frozen_after_loading` in a command's own process; nothing elsewhere."""
    if not _command_process:
        yield
        return
    with frozen_after_loading():
        yield
