"""Helpers of the raw lake's tests (tests/unit/test_lake.py, tests/integration/test_lake_s3.py): raw
etf_flows rows as Arrow, and a lake write killed in its middle by SIGKILL in another process."""
from __future__ import annotations

import subprocess
import sys
import time
from datetime import date, datetime

import pyarrow as pa

from pipelines.datasets import DATASETS
from pipelines.lake import file_schema
from pipelines.warehouse import add_lineage

D = date.fromisoformat


def flows(rows: list[tuple[str, str, float]]) -> pa.Table:
    """etf_flows rows as the raw table holds them (lineage included), `_partition` = trade_date."""
    import pandas as pd

    frame = pd.DataFrame(rows, columns=["trade_date", "ticker", "flow_usd"])
    frame["trade_date"] = [D(d) for d in frame["trade_date"]]
    frame["source"] = "farside"
    frame["reported_date"] = None
    out = add_lineage(frame, DATASETS["etf_flows"], source="farside", mode="simulated", sha256="ab" * 32)
    out["_ingested_at"] = datetime(2026, 2, 6, 12)
    table = pa.Table.from_pandas(out, preserve_index=False)
    schema = file_schema(DATASETS["etf_flows"]).append(pa.field("_partition", pa.date32()))
    return table.select(schema.names).cast(schema)


STALL_AFTER_HALF = """
import sys, time
from datetime import date
import pyarrow as pa
from pipelines import lake as lake_module

class Stalling:
    '''The lake's filesystem, except that a write sends half its bytes, says so, and hangs.'''
    def __init__(self, inner, marker):
        self.inner, self.marker = inner, marker
    def __getattr__(self, name):
        return getattr(self.inner, name)
    def open_output_stream(self, path, *args, **kwargs):
        stream, marker = self.inner.open_output_stream(path, *args, **kwargs), self.marker
        class Half:
            def __enter__(self):
                return self
            def __exit__(self, *exc):
                stream.close()
            def write(self, body):
                stream.write(body[: len(body) // 2])
                stream.flush()
                open(marker, "w").write(path)
                time.sleep(600)
        return Half()

configured = lake_module.lake_from_env()
lake = lake_module.Lake(configured.url, Stalling(configured.filesystem, sys.argv[1]), configured.root)
n = int(sys.argv[2])
schema = lake_module.file_schema(lake_module.DATASETS["etf_flows"])
day = date(2026, 2, 5)
columns = {f.name: pa.nulls(n, f.type) for f in schema}
columns.update(trade_date=pa.array([day] * n), ticker=pa.array([f"T{i:07d}" for i in range(n)]),
               source=pa.array(["farside"] * n), _mode=pa.array(["simulated"] * n),
               _payload_sha256=pa.array([__import__("os").urandom(32).hex() for _ in range(n)]))
lake.write_partition("etf_flows", day, pa.table(columns, schema=schema))
"""


def kill_a_write_midway(env: dict, marker, rows: int, timeout_s: float = 60.0) -> str:
    """Start writing a big etf_flows partition 2026-02-05 in another process, SIGKILL it once it has
    sent half its bytes; the path it was writing."""
    proc = subprocess.Popen([sys.executable, "-c", STALL_AFTER_HALF, str(marker), str(rows)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + timeout_s
        while not marker.exists():
            if proc.poll() is not None:
                raise AssertionError(f"the writer ended before stalling: {proc.stderr.read().decode()[-2000:]}")
            if time.monotonic() > deadline:
                raise AssertionError("the writer did not reach the middle of its write")
            time.sleep(0.02)
        time.sleep(0.2)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -9
    return marker.read_text()
