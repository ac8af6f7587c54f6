"""GX in a second process (during a run): the same outcome as in this process, and the worker ends."""
from __future__ import annotations

import os
from datetime import date

import pytest

from pipelines.checks import expectations
from pipelines.runs import gx_worker
from pipelines.runs.side_process import SIDE_PROCESS_NICENESS
from tests.unit.checks.test_expectations import clean_frames


@pytest.fixture
def worker():
    gx_worker.start()
    yield
    gx_worker.stop()


def _broken_futures():
    frame = clean_frames()["futures_daily"]
    frame.loc[0, "open_interest"] = -1.0
    frame.loc[0, "venue"] = "Kraken"
    return frame


def test_the_worker_validates_as_this_process_does_and_ends_when_stopped(worker):
    assert gx_worker.running()
    process = next(iter(gx_worker._pool._processes.values()))
    there = gx_worker.validate("futures_daily", _broken_futures())
    here = expectations.validate("futures_daily", _broken_futures())
    assert process.pid != os.getpid() and process.is_alive()
    assert os.getpriority(os.PRIO_PROCESS, process.pid) == SIDE_PROCESS_NICENESS  # yields to the run
    assert not there.passed
    assert (there.expectations, there.rows_checked, there.failures) == (here.expectations, here.rows_checked, here.failures)
    gx_worker.stop()
    assert not gx_worker.running()
    process.join(timeout=10)
    assert not process.is_alive()


def test_without_a_worker_validation_runs_here():
    assert not gx_worker.running()
    outcome = gx_worker.validate("futures_daily", clean_frames()["futures_daily"])
    assert outcome.passed and outcome.expectations > 0


def test_a_window_validated_ahead_is_collected_once_by_its_window(worker):
    start = end = date(2026, 2, 5)
    gx_worker.validate_ahead("futures_daily", start, end, _broken_futures())
    assert gx_worker.outcome_ahead("futures_daily", start, date(2026, 2, 6)) is None  # another window
    ahead = gx_worker.outcome_ahead("futures_daily", start, end)
    here = expectations.validate("futures_daily", _broken_futures())
    assert (ahead.passed, ahead.failures) == (False, here.failures)
    assert gx_worker.outcome_ahead("futures_daily", start, end) is None  # collected once


def test_without_a_worker_nothing_is_validated_ahead():
    gx_worker.validate_ahead("futures_daily", date(2026, 2, 5), date(2026, 2, 5), _broken_futures())
    assert gx_worker.outcome_ahead("futures_daily", date(2026, 2, 5), date(2026, 2, 5)) is None
