"""Garbage collection around what a side process of a run (dbt-ahead, the GX worker) loads once and
keeps until it exits.

Importing dbt or GX (and parsing the project) creates millions of objects that live as long as the
process; Python's collector would rescan them on every full collection. Inside
`frozen_after_loading()` nothing is collected, and at its end those objects leave the collector's
view for good (`gc.freeze`), so later collections only look at what the process creates afterwards.
Only for processes that end after one job: in a long-lived one, whatever happened to be garbage at
that moment would be kept forever.
"""
import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def frozen_after_loading() -> Iterator[None]:
    """No collections while the block loads what stays alive, then those objects out of every later
    collection."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
