"""The raw lake: every raw table also as Parquet in an open layout, on a local directory or on
S3-compatible object storage (BTCFLOWS_LAKE), so that DuckDB here and a cluster engine (Spark,
through dbt's `spark` target) read one source of truth.

Layout under the lake's root (docs/SCALING.md):

    <root>/<dataset>/_partition=YYYY-MM-DD/part-0.parquet   one object per raw dataset and partition day
    <root>/nyse_calendar/part-0.parquet                      the reference tables, one object each
    <root>/cme_expiries/part-0.parquet
    <root>/btcflows_tables.json                             every table's columns and kinds (JSON lines)

Plain hive-partitioned Parquet rather than Delta or Iceberg: both engines read it here with what
they ship (Spark's Delta and Iceberg need jars from Maven Central, which this project's machines do
not reach). Each partition is one object, replaced whole: a local write goes to a hidden temporary
file renamed over the old one, an S3 write is one PUT of the finished file (a multipart upload, completed only
at its end, when it is large). A write killed midway leaves the previous file; readers (DuckDB's glob, pyarrow's and Spark's discovery) skip the hidden
temporaries. A window is replaced partition by partition: a reader during the write may see some
days new and some old, never a half-written day.

Configuration: `BTCFLOWS_LAKE` = `file:///absolute/dir` or `s3://bucket/prefix`; for S3 the
endpoint comes from `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL` (e.g. `http://127.0.0.1:9000` for a
local server), the region from `AWS_REGION` or `AWS_DEFAULT_REGION`, and the credentials from the
AWS SDK's usual places (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, a profile, an instance role).
Unset: no lake, DuckDB alone (the default).
"""
from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlparse

import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from pipelines.datasets import DATASETS, LINEAGE_COLUMNS, Dataset

LAKE_ENV = "BTCFLOWS_LAKE"
PARTITION_COLUMN = "_partition"
PART_FILE = "part-0.parquet"
TABLES_FILE = "btcflows_tables.json"
REFERENCE_TABLES = ("nyse_calendar", "cme_expiries")

# Column kinds of datasets.py, as Arrow types (naive timestamps: UTC instants, as in the warehouse).
ARROW_TYPES = {
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "text": pa.string(),
    "float": pa.float64(),
    "int": pa.int64(),
    "boolean": pa.bool_(),
}
_LINEAGE_KINDS = {"VARCHAR": "text", "TIMESTAMP": "timestamp", "DATE": "date", "BOOLEAN": "boolean"}


class LakeError(Exception):
    """The lake is misconfigured or cannot be written or read."""


def _kind_of(arrow_type: pa.DataType) -> str:
    for kind, known in ARROW_TYPES.items():
        if arrow_type == known:
            return kind
    if pa.types.is_timestamp(arrow_type):
        return "timestamp"
    if pa.types.is_integer(arrow_type):
        return "int"
    if pa.types.is_floating(arrow_type):
        return "float"
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "text"
    raise LakeError(f"no lake column kind for Arrow type {arrow_type}")


def file_schema(ds: Dataset) -> pa.Schema:
    """The columns of a dataset's Parquet files: canonical columns then lineage, without the
    partition column (it is the directory)."""
    fields = [pa.field(c.name, ARROW_TYPES[c.kind]) for c in ds.columns]
    fields += [pa.field(name, ARROW_TYPES[_LINEAGE_KINDS[sql_type]])
               for name, sql_type in LINEAGE_COLUMNS.items() if name != PARTITION_COLUMN]
    return pa.schema(fields)


def table_entries(name: str, schema: pa.Schema, partitioned: bool) -> list[dict]:
    """One JSON line per column of a lake table (what dbt's spark target declares its tables from)."""
    columns = [(f.name, _kind_of(f.type)) for f in schema]
    if partitioned:
        columns.append((PARTITION_COLUMN, "date"))
    return [{"table_name": name, "position": i, "column_name": column, "kind": kind, "partitioned": partitioned}
            for i, (column, kind) in enumerate(columns)]


@dataclass(frozen=True)
class LakeWrite:
    dataset: str
    written: tuple[date, ...]
    deleted: tuple[date, ...]
    rows: int

    def describe(self) -> str:
        return (f"lake {self.dataset}: {len(self.written)} partition(s) written ({self.rows} rows)"
                + (f", {len(self.deleted)} emptied" if self.deleted else ""))


