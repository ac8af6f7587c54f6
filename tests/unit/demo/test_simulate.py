"""simulate(): deterministic archive bytes, and every payload parses back to the canonical rows."""
from __future__ import annotations

import importlib
import json
import warnings
from contextlib import contextmanager
from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from pipelines import archive as archive_module
from pipelines import sources
from pipelines.archive import Archive
from pipelines.datasets import DATASETS
from pipelines.demo.simulate import DEMO_SOURCES, REPORTING_TAIL_DAYS, fetched_at, simulate
from pipelines.sources import SOURCE_MODULES
from pipelines.timeutils import NEW_YORK

WINDOW = {"start": date(2026, 1, 20), "end": date(2026, 2, 16), "crash_day": date(2026, 2, 5)}
# Columns a parser takes from the payload's meta rather than its bytes: Farside's reported_date is
# the fetch's partition, so with the latest fetch winning it is the last page that showed the day.
META_DERIVED = {"farside": {"reported_date"}}
# iShares publishes market values, not NAV: its parser derives NAV = value / shares (rel. < 1e-9).
RELATIVE_TOLERANCE = {"ishares": 1e-9}
# Payloads published after their data date (Farside T+1, CFTC's Friday release) leave the last
# days of the window unserved by a run that stops at the window's end.
PUBLICATION_LAG_DAYS = 10


@pytest.fixture(scope="module", autouse=True)
def no_fsync():
    """The archive fsyncs every file (~4 ms each here); durability is not what these tests test."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(archive_module.os, "fsync", lambda fd: None)
        yield


@pytest.fixture(scope="module")
def simulated(tmp_path_factory, no_fsync):
    root = tmp_path_factory.mktemp("archive-a")
    messages: list[str] = []
    with _renderers_may_be_missing():
        scenario = simulate(Archive(root), seed=11, on_progress=messages.append, **WINDOW)
    return root, scenario, messages


@contextmanager
def _renderers_may_be_missing():
    """A source without a renderer yet warns and is skipped (its round-trip test skips too)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="demo: no renderer")
        yield


def _files(root) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _module_or_skip(module: str, what: str):
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        pytest.skip(f"no {what} yet ({module})")


def test_two_runs_write_identical_archives(simulated, tmp_path):
    root_a, _, _ = simulated
    root_b = tmp_path / "archive-b"
    with _renderers_may_be_missing():
        simulate(Archive(root_b), seed=11, **WINDOW)
    a, b = _files(root_a), _files(root_b)
    assert a, "nothing was written"
    assert a.keys() == b.keys()
    assert all(a[k] == b[k] for k in a)


def test_payloads_are_marked_simulated_with_their_partition_and_fetch_time(simulated):
    root, _, messages = simulated
    payloads = Archive(root).list()
    assert {p.meta.source for p in payloads} <= set(DEMO_SOURCES)
    for p in payloads:
        assert p.meta.mode == "simulated"
        day = date.fromisoformat(p.meta.partition)
        # the scenario's days, then the reporting tail (its last trade dates reported T+1 / Friday)
        assert WINDOW["start"] <= day <= WINDOW["end"] + timedelta(days=REPORTING_TAIL_DAYS)
        assert p.meta.fetched_at == fetched_at(p.meta.source, day)
        assert p.path.suffix == "." + p.path.name.split(".", 1)[1]
        p.read()  # the sha256 in the meta matches the bytes
    assert any(m.startswith("demo: building scenario") for m in messages)


def test_fetch_times_follow_the_clock_rules():
    assert fetched_at("farside", date(2026, 2, 6)) == "2026-02-06T13:00:00Z"  # 08:00 EST
    assert fetched_at("deribit-options", date(2026, 2, 5)) == "2026-02-05T21:00:00Z"  # the 4 pm snapshot
    assert fetched_at("deribit-options", date(2026, 3, 20)) == "2026-03-20T20:00:00Z"  # EDT
    assert fetched_at("cme-settlements", date(2026, 2, 5)) == "2026-02-06T16:00:00Z"  # next morning
    assert fetched_at("yahoo", date(2026, 2, 5)) == "2026-02-05T21:30:00Z"


