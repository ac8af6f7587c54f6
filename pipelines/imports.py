"""`btcflows import` into raw: each canonical CSV is archived like a payload, then its rows are written
exactly as a replay of the archive would write them (pipelines/ingest.py merges every payload).

- By default an import adds the rows it brings and revises those whose key is already there; it
  never deletes a row it does not bring. An empty cell means "unknown": it does not erase a value an
  earlier import or payload gave (as with a revised payload).
- With `replace`, the dataset's rows in the file's own days (its first..last New York day) are
  replaced by the file's rows: what the warehouse held there and the file lacks is deleted.

The file is stored under the `canonical-csv` source (pipelines/sources/canonical_csv.py) with this
import recorded in its meta, so `btcflows materialize --mode replay` over those days rebuilds the
same raw rows. Windows are per dataset: one file's days never touch another dataset.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from pipelines.archive import Archive, ArchiveError, PayloadMeta, sha256_hex
from pipelines.datasets import DATASETS
from pipelines.files import ImportValidationError, check_csv
from pipelines.ingest import collect_from_archive, remember_parsed
from pipelines.lake import publish_window
from pipelines.sources.base import Parsed
from pipelines.sources.canonical_csv import NAME as SOURCE
from pipelines.warehouse import Warehouse, WriteResult, add_lineage


@dataclass(frozen=True)
class DatasetImport:
    dataset: str
    file: Path
    rows: int  # rows the file brings
    first: date
    last: date
    replace: bool
    written: WriteResult
    payload: Path  # where the archive keeps the file

    def describe(self) -> str:
        w = self.written
        if w.unchanged:
            done = "the warehouse already held them as they are: unchanged"
        elif self.replace:
            done = f"the {w.deleted} row(s) held in those days were replaced by the file's {w.rows_in_window}"
        else:
            done = (f"{w.rows_in_window - w.deleted} row(s) added and {w.deleted} whose key was already there "
                    "written again (revised, or as they were); no other row touched")
        return f"raw.{self.dataset}: {self.file} ({self.rows} rows, {self.first}..{self.last}): {done}"


def import_dataset(warehouse: Warehouse, archive: Archive, directory: Path, dataset: str, *, replace: bool,
                   import_id: str, funds: Collection[str] = (), allow_mixed: bool = False,
                   log: Callable[[str], None] | None = None) -> DatasetImport | None:
    """Import `<directory>/<dataset>.csv` (None when there is no such file). `import_id` names the
    import (the run's id): recording the same import twice changes nothing."""
    path = Path(directory) / f"{dataset}.csv"
    if not path.exists():
        return None
    data = path.read_bytes()
    ds = DATASETS[dataset]
    rows, problems = check_csv(data, path.name, ds, funds)
    if problems:
        raise ImportValidationError(problems)
    remember_parsed(SOURCE, sha256_hex(data), Parsed(dataset, rows))  # the archive's parse of this file
    days = add_lineage(rows, ds, source=SOURCE, mode="real", sha256="")["_partition"]
    first, last = min(days), max(days)
    # Under the writer's lock: imports record, merge and write one after the other, so the rows
    # written always match what a replay of the archive gives (the import recorded last wins).
    with warehouse.writer() as con:
        try:
            stored = archive.record_import(
                data,
                PayloadMeta(source=SOURCE, endpoint=dataset, url=path.resolve().as_uri(), partition=first.isoformat(),
                            content_type="text/csv", mode="real",
                            params={"dataset": dataset, "file": path.name, "first": first.isoformat(),
                                    "last": last.isoformat(), "rows": len(rows)}),
                "csv",
                {"at": datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
                 "run_id": import_id, "replace": replace, "file": str(path.resolve())},
            )
        except OSError as exc:
            raise ArchiveError(f"raw.{dataset}: cannot store {path.name} in the archive {archive.root}, nothing "
                               f"written for it: {exc.strerror or exc}") from exc
        try:
            merged = collect_from_archive(archive, dataset, first, last).rows
            if replace:
                written = warehouse.write_window(con, dataset, merged, first, last, allow_mixed=allow_mixed)
            else:
                brought = merged.merge(rows[list(ds.key)].drop_duplicates(), on=list(ds.key), how="inner")
                written = warehouse.upsert_rows(con, dataset, brought, allow_mixed=allow_mixed)
        except BaseException:
            with contextlib.suppress(OSError, ArchiveError):  # best effort: a replay would redo the import
                archive.forget_import(stored, import_id)
            raise
        # the lake, when BTCFLOWS_LAKE is set: after the rows are in (a failed lake write names the window to redo)
        publish_window(con, dataset, first, last, log=log)
    return DatasetImport(dataset, path, len(rows), first, last, replace, written, stored.path)


def rows_held(warehouse: Warehouse, dataset: str, first: date, last: date) -> int | None:
    """How many rows raw.<dataset> holds in [first, last] (None when the warehouse or table does not
    exist yet): what a replacing import would delete or replace."""
    if not warehouse.path.exists():
        return None
    with warehouse.reader() as con:
        exists = con.execute("select count(*) from information_schema.tables where table_schema = 'raw' "
                             "and table_name = ?", [dataset]).fetchone()[0]
        if not exists:
            return None
        return con.execute(f"select count(*) from raw.{dataset} where _partition between ? and ?",
                           [first, last]).fetchone()[0]
