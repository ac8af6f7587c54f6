"""One scenario per process and parameters: every archive asset of a demo run renders from it."""
from __future__ import annotations

from datetime import date
from functools import lru_cache


@lru_cache(maxsize=4)
def cached_scenario(seed: int, start: date, end: date, crash_day: date):
    from pipelines.demo.scenario import build_scenario

    return build_scenario(seed=seed, start=start, end=end, crash_day=crash_day)