def _normalised(df: pd.DataFrame, dataset: str) -> pd.DataFrame:
    ds = DATASETS[dataset]
    out = df.copy()
    for col in ds.columns:
        values = out[col.name]
        if col.kind == "date":
            out[col.name] = [None if pd.isna(v) else pd.Timestamp(v).date() for v in values]
        elif col.kind == "timestamp":
            out[col.name] = pd.to_datetime(values).astype("datetime64[us]")
        elif col.kind == "float":
            out[col.name] = values.astype(float)
        else:
            out[col.name] = values.astype(object)
    return out.sort_values(list(ds.key)).reset_index(drop=True)


def _ny_date(values: pd.Series, is_instant: bool) -> pd.Series:
    if is_instant:
        return pd.to_datetime(values).dt.tz_localize("UTC").dt.tz_convert(NEW_YORK).dt.date
    return pd.Series([pd.Timestamp(v).date() for v in values], index=values.index)


@pytest.mark.parametrize("name", DEMO_SOURCES)
def test_payloads_parse_back_to_the_canonical_rows(simulated, name):
    _module_or_skip(f"pipelines.demo.render.{SOURCE_MODULES[name]}", f"renderer for {name}")
    _module_or_skip(f"pipelines.sources.{SOURCE_MODULES[name]}", f"parser for {name}")
    root, scenario, _ = simulated
    assert_round_trip(root, scenario, name, WINDOW["end"])


def assert_round_trip(root, scenario, name: str, end: date) -> None:
    """Every payload of `name` parses; merged (latest fetch wins) they equal the planted rows."""
    parser = sources.get(name)
    payloads = sorted(Archive(root).list(name), key=lambda p: (p.meta.fetched_at, p.path.name))
    assert payloads, f"{name}: no payloads written"

    parsed: dict[str, list[pd.DataFrame]] = {}
    for p in payloads:
        result = parser.parse(p.read(), p.meta)
        assert result.dataset in parser.DATASETS
        parsed.setdefault(result.dataset, []).append(result.rows)
    expected_datasets = {n for n, df in scenario.canonical.items() if (df["source"] == name).any()}
    assert set(parsed) == expected_datasets

    for dataset, frames in parsed.items():
        ds = DATASETS[dataset]
        key = list(ds.key)
        got = pd.concat([f for f in frames if len(f)], ignore_index=True)
        got = got.drop_duplicates(key, keep="last")  # the latest fetch wins
        got = _normalised(got, dataset)
        want = scenario.canonical[dataset]
        want = _normalised(want[want["source"] == name], dataset)

        merged = want.merge(got, on=key, how="outer", suffixes=("_want", "_got"), indicator=True)
        extra = merged[merged["_merge"] == "right_only"]
        assert extra.empty, f"{name}: parsed rows that were never planted:\n{extra[key].head()}"
        missing = merged[merged["_merge"] == "left_only"]
        date_col = ds.date_column if ds.date_column in key else f"{ds.date_column}_want"  # merged: suffixed
        missing_days = _ny_date(missing[date_col], ds.is_instant)
        last_served = end - timedelta(days=PUBLICATION_LAG_DAYS)
        assert (missing_days > last_served).all(), (
            f"{name}: planted rows never served:\n{missing[key].head()}")

        both = merged[merged["_merge"] == "both"]
        assert len(both) >= 0.5 * len(want)
        rtol = RELATIVE_TOLERANCE.get(name, 0.0)
        for col in ds.columns:
            if col.name in key or col.name in META_DERIVED.get(name, set()):
                continue
            w, g = both[f"{col.name}_want"], both[f"{col.name}_got"]
            if col.kind == "float" and rtol:
                pd.testing.assert_series_equal(g, w, check_names=False, rtol=rtol, atol=0)
            else:
                differ = ~((w == g) | (w.isna() & g.isna()))
                assert not differ.any(), (
                    f"{name}.{col.name} differs:\n{both.loc[differ, key + [f'{col.name}_want', f'{col.name}_got']].head()}")

        for col in META_DERIVED.get(name, set()):
            seen = both[f"{col}_got"]
            trade = both[ds.date_column]
            assert all(s is not None and t < s for s, t in zip(seen, trade)), f"{name}.{col}"


def test_the_archive_meta_files_are_plain_json(simulated):
    root, _, _ = simulated
    metas = sorted(root.rglob("*.meta.json"))
    assert metas
    meta = json.loads(metas[0].read_text())
    assert meta["mode"] == "simulated"
    datetime.strptime(meta["fetched_at"], "%Y-%m-%dT%H:%M:%SZ")