@dataclass(frozen=True)
class Lake:
    url: str
    filesystem: pafs.FileSystem
    root: str  # the root's path inside `filesystem` (no scheme)

    # -- configuration --------------------------------------------------------------------------
    @classmethod
    def from_url(cls, url: str, env: Mapping[str, str] | None = None) -> Lake:
        env = os.environ if env is None else env
        parsed = urlparse(url)
        if parsed.scheme == "file":
            if parsed.netloc not in ("", "localhost") or not parsed.path.startswith("/"):
                raise LakeError(f"{LAKE_ENV}={url!r}: a local lake is file:///absolute/path")
            return cls(url, pafs.LocalFileSystem(), parsed.path.rstrip("/") or "/")
        if parsed.scheme == "s3":
            if not parsed.netloc:
                raise LakeError(f"{LAKE_ENV}={url!r}: an S3 lake is s3://bucket[/prefix]")
            return cls(url, _s3_filesystem(env), f"{parsed.netloc}{parsed.path}".rstrip("/"))
        raise LakeError(f"{LAKE_ENV}={url!r}: expected file:///absolute/path or s3://bucket/prefix")

    @property
    def is_local(self) -> bool:
        return urlparse(self.url).scheme == "file"

    # -- paths -----------------------------------------------------------------------------------
    def table_dir(self, table: str) -> str:
        return f"{self.root}/{table}"

    def partition_dir(self, dataset: str, day: date) -> str:
        return f"{self.table_dir(dataset)}/{PARTITION_COLUMN}={day.isoformat()}"

    # -- writes ----------------------------------------------------------------------------------
    def _put(self, path: str, body: bytes) -> None:
        """Replace the object at `path` by `body` whole, or leave it as it was."""
        parent = path.rsplit("/", 1)[0]
        if self.is_local:
            self.filesystem.create_dir(parent, recursive=True)
            temporary = f"{parent}/.{path.rsplit('/', 1)[1]}.{uuid.uuid4().hex}.tmp"
            try:
                with self.filesystem.open_output_stream(temporary) as out:
                    out.write(body)
                self.filesystem.move(temporary, path)  # rename(2): atomic, replaces the old file
            except BaseException:
                if _exists(self.filesystem, temporary):
                    self.filesystem.delete_file(temporary)
                raise
        else:
            # One object, sent finished: S3 makes it visible whole when the upload completes.
            with self.filesystem.open_output_stream(path) as out:
                out.write(body)

    def write_partition(self, dataset: str, day: date, table: pa.Table) -> None:
        self._put(f"{self.partition_dir(dataset, day)}/{PART_FILE}", parquet_bytes(table))

    def delete_partition(self, dataset: str, day: date) -> bool:
        directory = self.partition_dir(dataset, day)
        if not _exists(self.filesystem, f"{directory}/{PART_FILE}"):
            return False
        self.filesystem.delete_file(f"{directory}/{PART_FILE}")
        if self.is_local:
            self.filesystem.delete_dir(directory)  # S3 has no directories to leave behind
        return True

    def partitions(self, dataset: str) -> list[date]:
        """The partition days holding a file."""
        selector = pafs.FileSelector(self.table_dir(dataset), allow_not_found=True, recursive=True)
        days = set()
        for info in self.filesystem.get_file_info(selector):
            parts = info.path.rsplit("/", 2)
            if info.type == pafs.FileType.File and parts[-1] == PART_FILE and parts[-2].startswith(PARTITION_COLUMN + "="):
                days.add(date.fromisoformat(parts[-2].split("=", 1)[1]))
        return sorted(days)

    def write_window(self, dataset: str, rows: pa.Table, start: date, end: date) -> LakeWrite:
        """Replace the partitions [start, end] of `dataset` by `rows` (which carry `_partition`): one
        file per day with rows, and a day without rows loses its file."""
        schema = file_schema(DATASETS[dataset])
        days = rows.column(PARTITION_COLUMN).to_pylist() if rows.num_rows else []
        by_day: dict[date, list[int]] = {}
        for i, day in enumerate(days):
            if day is None or not start <= day <= end:
                raise LakeError(f"lake {dataset}: row {i} has partition {day}, outside the window {start}..{end}")
            by_day.setdefault(day, []).append(i)
        for day in sorted(by_day):
            part = rows.take(by_day[day]).select(schema.names).cast(schema)
            self.write_partition(dataset, day, part)
        deleted = tuple(day for day in self.partitions(dataset)
                        if start <= day <= end and day not in by_day and self.delete_partition(dataset, day))
        return LakeWrite(dataset, tuple(sorted(by_day)), deleted, rows.num_rows)

    def write_table(self, table_name: str, table: pa.Table) -> None:
        """An unpartitioned table (a reference table): one object, replaced whole."""
        self._put(f"{self.table_dir(table_name)}/{PART_FILE}", parquet_bytes(table))

    def write_tables_file(self, entries: Iterable[dict]) -> bool:
        """The tables' columns as JSON lines; rewritten only when they changed. True when written."""
        body = "".join(json.dumps(e, sort_keys=True) + "\n" for e in entries).encode()
        path = f"{self.root}/{TABLES_FILE}"
        if _exists(self.filesystem, path):
            with self.filesystem.open_input_stream(path) as current:
                if current.read() == body:
                    return False
        self._put(path, body)
        return True

    def tables_file_entries(self) -> list[dict]:
        path = f"{self.root}/{TABLES_FILE}"
        if not _exists(self.filesystem, path):
            return []
        with self.filesystem.open_input_stream(path) as stream:
            return [json.loads(line) for line in stream.read().decode().splitlines() if line.strip()]

    # -- reads -----------------------------------------------------------------------------------
    def dataset(self, name: str) -> pads.Dataset:
        """A raw dataset (with `_partition` as a date column) or a reference table, for pyarrow or
        DuckDB (`con.register(name, lake.dataset(name))`)."""
        if name in REFERENCE_TABLES:
            return pads.dataset(f"{self.table_dir(name)}/{PART_FILE}", filesystem=self.filesystem, format="parquet")
        partition = pa.field(PARTITION_COLUMN, pa.date32())
        schema = file_schema(DATASETS[name]).append(partition)
        if not _exists(self.filesystem, self.table_dir(name)):
            return pads.dataset(schema.empty_table())
        # pyarrow skips names starting with "_" by default: not the partition directories, but the
        # hidden temporaries of writes in progress ("." prefix)
        return pads.dataset(self.table_dir(name), filesystem=self.filesystem, format="parquet", schema=schema,
                            partitioning=pads.partitioning(pa.schema([partition]), flavor="hive"),
                            ignore_prefixes=["."])

    def read(self, name: str, start: date | None = None, end: date | None = None) -> pa.Table:
        """The rows of a raw dataset (partitions in [start, end] when given) or a reference table."""
        data = self.dataset(name)
        if start is None and end is None:
            return data.to_table()
        part = pads.field(PARTITION_COLUMN)
        lo, hi = start or date.min, end or date.max
        return data.to_table(filter=(part >= lo) & (part <= hi))


