"""The blocking GX asset checks on raw tables, in real in-process runs; the source freshness checks."""
from __future__ import annotations

from datetime import date

import dagster as dg
import duckdb
import pytest

from pipelines import sources
from pipelines.archive import Archive
from pipelines.checks.raw_checks import (
    CHECK_NAME,
    HOURLY_SOURCES,
    build_freshness_checks,
    build_raw_quality_checks,
    read_window,
)
from pipelines.datasets import DATASETS
from pipelines.partitions import daily_partitions
from pipelines.warehouse import Warehouse
from tests.unit.checks import helpers as h

pytestmark = pytest.mark.integration


def test_one_blocking_partitioned_check_per_raw_dataset():
    checks = build_raw_quality_checks()
    keys = {k for c in checks for k in c.check_keys}
    assert keys == {dg.AssetCheckKey(dg.AssetKey(["raw", d]), CHECK_NAME) for d in DATASETS}
    for c in checks:
        (spec,) = c.check_specs
        assert spec.blocking


def test_clean_window_passes_with_row_count(tmp_path):
    res = h.resources(tmp_path)
    start, end = date(2026, 2, 3), date(2026, 2, 6)
    h.write_payloads(Archive(tmp_path / "archive"), "occ-volume", h.days(start, end))
    result = h.materialize([h.raw_asset("options_volume"), h.raw_check("options_volume")], res, start, end)
    assert result.success
    (ev,) = h.check_evaluations(result)
    assert ev.passed
    assert ev.metadata["window"].value == "2026-02-03..2026-02-06"
    with duckdb.connect(str(tmp_path / "btcflows.duckdb"), read_only=True) as con:
        count = con.execute("select count(*) from raw.options_volume").fetchone()[0]
    assert ev.metadata["rows_checked"].value == count == 8  # 4 trading days x (P, C)


def test_failed_check_names_rows_and_blocks_downstream(tmp_path):
    res = h.resources(tmp_path)
    frames = h.canonical()
    hb = frames["hourly_bars"]
    bad = hb.index[(hb["source"] == "coinbase")][3]
    hb.loc[bad, "low"] = hb.loc[bad, "high"] + 100  # low above high
    day = h.START
    h.write_payloads(Archive(tmp_path / "archive"), "coinbase", [day], frames)
    ran = []

    @dg.asset(key=["downstream_of_hourly_bars"], deps=[dg.AssetKey(["raw", "hourly_bars"])],
              partitions_def=daily_partitions)
    def downstream():
        ran.append(True)

    result = h.materialize([h.raw_asset("hourly_bars"), h.raw_check("hourly_bars"), downstream], res, day)
    assert not result.success
    assert ran == []  # blocked
    materialized = {e.event_specific_data.materialization.asset_key for e in result.get_asset_materialization_events()}
    assert materialized == {dg.AssetKey(["raw", "hourly_bars"])}
    skipped = [e.step_key for e in result.all_events if e.step_key == "downstream_of_hourly_bars" and e.is_step_success]
    assert skipped == []
    (ev,) = h.check_evaluations(result)
    assert not ev.passed and ev.severity == dg.AssetCheckSeverity.ERROR
    failures = ev.metadata["failures"].value
    assert [f["expectation"] for f in failures] == ["expect_column_pair_values_a_to_be_greater_than_b"]
    row = failures[0]["rows"][0]
    assert row["symbol"] == "BTC-USD" and row["source"] == "coinbase" and row["low"] > row["high"]
    assert row["bar_start_utc"] == hb.loc[bad, "bar_start_utc"].isoformat()
    assert "high, low" in ev.metadata["failing_rows"].value


def test_read_window_works_on_a_raw_only_warehouse_and_brings_history_for_daily_bars(tmp_path):
    res = h.resources(tmp_path)
    start, end = date(2026, 2, 2), date(2026, 2, 6)
    h.write_payloads(Archive(tmp_path / "archive"), "yahoo", h.days(date(2026, 1, 26), end))
    result = h.materialize([h.raw_asset("daily_bars")], res, date(2026, 1, 26), end)
    assert result.success
    frame, history = read_window(Warehouse(tmp_path / "btcflows.duckdb"), "daily_bars", start, end)
    assert len(frame) and frame["_partition"].min().date() >= start
    assert len(history) and history["_partition"].max().date() < start


def test_freshness_checks_cover_every_source_at_its_cadence():
    checks = build_freshness_checks()
    keys = {k.asset_key for c in checks for k in c.check_keys}
    assert keys == {dg.AssetKey(["archive", n]) for n in sources.fetched_names()}
    assert "canonical-csv" in sources.names() and "canonical-csv" not in sources.fetched_names()
    params = {}
    for c in checks:
        for spec in c.check_specs:
            params[spec.asset_key.path[1]] = spec.metadata["dagster/freshness_params"].value
    for name in HOURLY_SOURCES:
        assert params[name]["lower_bound_delta_seconds"] == 2 * 3600 and not params[name].get("deadline_cron")
    assert params["farside"]["deadline_cron"] == "0 10 * * *"
    assert params["farside"]["timezone"] == "America/New_York"


def test_freshness_fails_when_never_fetched_and_passes_right_after(tmp_path):
    from pipelines.assets.archive import build_archive_asset

    instance = dg.DagsterInstance.ephemeral()
    checks = [c for c in build_freshness_checks() if dg.AssetKey(["archive", "coinbase"]) in
              {k.asset_key for k in c.check_keys}]
    asset = build_archive_asset("coinbase")
    selection = dg.AssetSelection.checks_for_assets(asset)
    before = dg.materialize([asset, *checks], resources=h.resources(tmp_path), instance=instance,
                            selection=selection, raise_on_error=False)
    assert [e.passed for e in h.check_evaluations(before)] == [False]
    h.materialize([asset], h.resources(tmp_path), date(2026, 2, 3), instance=instance)
    after = dg.materialize([asset, *checks], resources=h.resources(tmp_path), instance=instance,
                           selection=selection, raise_on_error=False)
    assert [e.passed for e in h.check_evaluations(after)] == [True]
