"""Write the demo scenario into the archive as each source would have served it.

For every New York calendar day of the window and every demo source, the source's renderer
(`pipelines.demo.render.<module>.render(canonical, day) -> list[Fetched]`) gives the payloads that
source would have returned when fetched for that partition date; each is archived with
mode="simulated" and a fetch time derived from the day alone, so two runs write identical bytes.
"""
from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pandas as pd

from pipelines.archive import Archive, PayloadMeta
from pipelines.datasets import DATASETS
from pipelines.demo.scenario import (
    DEFAULT_CRASH_DAY,
    DEFAULT_END,
    DEFAULT_SEED,
    DEFAULT_START,
    Scenario,
    build_scenario,
)
from pipelines.sources import SOURCE_MODULES
from pipelines.timeutils import NEW_YORK, calendar_days

DEMO_SOURCES: tuple[str, ...] = (
    "farside",
    "ishares",
    "yahoo",
    "coinbase",
    "binance-oi",
    "binance-funding",
    "cme-settlements",
    "deribit-options",
    "deribit-dvol",
    "occ-volume",
    "cftc-tff",
    "sec-edgar",
)
DEFAULT_WINDOW = (DEFAULT_START, DEFAULT_END)
# Days after the scenario's end on which its last trade dates are still reported (T+1 flows,
# the CFTC release on the Friday after its Tuesday).
REPORTING_TAIL_DAYS = 7

# When a careful fetcher would ask for partition `day`: (days after `day`, New York wall time).
# Flows appear the morning after the trade date (the Farside page of `day` shows T < day; iShares
# posts day's fund data overnight); CME open interest is final next morning; crypto series of a
# New York day are complete just after its midnight; the Deribit chain is a 16:00 snapshot.
FETCH_TIME: dict[str, tuple[int, time]] = {
    "farside": (0, time(8, 0)),
    "ishares": (1, time(8, 0)),
    "cme-settlements": (1, time(11, 0)),
    "coinbase": (1, time(0, 30)),
    "binance-oi": (1, time(0, 30)),
    "binance-funding": (1, time(0, 30)),
    "deribit-options": (0, time(16, 0)),
    "deribit-dvol": (0, time(20, 5)),
    "cftc-tff": (0, time(15, 35)),
    "sec-edgar": (0, time(22, 30)),  # the evening schedule: the day's filings are in the index
}
MARKET_CLOSE_FETCH = (0, time(16, 30))  # yahoo, occ-volume and anything not listed


def fetched_at(source: str, day: date) -> str:
    """The deterministic fetch instant (UTC ISO 8601, `Z`) of `source` for partition `day`."""
    days_after, wall = FETCH_TIME.get(source, MARKET_CLOSE_FETCH)
    local = datetime.combine(day + timedelta(days=days_after), wall, tzinfo=NEW_YORK)
    return local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def load_renderers(sources=DEMO_SOURCES) -> dict[str, object]:
    """source name -> renderer module; a source without a renderer yet is skipped with a warning."""
    out = {}
    for name in sources:
        module = f"pipelines.demo.render.{SOURCE_MODULES[name]}"
        try:
            out[name] = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise  # the renderer exists but something it imports does not: a real error
            warnings.warn(f"demo: no renderer for {name} ({module}): skipped", stacklevel=2)
    return out


class _DayWindows:
    """One source's canonical rows, sorted by New York date, cut per partition day to the dates a
    renderer may look at: [day - LOOKBACK_DAYS, day + 1]. Renderers filter again; the cut only
    keeps 180 days x 11 sources from re-scanning the whole window every time."""

    LOOKBACK_DAYS = 40  # Farside shows three weeks; a CFTC release follows its Tuesday by days

    def __init__(self, canonical: dict[str, pd.DataFrame], source: str):
        self.frames: dict[str, tuple[pd.DataFrame, np.ndarray]] = {}
        for name, df in canonical.items():
            df = df[df["source"] == source]
            if df.empty:
                continue
            ny_dates = _new_york_dates(df[DATASETS[name].date_column], DATASETS[name].is_instant)
            order = np.argsort(ny_dates, kind="stable")
            self.frames[name] = (df.iloc[order], ny_dates[order])

    def around(self, day: date) -> dict[str, pd.DataFrame]:
        lo = np.datetime64(day - timedelta(days=self.LOOKBACK_DAYS))
        hi = np.datetime64(day + timedelta(days=1))
        out = {}
        for name, (df, days) in self.frames.items():
            i, j = np.searchsorted(days, lo, "left"), np.searchsorted(days, hi, "right")
            out[name] = df.iloc[i:j]
        return out


def _new_york_dates(values: pd.Series, is_instant: bool) -> np.ndarray:
    if is_instant:
        local = pd.to_datetime(values).dt.tz_localize("UTC").dt.tz_convert(NEW_YORK).dt.tz_localize(None)
        return local.dt.floor("D").to_numpy().astype("datetime64[D]")
    return pd.to_datetime(values).to_numpy().astype("datetime64[D]")


def write_source_payloads(archive: Archive, canonical: dict[str, pd.DataFrame], source: str, days,
                          renderer=None) -> int:
    """Render and archive `source`'s payloads for each of `days`; the number written."""
    renderer = renderer or importlib.import_module(f"pipelines.demo.render.{SOURCE_MODULES[source]}")
    windows = _DayWindows(canonical, source)
    written = 0
    for day in days:
        for f in renderer.render(windows.around(day), day):
            # Simulated payloads are re-creatable from the seed: atomic, but not fsynced.
            archive.write(f.data, PayloadMeta(
                source=source, endpoint=f.endpoint, url=f.url, params=f.params,
                fetched_at=fetched_at(source, day), partition=day.isoformat(),
                content_type=f.content_type, mode="simulated"), f.ext, durable=False)
            written += 1
    return written


def simulate(
    archive: Archive,
    seed: int = DEFAULT_SEED,
    start: date = DEFAULT_START,
    end: date = DEFAULT_END,
    crash_day: date = DEFAULT_CRASH_DAY,
    on_progress: Callable[[str], None] | None = None,
    sources=DEMO_SOURCES,
) -> Scenario:
    progress = on_progress or (lambda message: None)
    progress(f"demo: building scenario seed={seed} {start}..{end}, crash {crash_day}")
    scenario = build_scenario(seed=seed, start=start, end=end, crash_day=crash_day)
    days = calendar_days(start, end + timedelta(days=REPORTING_TAIL_DAYS))
    for name, renderer in load_renderers(sources).items():
        count = write_source_payloads(archive, scenario.canonical, name, days, renderer)
        progress(f"demo: {name}: {count} payloads")
    return scenario