def _exists(filesystem: pafs.FileSystem, path: str) -> bool:
    return filesystem.get_file_info(path).type != pafs.FileType.NotFound


def _s3_filesystem(env: Mapping[str, str]) -> pafs.S3FileSystem:
    options: dict = {}
    endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
    if endpoint:
        parsed = urlparse(endpoint)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise LakeError(f"S3 endpoint {endpoint!r}: expected http(s)://host[:port]")
        options.update(endpoint_override=parsed.netloc, scheme=parsed.scheme)
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if region:
        options["region"] = region
    if env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"):
        options.update(access_key=env["AWS_ACCESS_KEY_ID"], secret_key=env["AWS_SECRET_ACCESS_KEY"],
                       session_token=env.get("AWS_SESSION_TOKEN"))
    return pafs.S3FileSystem(**options)


def parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue().to_pybytes()


def lake_from_env(env: Mapping[str, str] | None = None) -> Lake | None:
    env = os.environ if env is None else env
    url = env.get(LAKE_ENV, "").strip()
    return Lake.from_url(url, env) if url else None


# -- the raw write path ---------------------------------------------------------------------------
def publish_window(con, dataset: str, start: date, end: date,
                   log: Callable[[str], None] | None = None) -> LakeWrite | None:
    """After a raw asset's window write: the window of `raw.<dataset>` (as committed, through the
    writer's DuckDB connection `con`) replaces its partitions in the lake, and the reference tables
    and the tables file are put there when missing or changed. Nothing without BTCFLOWS_LAKE."""
    lake = lake_from_env()
    if lake is None:
        return None
    ds = DATASETS[dataset]
    order = ", ".join(f'"{c}"' for c in (PARTITION_COLUMN, *ds.key))
    rows = con.sql(f"select * from raw.{dataset} where {PARTITION_COLUMN} between ? and ? order by {order}",
                   params=[start, end]).to_arrow_table()
    try:
        result = lake.write_window(dataset, rows, start, end)
        ensure_reference_tables(con, lake)
    except OSError as exc:  # pyarrow's I/O errors (S3 refused, disk full): the warehouse holds the window
        raise LakeError(f"lake {lake.url}: writing raw.{dataset} {start}..{end} failed ({exc}); the warehouse "
                        "has the window; in the lake, days of it written before the failure are new, the others as they were: "
                        "run the window again") from exc
    if log:
        log(result.describe() + f" in {lake.url}")
    return result


def ensure_reference_tables(con, lake: Lake) -> None:
    """The calendar and CME expiries (from the warehouse) and the tables file, when the tables file
    says they are missing or have other columns."""
    references = {name: con.sql(f"select * from raw.{name} order by 1").to_arrow_table()
                  for name in REFERENCE_TABLES}
    entries = [entry for name in DATASETS for entry in table_entries(name, file_schema(DATASETS[name]), True)]
    entries += [entry for name, table in references.items() for entry in table_entries(name, table.schema, False)]
    stored = lake.tables_file_entries()
    present = {name for name in REFERENCE_TABLES if _exists(lake.filesystem, f"{lake.table_dir(name)}/{PART_FILE}")}
    if stored == entries and present == set(REFERENCE_TABLES):
        return
    for name, table in references.items():
        lake.write_table(name, table)
    lake.write_tables_file(entries)
