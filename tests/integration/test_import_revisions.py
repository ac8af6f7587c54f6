"""`btcflows import` adds and revises, never deletes what it does not bring (unless --replace, which
announces each dataset's window first); every import is archived, so a replay rebuilds the same raw
rows; after the command the .duckdb file alone holds the marts, and no temp directory is left.

The files are written from the demo simulator's short scenario (tests/unit/checks/helpers.py) in the
canonical CSV layout; a test warehouse imports them as files (mode real), for these tests only.
"""
from __future__ import annotations

import shutil
import tempfile
from datetime import date

import pandas as pd
import pytest

from pipelines.datasets import DATASETS
from pipelines.warehouse import Warehouse
from tests.unit.checks import helpers as h

pytestmark = pytest.mark.integration
DATASETS_IMPORTED = ("etf_flows", "daily_bars", "hourly_bars", "vol_index_daily")
REVISED_BAR = pd.Timestamp("2026-02-05 20:00")  # the bar whose close is the crash day's 4 pm price (EST)
REVISED_DVOL_DAY = date(2026, 1, 27)
REPLACED_DAY = date(2026, 2, 3)


def write_csv(frame: pd.DataFrame, dataset: str, path) -> None:
    out = frame[DATASETS[dataset].column_names].copy()
    for col in DATASETS[dataset].columns:
        if col.kind == "timestamp":
            out[col.name] = pd.to_datetime(out[col.name]).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    out.to_csv(path, index=False)


def raw_tables(path) -> dict[str, pd.DataFrame]:
    with Warehouse(path).reader() as con:
        return {d: con.execute(f"select * exclude (_ingested_at) from raw.{d} order by all").df() for d in DATASETS}


def replay_resources(directory, archive) -> dict:
    from pipelines.resources import GreatExpectationsWorker, IngestSettings, WarehouseResource

    return {"warehouse": WarehouseResource(warehouse_path=str(directory / "btcflows.duckdb"), archive_path=str(archive)),
            "ingest": IngestSettings(mode="replay"), "great_expectations": GreatExpectationsWorker(separate_process=False)}


@pytest.fixture(scope="module")
def imports(tmp_path_factory):
    """Three imports into one warehouse: everything, then two revised rows, then a replacement of one day."""
    root = tmp_path_factory.mktemp("imports")
    frames = h.canonical()
    first, partial, replacing, temp = (root / n for n in ("first", "partial", "replacing", "tmp"))
    for d in (first, partial, replacing, temp):
        d.mkdir()
    for name in DATASETS_IMPORTED:
        write_csv(frames[name], name, first / f"{name}.csv")
    bars = frames["hourly_bars"]
    revised_bar = bars[bars["bar_start_utc"] == REVISED_BAR].assign(close=lambda f: f["close"] * 1.01)
    write_csv(revised_bar, "hourly_bars", partial / "hourly_bars.csv")
    dvol = frames["vol_index_daily"]
    write_csv(dvol[dvol["trade_date"] == REVISED_DVOL_DAY].assign(close=42.0), "vol_index_daily",
              partial / "vol_index_daily.csv")
    day_bars = bars[(bars["bar_start_utc"] >= pd.Timestamp("2026-02-03 05:00")) &
                    (bars["bar_start_utc"] < pd.Timestamp("2026-02-04 05:00"))]
    write_csv(day_bars.iloc[::2], "hourly_bars", replacing / "hourly_bars.csv")  # every other hour of that day

    mp = pytest.MonkeyPatch()
    mp.setenv("BTCFLOWS_WAREHOUSE", str(root / "btcflows.duckdb"))
    mp.setenv("BTCFLOWS_ARCHIVE", str(root / "archive"))
    mp.setattr(tempfile, "tempdir", str(temp))  # where the run's temporary directories would go
    from pipelines.cli import main

    out = {"root": root, "frames": frames, "day_bars": day_bars, "revised_bar": revised_bar}
    try:
        main(["import", str(first)])
        shutil.copyfile(root / "btcflows.duckdb", root / "alone.duckdb")  # the file only, no .wal
        out["after_first"] = raw_tables(root / "btcflows.duckdb")
        main(["import", str(partial)])
        out["after_partial"] = raw_tables(root / "btcflows.duckdb")
        out["temp_left"] = sorted(p.name for p in temp.iterdir())
        yield out
    finally:
        mp.undo()


def test_the_first_import_holds_every_row_of_the_files(imports):
    for name in DATASETS_IMPORTED:
        assert len(imports["after_first"][name]) == len(imports["frames"][name]), name
    assert set(imports["after_first"]["hourly_bars"]["_source"]) == {"canonical-csv"}


