"""The raw lake on S3-compatible object storage: a local S3 server (moto's server mode on 127.0.0.1),
the raw asset writing its window there through the lake hook, DuckDB reading the objects back, and a
write killed in the middle of a multipart upload leaving the previous object readable.

DuckDB's own S3 reader (the httpfs extension) is downloaded on first use and is not to be had
offline here (nor from PyPI for DuckDB 2.x): DuckDB reads the objects through pyarrow's S3
filesystem, which the pyarrow wheel ships, as a registered Arrow dataset."""
from __future__ import annotations

import socket
from datetime import date

import duckdb
import pandas as pd
import pytest

from pipelines.lake import PART_FILE, lake_from_env
from pipelines.warehouse import Warehouse
from tests.lake_helpers import flows, kill_a_write_midway

pytestmark = pytest.mark.integration

BUCKET = "btcflows-lake"
D = date.fromisoformat


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def s3(monkeypatch):
    """A moto S3 server on 127.0.0.1, a bucket, and the environment of a lake in it."""
    import boto3
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    # moto keeps one S3 state per process, whatever the server: each test starts from an empty one
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")).close()
    env = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_REGION": "us-east-1", "BTCFLOWS_LAKE": f"s3://{BUCKET}/btcflows"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    client.create_bucket(Bucket=BUCKET)
    try:
        yield client
    finally:
        server.stop()


def test_the_raw_asset_writes_its_window_to_s3_and_duckdb_reads_it_back(s3, tmp_path):
    import dagster as dg

    from pipelines.assets.raw import build_raw_asset, reference_tables
    from pipelines.resources import GreatExpectationsWorker, IngestSettings, WarehouseResource

    files = tmp_path / "csv"
    files.mkdir()
    pd.DataFrame({"trade_date": ["2026-02-04", "2026-02-05", "2026-02-05"], "ticker": ["IBIT", "IBIT", "FBTC"],
                  "flow_usd": [1e6, -528e6, -10e6], "source": ["farside"] * 3}).to_csv(files / "etf_flows.csv", index=False)
    # an import writes every day its file brings (pipelines/imports.py), whatever the run's partition
    resources = {"warehouse": WarehouseResource(warehouse_path=str(tmp_path / "btcflows.duckdb"),
                                                archive_path=str(tmp_path / "archive")),
                 "ingest": IngestSettings(mode="files", files_dir=str(files)),
                 "great_expectations": GreatExpectationsWorker(separate_process=False)}
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([build_raw_asset("etf_flows"), *reference_tables], resources=resources, instance=instance,
                            selection=[dg.AssetKey(["raw", "etf_flows"])], partition_key="2026-02-05")
    assert result.success
    logged = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert f"lake etf_flows: 2 partition(s) written (3 rows) in s3://{BUCKET}/btcflows" in logged

    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert f"btcflows/etf_flows/_partition=2026-02-05/{PART_FILE}" in keys
    assert f"btcflows/etf_flows/_partition=2026-02-04/{PART_FILE}" in keys
    assert {"btcflows/btcflows_tables.json", f"btcflows/nyse_calendar/{PART_FILE}"} <= set(keys)

    lake = lake_from_env()
    with Warehouse(tmp_path / "btcflows.duckdb").reader() as con:
        in_warehouse = con.execute("select * from raw.etf_flows order by ticker, trade_date").df()
    reader = duckdb.connect()
    reader.register("etf_flows_in_s3", lake.dataset("etf_flows"))
    from_s3 = reader.execute("select * from etf_flows_in_s3 order by ticker, trade_date").df()
    pd.testing.assert_frame_equal(from_s3[in_warehouse.columns], in_warehouse, check_dtype=False)
    assert reader.execute("select _partition, sum(flow_usd) from etf_flows_in_s3 group by 1 order by 1").fetchall() == [
        (D("2026-02-04"), 1e6), (D("2026-02-05"), -538e6)]


def test_a_write_killed_midway_through_an_upload_leaves_the_previous_object(s3, tmp_path):
    import os

    lake = lake_from_env()
    before = flows([("2026-02-05", "IBIT", -528e6), ("2026-02-05", "FBTC", -10e6)])
    lake.write_window("etf_flows", before, D("2026-02-05"), D("2026-02-05"))
    key = f"btcflows/etf_flows/_partition=2026-02-05/{PART_FILE}"
    etag = s3.head_object(Bucket=BUCKET, Key=key)["ETag"]

    # ~13 MB of Parquet: its first half (over S3's 5 MB part size) goes out as a multipart upload
    written_to = kill_a_write_midway(dict(os.environ), tmp_path / "stalled", rows=400_000)
    assert written_to == f"{BUCKET}/{key}"
    uploads = s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
    assert [u["Key"] for u in uploads] == [key]  # the killed upload, never completed

    assert s3.head_object(Bucket=BUCKET, Key=key)["ETag"] == etag
    assert lake.read("etf_flows").sort_by("flow_usd").equals(before.sort_by("flow_usd"))


def test_a_lake_that_cannot_be_written_fails_the_window_naming_the_lake(s3, tmp_path, monkeypatch):
    from pipelines.lake import LakeError, publish_window
    from tests.integration.conftest import build_raw_warehouse

    warehouse = Warehouse(build_raw_warehouse(tmp_path / "btcflows.duckdb", {"etf_flows": pd.DataFrame(
        {"trade_date": ["2026-02-05"], "ticker": ["IBIT"], "flow_usd": [-528e6], "source": ["farside"]})}))
    monkeypatch.setenv("BTCFLOWS_LAKE", "s3://no-such-bucket/btcflows")
    with warehouse.writer() as con, pytest.raises(LakeError) as failure:
        publish_window(con, "etf_flows", D("2026-02-05"), D("2026-02-05"))
    message = str(failure.value)
    assert message.startswith("lake s3://no-such-bucket/btcflows: writing raw.etf_flows 2026-02-05..2026-02-05 failed")
    assert "run the window again" in message
