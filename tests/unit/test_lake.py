"""The raw lake on a local directory: one Parquet object per dataset and partition day, a window
replaced partition by partition, DuckDB reading the files back, a write killed midway leaving the
previous file, and the configuration's errors."""
from __future__ import annotations

import duckdb
import pytest

from pipelines.datasets import DATASETS
from pipelines.lake import (
    PART_FILE,
    TABLES_FILE,
    Lake,
    LakeError,
    lake_from_env,
    publish_window,
)
from pipelines.warehouse import Warehouse
from tests.lake_helpers import D, flows, kill_a_write_midway


@pytest.fixture
def lake(tmp_path) -> Lake:
    return Lake.from_url(f"file://{tmp_path / 'lake'}")


def test_a_window_is_one_object_per_partition_day_and_duckdb_reads_it_back(lake, tmp_path):
    rows = flows([("2026-02-04", "IBIT", 1e6), ("2026-02-05", "IBIT", -528e6), ("2026-02-05", "FBTC", -10e6)])
    result = lake.write_window("etf_flows", rows, D("2026-02-04"), D("2026-02-06"))
    assert result.written == (D("2026-02-04"), D("2026-02-05")) and result.rows == 3
    files = sorted(p.relative_to(tmp_path / "lake").as_posix() for p in (tmp_path / "lake").rglob("*") if p.is_file())
    assert files == [f"etf_flows/_partition=2026-02-04/{PART_FILE}", f"etf_flows/_partition=2026-02-05/{PART_FILE}"]
    # DuckDB reads the same files, the partition day typed as a date from the directory names
    got = duckdb.sql(f"select trade_date, ticker, flow_usd, _partition from read_parquet('{tmp_path}/lake/etf_flows/*/*.parquet', "
                     "hive_partitioning = true) order by flow_usd").fetchall()
    assert got == [(D("2026-02-05"), "IBIT", -528e6, D("2026-02-05")), (D("2026-02-05"), "FBTC", -10e6, D("2026-02-05")),
                   (D("2026-02-04"), "IBIT", 1e6, D("2026-02-04"))]
    assert lake.read("etf_flows").sort_by("flow_usd").equals(rows.sort_by("flow_usd"))
    assert lake.read("etf_flows", D("2026-02-05"), D("2026-02-05")).num_rows == 2


def test_rewriting_a_window_replaces_its_partitions_and_leaves_the_others(lake):
    lake.write_window("etf_flows", flows([("2026-02-03", "IBIT", 5.0), ("2026-02-04", "IBIT", 1.0),
                                          ("2026-02-05", "IBIT", 2.0)]), D("2026-02-03"), D("2026-02-05"))
    result = lake.write_window("etf_flows", flows([("2026-02-05", "IBIT", 3.0)]), D("2026-02-04"), D("2026-02-05"))
    assert result.written == (D("2026-02-05"),) and result.deleted == (D("2026-02-04"),)
    assert lake.partitions("etf_flows") == [D("2026-02-03"), D("2026-02-05")]
    assert sorted(lake.read("etf_flows").column("flow_usd").to_pylist()) == [3.0, 5.0]


def test_a_row_outside_the_window_is_refused_before_anything_is_written(lake):
    with pytest.raises(LakeError, match="etf_flows: row 1 has partition 2026-02-07, outside the window"):
        lake.write_window("etf_flows", flows([("2026-02-05", "IBIT", 1.0), ("2026-02-07", "IBIT", 1.0)]),
                          D("2026-02-05"), D("2026-02-06"))
    assert lake.partitions("etf_flows") == []


def test_a_write_killed_midway_leaves_the_previous_partition(lake, tmp_path, monkeypatch):
    import os

    before = flows([("2026-02-05", "IBIT", -528e6), ("2026-02-05", "FBTC", -10e6)])
    lake.write_window("etf_flows", before, D("2026-02-05"), D("2026-02-05"))
    env = {**os.environ, "BTCFLOWS_LAKE": lake.url}
    written_to = kill_a_write_midway(env, tmp_path / "stalled", rows=50_000)
    partition = tmp_path / "lake" / "etf_flows" / "_partition=2026-02-05"
    assert written_to.startswith(f"{partition}/.{PART_FILE}.") and written_to.endswith(".tmp")
    # the killed writer's temporary is left behind, hidden: every reader still sees the previous file
    assert sorted(p.name for p in partition.iterdir()) == sorted([PART_FILE, written_to.rsplit("/", 1)[1]])
    assert lake.read("etf_flows").sort_by("flow_usd").equals(before.sort_by("flow_usd"))
    assert duckdb.sql(f"select count(*) from read_parquet('{tmp_path}/lake/etf_flows/*/*.parquet')").fetchall() == [(2,)]
    # and the next write of the window replaces the partition as usual
    lake.write_window("etf_flows", flows([("2026-02-05", "IBIT", 1.0)]), D("2026-02-05"), D("2026-02-05"))
    assert lake.read("etf_flows").column("flow_usd").to_pylist() == [1.0]


def test_publish_window_copies_the_committed_window_and_the_reference_tables(tmp_path, monkeypatch):
    import pandas as pd

    from tests.integration.conftest import build_raw_warehouse

    frames = {"etf_flows": pd.DataFrame({"trade_date": ["2026-02-04", "2026-02-05"], "ticker": ["IBIT", "IBIT"],
                                         "flow_usd": [1e6, -528e6], "source": ["farside", "farside"]})}
    warehouse = Warehouse(build_raw_warehouse(tmp_path / "btcflows.duckdb", frames))
    with warehouse.writer() as con:
        assert publish_window(con, "etf_flows", D("2026-02-01"), D("2026-02-28")) is None  # no lake configured
        monkeypatch.setenv("BTCFLOWS_LAKE", f"file://{tmp_path / 'lake'}")
        logged = []
        result = publish_window(con, "etf_flows", D("2026-02-01"), D("2026-02-28"), log=logged.append)
        in_warehouse = con.sql("select * from raw.etf_flows order by trade_date").to_arrow_table()
        calendar_rows = con.execute("select count(*) from raw.nyse_calendar").fetchone()[0]
    assert result.written == (D("2026-02-04"), D("2026-02-05"))
    assert logged == [f"lake etf_flows: 2 partition(s) written (2 rows) in file://{tmp_path / 'lake'}"]
    lake = lake_from_env()
    assert lake.read("etf_flows").sort_by("trade_date").select(in_warehouse.schema.names).equals(in_warehouse)
    assert lake.read("nyse_calendar").num_rows == calendar_rows
    tables = {e["table_name"] for e in lake.tables_file_entries()}
    assert tables == set(DATASETS) | {"nyse_calendar", "cme_expiries"}
    assert (tmp_path / "lake" / TABLES_FILE).exists()


@pytest.mark.parametrize("url, problem", [
    ("file://relative/dir", "a local lake is file:///absolute/path"),
    ("s3://", "an S3 lake is s3://bucket[/prefix]"),
    ("gs://bucket/x", "expected file:///absolute/path or s3://bucket/prefix"),
])
def test_a_bad_lake_url_is_refused_with_what_is_expected(url, problem):
    with pytest.raises(LakeError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        Lake.from_url(url)


def test_an_s3_endpoint_must_be_a_url():
    with pytest.raises(LakeError, match="S3 endpoint '127.0.0.1:9000': expected http"):
        Lake.from_url("s3://bucket/prefix", env={"AWS_ENDPOINT_URL": "127.0.0.1:9000"})
