"""Garbage collection around what a process loads once and keeps until it exits: the code location
(pipelines/definitions.py), dbt in dbt-ahead, GX in the GX worker.

Importing them (and parsing the dbt project) creates millions of objects that live as long as the
process; Python's collector would rescan them on every full collection, again and again during a
run. Inside `frozen_after_loading()` nothing is collected, and at its end those objects leave the
collector's view for good (`gc.freeze`), so later collections only look at what the process creates
afterwards. The price: what was garbage at that moment stays (little, next to what is loaded).
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