def test_a_partial_reimport_revises_what_it_brings_and_deletes_nothing(imports):
    before, after = imports["after_first"], imports["after_partial"]
    for name in DATASETS:
        assert len(after[name]) == len(before[name]), name
    for name in ("etf_flows", "daily_bars"):  # no file for them this time
        pd.testing.assert_frame_equal(after[name], before[name], obj=name)
    bars_before, bars_after = before["hourly_bars"], after["hourly_bars"]
    revised = bars_after["bar_start_utc"] == REVISED_BAR
    assert bars_after.loc[revised, "close"].tolist() == pytest.approx(imports["revised_bar"]["close"].tolist())
    key = list(DATASETS["hourly_bars"].key)
    others = lambda f: f.loc[f["bar_start_utc"] != REVISED_BAR].set_index(key).sort_index()
    pd.testing.assert_frame_equal(others(bars_after), others(bars_before))
    dvol = after["vol_index_daily"].set_index("trade_date")["close"]
    assert dvol[pd.Timestamp(REVISED_DVOL_DAY)] == 42.0
    assert (dvol.drop(pd.Timestamp(REVISED_DVOL_DAY)) ==
            before["vol_index_daily"].set_index("trade_date")["close"].drop(pd.Timestamp(REVISED_DVOL_DAY))).all()


def test_the_marts_show_the_revised_values(imports):
    with Warehouse(imports["root"] / "btcflows.duckdb").reader() as con:
        dvol = con.execute("select dvol from marts.fct_daily_snapshot_4pm_et where trade_date = ?",
                           [REVISED_DVOL_DAY]).fetchone()[0]
        btc = con.execute("select btc_usd_4pm from marts.fct_daily_snapshot_4pm_et where trade_date = '2026-02-05'"
                          ).fetchone()[0]
    assert dvol == 42.0
    assert btc == pytest.approx(imports["revised_bar"]["close"].iloc[0])


def test_a_replay_of_the_archive_rebuilds_the_same_raw_rows(imports, tmp_path):
    res = replay_resources(tmp_path, imports["root"] / "archive")
    result = h.materialize([h.raw_asset(d) for d in DATASETS], res, h.START, h.END)
    assert result.success, h.step_failures(result)
    replayed = raw_tables(tmp_path / "btcflows.duckdb")
    for name in DATASETS:
        pd.testing.assert_frame_equal(replayed[name], imports["after_partial"][name], obj=name)


def test_the_warehouse_file_alone_holds_the_marts_after_the_command(imports):
    """A copy of the .duckdb file without its .wal, taken right after the command, is complete."""
    with Warehouse(imports["root"] / "alone.duckdb").reader() as con:
        rows = con.execute("select count(*) from marts.fct_daily_snapshot_4pm_et").fetchone()[0]
    assert rows > 0
    assert not (imports["root"] / "btcflows.duckdb.wal").exists()


def test_no_temporary_directory_is_left_behind(imports):
    assert imports["temp_left"] == []


def test_replace_announces_each_window_then_replaces_exactly_those_days(imports, tmp_path, capsys, monkeypatch):
    work = tmp_path / "w"
    shutil.copytree(imports["root"], work, ignore=shutil.ignore_patterns("tmp", "alone.duckdb"))
    monkeypatch.setenv("BTCFLOWS_WAREHOUSE", str(work / "btcflows.duckdb"))
    monkeypatch.setenv("BTCFLOWS_ARCHIVE", str(work / "archive"))
    before = raw_tables(work / "btcflows.duckdb")
    code, _, err = h.run_cli(["import", str(imports["root"] / "replacing"), "--replace"], capsys)
    assert code == 0, err
    announce = (f"--replace: raw.hourly_bars {REPLACED_DAY}..{REPLACED_DAY}: the 24 row(s) it holds there will be "
                "replaced by the 12 row(s) of hourly_bars.csv")
    assert announce in err and err.index(announce) < err.index("run ")  # said before the run wrote anything
    after = raw_tables(work / "btcflows.duckdb")
    bars = after["hourly_bars"]
    in_day = (bars["bar_start_utc"] >= pd.Timestamp("2026-02-03 05:00")) & (bars["bar_start_utc"] < pd.Timestamp("2026-02-04 05:00"))
    assert sorted(bars.loc[in_day, "bar_start_utc"]) == sorted(imports["day_bars"]["bar_start_utc"].iloc[::2])
    outside = lambda f: f.loc[~((f["bar_start_utc"] >= pd.Timestamp("2026-02-03 05:00")) &
                                (f["bar_start_utc"] < pd.Timestamp("2026-02-04 05:00")))].reset_index(drop=True)
    pd.testing.assert_frame_equal(outside(bars), outside(before["hourly_bars"]))
    # and the archive replays the replacement: a fresh warehouse gets the same rows
    res = replay_resources(tmp_path / "replay", work / "archive")
    result = h.materialize([h.raw_asset("hourly_bars")], res, h.START, h.END)
    assert result.success, h.step_failures(result)
    pd.testing.assert_frame_equal(raw_tables(tmp_path / "replay" / "btcflows.duckdb")["hourly_bars"], bars)
