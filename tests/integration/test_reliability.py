"""Idempotency and crash safety: the same window materialized three times gives identical tables;
a writer killed with SIGKILL mid-transaction leaves the warehouse as it was and the next run
completes; read-only access during a write fails fast with WarehouseLocked (never hangs)."""

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import date
from pathlib import Path

import dagster as dg
import pytest
from dagster_dbt import DbtCliResource

from pipelines.archive import Archive
from pipelines.checks.raw_checks import read_window
from pipelines.resources import WarehouseResource
from pipelines.warehouse import Warehouse, WarehouseLocked
from tests.unit.checks import helpers as h
from tests.unit.checks.helpers import table_hashes

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
START, END = date(2026, 2, 4), date(2026, 2, 6)
SOURCES = ("farside", "yahoo", "coinbase", "cme-settlements", "occ-volume", "deribit-dvol", "binance-oi",
           "binance-funding", "ishares", "cftc-tff")


@pytest.fixture(scope="module")
def small_archive(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("reliability")
    archive = Archive(root / "archive")
    for source in SOURCES:
        h.write_payloads(archive, source, h.days(date(2026, 1, 30), END))
    return root


def _snapshot_mart_models():
    """The dbt models up to the 4 pm mart, as pipelines/assets/dbt.py runs them but with `dbt run`
    (no dbt tests) and not the whole project: a full `dbt build` of the project takes ~90 s."""
    from dagster_dbt import dbt_assets

    from pipelines.assets.dbt import MANIFEST_PATH, Translator, run_dbt
    from pipelines.partitions import daily_partitions
    from pipelines.run_window import run_window
    from pipelines.runs.instance import DUCKDB_POOL


    @dbt_assets(manifest=MANIFEST_PATH, select="+fct_daily_snapshot_4pm_et", dagster_dbt_translator=Translator(),
                partitions_def=daily_partitions, backfill_policy=dg.BackfillPolicy.single_run(), pool=DUCKDB_POOL)
    def snapshot_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
        start, end = run_window(context)
        yield from run_dbt(context, dbt, warehouse, ["run"], start, end)

    return snapshot_models


def test_materializing_a_window_three_times_leaves_identical_raw_and_marts(small_archive, tmp_path, monkeypatch):
    from pipelines.assets.dbt import dbt_resource
    from pipelines.assets.raw import raw_assets, reference_tables
    from pipelines.checks.raw_checks import raw_quality_checks
    from pipelines.resources import GreatExpectationsWorker, IngestSettings, WarehouseResource

    monkeypatch.setenv("BTCFLOWS_WAREHOUSE", str(tmp_path / "btcflows.duckdb"))
    warehouse = WarehouseResource(warehouse_path=str(tmp_path / "btcflows.duckdb"),
                                  archive_path=str(small_archive / "archive"))
    res = {"warehouse": warehouse, "ingest": IngestSettings(mode="replay"),
           "great_expectations": GreatExpectationsWorker(), "dbt": dbt_resource(warehouse)}
    defs = [*raw_assets(), *reference_tables, _snapshot_mart_models(), *raw_quality_checks]
    snapshots = []
    for _ in range(3):
        result = h.materialize(defs, res, START, END)
        assert result.success, h.step_failures(result)
        snapshots.append(table_hashes(tmp_path / "btcflows.duckdb"))
    first = snapshots[0]
    assert first.get("marts.fct_daily_snapshot_4pm_et", (0,))[0] == 3, sorted(first)
    for table in ("raw.etf_flows", "raw.hourly_bars", "raw.futures_daily", "raw.options_volume"):
        assert first[table][0] > 0, table
    assert snapshots[0] == snapshots[1] == snapshots[2]


WRITER_SCRIPT = textwrap.dedent("""
    import sys, time
    from datetime import date
    import pandas as pd
    from pipelines.datasets import DATASETS
    from pipelines.warehouse import Warehouse, add_lineage

    path, rows = sys.argv[1], int(sys.argv[2])
    ts = pd.date_range("2026-02-05 05:00", periods=rows, freq="s")
    frame = pd.DataFrame({"bar_start_utc": ts, "symbol": [f"S{i % 1000}" for i in range(rows)], "open": 1.0,
                          "high": 2.0, "low": 0.5, "close": 1.5, "volume": 10.0, "source": "crash-test"})
    frame = add_lineage(frame, DATASETS["hourly_bars"], source="crash-test", mode="simulated", sha256="new")
    frame["_partition"] = date(2026, 2, 5)

    class SlowAfterInsert:
        # Delegates to the DuckDB connection; after the window's insert (inside the transaction,
        # before commit) it says so and sleeps, so the parent can kill it at that exact point.
        def __init__(self, con):
            self.con = con
        def __getattr__(self, name):
            return getattr(self.con, name)
        def execute(self, sql, *args):
            out = self.con.execute(sql, *args)
            if sql.startswith("insert into raw."):
                print("INSERTED", flush=True)
                time.sleep(60)
            return out

    wh = Warehouse(path)
    with wh.writer() as con:
        print("WRITING", flush=True)
        wh.write_window(SlowAfterInsert(con), "hourly_bars", frame, date(2026, 2, 5), date(2026, 2, 5))
    print("COMMITTED", flush=True)
""")


def _seed(path: Path) -> dict:
    wh = Warehouse(path)
    frames = h.canonical()
    hb = frames["hourly_bars"]
    from pipelines.datasets import DATASETS
    from pipelines.warehouse import add_lineage

    rows = add_lineage(hb[hb["source"] == "coinbase"].reset_index(drop=True), DATASETS["hourly_bars"],
                       source="coinbase", mode="simulated", sha256="old")
    with wh.writer() as con:
        wh.write_window(con, "hourly_bars", rows, h.START, h.END)
    return table_hashes(path, schemas=("raw",))


def _start_writer(path: Path, rows: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", WRITER_SCRIPT, str(path), str(rows)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)


def _wait_for(proc: subprocess.Popen, word: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if word in line:
            return
        if not line and proc.poll() is not None:
            raise AssertionError(f"writer exited early: {proc.stderr.read()}")
    raise AssertionError(f"writer never printed {word}")


def _bounded(fn, timeout: float):
    """Run fn in a thread; fail the test if it has not returned within `timeout` (a hang)."""
    box = {}

    def run():
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001
            box["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    started = time.monotonic()
    t.start()
    t.join(timeout)
    assert not t.is_alive(), f"hung for more than {timeout}s"
    return box, time.monotonic() - started


def test_sigkill_mid_transaction_leaves_the_warehouse_as_before_and_the_next_run_completes(tmp_path):
    path = tmp_path / "btcflows.duckdb"
    before = _seed(path)
    proc = _start_writer(path, 200_000)
    try:
        _wait_for(proc, "INSERTED")
        # Readers during the write fail fast and clearly, they never hang.
        box, took = _bounded(lambda: Warehouse(path).reader().__enter__(), timeout=10)
        assert isinstance(box.get("error"), WarehouseLocked), box
        assert "being written by another process" in str(box["error"]) and took < 5
        box, took = _bounded(lambda: read_window(Warehouse(path), "hourly_bars", START, END, wait_s=1.0), timeout=10)
        assert isinstance(box.get("error"), WarehouseLocked) and 1.0 <= took < 5, (box, took)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert table_hashes(path, schemas=("raw",)) == before  # the killed transaction left nothing behind
    # The next run completes: a writer opens (WAL replayed), the same window is written whole.
    wh = Warehouse(path)
    rows = h.canonical()["hourly_bars"]
    from pipelines.datasets import DATASETS
    from pipelines.warehouse import add_lineage

    rows = add_lineage(rows[rows["source"] == "coinbase"].reset_index(drop=True), DATASETS["hourly_bars"],
                       source="coinbase", mode="simulated", sha256="old")
    with wh.writer(wait_s=10) as con:
        result = wh.write_window(con, "hourly_bars", rows, h.START, h.END)
    assert result.unchanged
    assert table_hashes(path, schemas=("raw",)) == before


def test_cli_query_during_a_write_fails_fast_with_a_clear_message(tmp_path, monkeypatch, capsys):
    from pipelines.cli import main

    path = tmp_path / "btcflows.duckdb"
    _seed(path)
    monkeypatch.setenv("BTCFLOWS_WAREHOUSE", str(path))
    proc = _start_writer(path, 1_000)
    try:
        _wait_for(proc, "INSERTED")
        box, took = _bounded(lambda: main(["query", "select count(*) from raw.hourly_bars"]), timeout=20)
        assert isinstance(box.get("error"), SystemExit) and box["error"].code == 1, box
        assert took < 10
        assert "being written by another process" in capsys.readouterr().err
    finally:
        proc.kill()
        proc.wait()
    box, _ = _bounded(lambda: main(["query", "select count(*) as n from raw.hourly_bars"]), timeout=20)
    assert "error" not in box, box
    assert "n" in capsys.readouterr().out


KILL_AFTER_WRITES = textwrap.dedent("""
    import os, signal, sys
    from pipelines.warehouse import Warehouse

    done = []

    def killing_after(write):
        def written(self, con, dataset, *args, **kwargs):
            out = write(self, con, dataset, *args, **kwargs)  # committed (in the .wal: no checkpoint yet)
            done.append(dataset)
            if len(done) == int(sys.argv[2]):
                print("KILLED AFTER", ",".join(done), file=sys.__stderr__, flush=True)  # stdout is the run's log
                os.kill(os.getpid(), signal.SIGKILL)
            return out
        return written

    for name in ("write_window", "upsert_rows"):  # every way a raw table is written
        if hasattr(Warehouse, name):
            setattr(Warehouse, name, killing_after(getattr(Warehouse, name)))
    from pipelines.cli import main
    main(["import", sys.argv[1]])
""")
KILLED_DATASETS = ("vol_index_daily", "hourly_bars", "daily_bars")


def test_a_run_killed_in_its_raw_phase_leaves_each_table_old_or_new_and_the_next_run_completes(tmp_path, monkeypatch):
    """The raw tables are written one transaction each, not one for the run: a run killed (SIGKILL)
    between two of them leaves every table whole, either as it was or as the run wrote it, and
    the next run completes the rest."""
    from tests.integration.test_import_revisions import write_csv

    frames = h.canonical()
    old, new = tmp_path / "old", tmp_path / "new"
    for d in (old, new):
        d.mkdir()
    for name in KILLED_DATASETS:
        write_csv(frames[name], name, old / f"{name}.csv")
        write_csv(frames[name].assign(close=frames[name]["close"] * 2), name, new / f"{name}.csv")
    path = tmp_path / "btcflows.duckdb"
    env = {**os.environ, "PYTHONPATH": str(REPO), "BTCFLOWS_WAREHOUSE": str(path),
           "BTCFLOWS_ARCHIVE": str(tmp_path / "archive")}
    seeded = h.materialize(
        [h.raw_asset(d) for d in KILLED_DATASETS], h.resources(tmp_path, mode="files", files_dir=str(old)),
        h.START, h.END)
    assert seeded.success, h.step_failures(seeded)

    proc = subprocess.Popen([sys.executable, "-c", KILL_AFTER_WRITES, str(new), "2"], env=env, cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _, err = proc.communicate(timeout=300)  # the run's side processes exit with it (they hold its pipes)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # anything of it left over, if the test failed
    assert proc.returncode == -signal.SIGKILL, err[-2000:]
    written = err.split("KILLED AFTER ", 1)[1].split()[0].split(",")
    assert len(written) == 2

    def state(dataset: str) -> str:
        with Warehouse(path).reader() as con:
            closes = con.execute(f"select close from raw.{dataset} order by all").df()["close"]
        base = frames[dataset]["close"].sort_values().reset_index(drop=True)
        if closes.reset_index(drop=True).equals(base):
            return "old"
        if closes.reset_index(drop=True).equals(base * 2):
            return "new"
        return "mixed"

    assert {d: state(d) for d in KILLED_DATASETS} == {d: "new" if d in written else "old" for d in KILLED_DATASETS}
    # The next run completes: every table new, the marts built.
    monkeypatch.setenv("BTCFLOWS_WAREHOUSE", str(path))
    monkeypatch.setenv("BTCFLOWS_ARCHIVE", str(tmp_path / "archive"))
    from pipelines.cli import main

    main(["import", str(new)])
    assert {d: state(d) for d in KILLED_DATASETS} == {d: "new" for d in KILLED_DATASETS}
    with Warehouse(path).reader() as con:
        assert con.execute("select count(*) from marts.fct_daily_snapshot_4pm_et").fetchone()[0] > 0
