"""A command run that fails says so in one line per failure and one final line that is true: what
failed, what the run wrote all the same, what to do; never a stack trace on the terminal.

Cases: a full disk while an import stores its files; another process holding the warehouse when
the run's dbt step starts (as when two imports race: the loser's rows are written, its marts not).
"""
from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.warehouse import Warehouse
from tests.unit.checks import helpers as h

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def files(tmp_path, monkeypatch) -> Path:
    """Two canonical CSVs (from the demo scenario, imported as files for these tests) and a fresh
    warehouse and archive."""
    frames = h.canonical()
    directory = tmp_path / "in"
    directory.mkdir()
    frames["vol_index_daily"].to_csv(directory / "vol_index_daily.csv", index=False)
    bars = frames["hourly_bars"].copy()
    bars["bar_start_utc"] = bars["bar_start_utc"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    bars.to_csv(directory / "hourly_bars.csv", index=False)
    monkeypatch.setenv("BTCFLOWS_WAREHOUSE", str(tmp_path / "w" / "btcflows.duckdb"))
    monkeypatch.setenv("BTCFLOWS_ARCHIVE", str(tmp_path / "w" / "archive"))
    return directory


def count(path: Path, table: str) -> int:
    with Warehouse(path).reader() as con:
        return con.execute(f"select count(*) from raw.{table}").fetchone()[0]


def test_a_full_disk_is_one_line_naming_table_file_and_cause(files, tmp_path, capsys, monkeypatch):
    from pipelines import archive as archive_module

    real_write = archive_module._atomic_write

    def disk_full_for_hourly_bars(path, data, durable=True):
        if data.startswith(b"bar_start_utc"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(path, data, durable)

    monkeypatch.setattr(archive_module, "_atomic_write", disk_full_for_hourly_bars)
    code, _, err = h.run_cli(["import", str(files)], capsys)
    assert code == 1
    assert "Traceback" not in err and "Stack Trace" not in err
    assert (f"raw__hourly_bars failed: raw.hourly_bars: cannot store hourly_bars.csv in the archive "
            f"{tmp_path / 'w' / 'archive'}, nothing written for it: No space left on device\n") in err
    final = err.strip().splitlines()[-1]
    assert final.startswith("btcflows: materialization of ") and "nothing written to raw.hourly_bars (each as it was)" in final
    assert "written by this run all the same: raw.vol_index_daily;" in final
    warehouse = tmp_path / "w" / "btcflows.duckdb"
    assert count(warehouse, "hourly_bars") == 0 and count(warehouse, "vol_index_daily") == 16
    assert len(list((tmp_path / "w" / "archive").rglob("*.csv.meta.json"))) == 1  # only the DVOL file archived


def test_a_lake_that_cannot_be_written_names_the_tables_the_warehouse_holds(files, tmp_path, capsys, monkeypatch):
    """The lake is written after the warehouse's window is committed: a lake that fails leaves the
    tables written in the warehouse, and the last line says so (not 'nothing written')."""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the lake's root should be")
    monkeypatch.setenv("BTCFLOWS_LAKE", f"file://{blocker}/lake")
    code, _, err = h.run_cli(["import", str(files)], capsys)
    assert code == 1 and "Traceback" not in err
    assert f"raw__vol_index_daily failed: lake file://{blocker}/lake: writing raw.vol_index_daily" in err
    final = err.strip().splitlines()[-1]
    assert ("written to the warehouse but not (all) to the lake, and not checked: raw.hourly_bars, "
            "raw.vol_index_daily (run the window again)") in final
    assert "nothing written" not in final
    warehouse = tmp_path / "w" / "btcflows.duckdb"
    assert count(warehouse, "vol_index_daily") == 16 and count(warehouse, "hourly_bars") > 0


LOCK_HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("HOLDING", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_a_run_that_meets_another_writer_at_dbt_says_what_it_wrote_and_to_run_again(files, tmp_path, capsys,
                                                                                    monkeypatch):
    """Another process takes the warehouse just as the run's dbt step starts (what the losing run of
    two imports at once meets): the raw tables it wrote are named as written, the dbt step's line
    names the lock, and the last line says to run the command again."""
    from pipelines.assets import dbt as dbt_asset

    warehouse = tmp_path / "w" / "btcflows.duckdb"
    holder: list[subprocess.Popen] = []
    real_checkpoint = Warehouse.checkpoint

    def another_run_takes_the_file(self, wait_s=30.0):
        if not holder:
            proc = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(warehouse), "15"], stdout=subprocess.PIPE,
                                    text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
            holder.append(proc)
            assert proc.stdout.readline().strip() == "HOLDING"
        return real_checkpoint(self, wait_s=min(wait_s, 1.0))

    monkeypatch.setattr(Warehouse, "checkpoint", another_run_takes_the_file)
    monkeypatch.setattr(dbt_asset, "DBT_LOCK_WAIT_S", 1.0)
    try:
        code, _, err = h.run_cli(["import", str(files)], capsys)
    finally:
        for proc in holder:
            proc.kill()
            proc.wait()
    assert code == 1 and "Traceback" not in err and "Stack Trace" not in err
    dbt_line = next(line for line in err.splitlines() if line.startswith("dbt_models failed: "))
    assert "is locked by another process" in dbt_line
    final = err.strip().splitlines()[-1]
    assert "written by this run all the same: raw.hourly_bars, raw.vol_index_daily;" in final
    assert "nothing written" not in final
    assert final.endswith("another process was writing the warehouse (a second run?): run this command again "
                          "when it has finished")
    assert count(warehouse, "hourly_bars") == 384 and count(warehouse, "vol_index_daily") == 16
    with Warehouse(warehouse).reader() as con:
        schemas = {s for (s,) in con.execute("select schema_name from information_schema.schemata").fetchall()}
    assert "marts" not in schemas  # dbt did not run: the marts were not built

