"""The DuckDB warehouse: schema set-up, the single writer, read-only readers (pipelines/query.py),
and the two ways raw rows are written, each whole, in one transaction, or not at all: a partition
window replaced (`write_window`), or rows added and revised by key (`upsert_rows`)."""
from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipelines.datasets import DATASETS, DUCKDB_TYPES, LINEAGE_COLUMNS, Dataset
from pipelines.query import WarehouseLocked, is_lock_error, read_only
from pipelines.timeutils import (
    CALENDAR_END,
    CALENDAR_START,
    calendar_days,
    is_trading_day,
    nyse_close_instant,
    snapshot_instant,
    trading_day_set,
)

RAW_SCHEMA = "raw"
CALENDAR_TABLE = f"{RAW_SCHEMA}.nyse_calendar"
CME_EXPIRIES_TABLE = f"{RAW_SCHEMA}.cme_expiries"


class WarehouseWriteError(Exception):
    """A write the warehouse file refused (a full disk, an I/O error): nothing of it was written."""


class MixedModeError(Exception):
    """Simulated rows would be mixed with real or live rows in one warehouse."""


def _mode_class(mode: str) -> str:
    return "simulated" if mode == "simulated" else "real"


def calendar_frame(start: date = CALENDAR_START, end: date = CALENDAR_END) -> pd.DataFrame:
    days = calendar_days(start, end)
    closes = [nyse_close_instant(d) for d in days]
    snapshots = [snapshot_instant(d) for d in days]
    return pd.DataFrame(
        {
            "calendar_date": days,
            "is_trading_day": [is_trading_day(d) for d in days],
            "snapshot_utc": pd.Series([s.replace(tzinfo=None) for s in snapshots], dtype="datetime64[us]"),
            "close_utc": pd.Series([c.replace(tzinfo=None) if c else None for c in closes], dtype="datetime64[us]"),
            "is_early_close": [c is not None and c < s for c, s in zip(closes, snapshots)],
        }
    )


def cme_expiries_frame(start: date = CALENDAR_START, end: date = CALENDAR_END) -> pd.DataFrame:
    from pipelines.cme_calendar import expiries, final_settlement_instant

    rows = expiries(start, end)
    return pd.DataFrame(
        {
            "contract": [code for code, _ in rows],
            "contract_month": [date(exp.year, exp.month, 1) for _, exp in rows],
            "expiry_date": [exp for _, exp in rows],
            "final_settlement_utc": pd.Series(
                [final_settlement_instant(exp).replace(tzinfo=None) for _, exp in rows], dtype="datetime64[us]"),
        }
    )


@dataclass
class Warehouse:
    path: Path

    def __post_init__(self):
        self.path = Path(self.path)

    # -- connections -------------------------------------------------------------------
    @contextlib.contextmanager
    def writer(self, wait_s: float = 30.0) -> Iterator[duckdb.DuckDBPyConnection]:
        """The single writer. Waits up to `wait_s` for another writer to finish, then fails clearly.
        Leaving it checkpoints: the .duckdb file alone holds everything written (no .wal beside it),
        even when the process then exits without closing DuckDB (os._exit, a side process)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + wait_s
        while True:
            try:
                con = duckdb.connect(str(self.path))
                break
            except duckdb.IOException as exc:
                if not is_lock_error(exc) or time.monotonic() >= deadline:
                    raise WarehouseLocked(
                        f"warehouse {self.path} is locked by another process (a running materialization?): {exc}"
                    ) from exc
                time.sleep(0.2)
        try:
            yield con
            try:
                con.execute("checkpoint")
            except duckdb.Error as exc:
                raise WarehouseWriteError(
                    f"warehouse {self.path}: checkpoint failed ({' '.join(str(exc).split())}); what was committed "
                    f"is kept in {self.path.name}.wal and the next writer folds it into the file") from exc
        finally:
            con.close()

    def checkpoint(self, wait_s: float = 30.0) -> None:
        """Fold the write-ahead log into the .duckdb file (after another process, such as dbt, wrote)."""
        with self.writer(wait_s):
            pass

    def reader(self):
        """A read-only connection (locked down: it reads the warehouse and nothing else); fails fast
        with WarehouseLocked while a writer holds the file."""
        return read_only(self.path)

    # -- schema ------------------------------------------------------------------------
    def ensure_schema(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute(f"create schema if not exists {RAW_SCHEMA}")
        for ds in DATASETS.values():
            con.execute(ds.ddl(f"{RAW_SCHEMA}.{ds.name}"))
        # A canonical column added since a table was made (e.g. futures_daily.open_interest_source) is
        # added to it, null for the rows written before.
        columns = set(con.execute("select table_name, column_name from information_schema.columns "
                                  "where table_schema = ?", [RAW_SCHEMA]).fetchall())
        for ds in DATASETS.values():
            for col in ds.columns:
                if (ds.name, col.name) not in columns:
                    con.execute(f'alter table {RAW_SCHEMA}.{ds.name} add column "{col.name}" {DUCKDB_TYPES[col.kind]}')
        existing = {
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = ?", [RAW_SCHEMA]
            ).fetchall()
        }
        # Reference tables, derived from exchange calendars: written once, and again when this code
        # gives them other columns (a warehouse built by an older version).
        for table, build in ((CALENDAR_TABLE, calendar_frame), (CME_EXPIRIES_TABLE, cme_expiries_frame)):
            name = table.split(".")[1]
            if name in existing:
                columns = [c for (c,) in con.execute(
                    "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
                    "order by ordinal_position", [RAW_SCHEMA, name]).fetchall()]
                if columns == list(build(CALENDAR_START, CALENDAR_START).columns):
                    continue
            ref = build()  # noqa: F841  (read by DuckDB by name)
            con.execute(f"create or replace table {table} as select * from ref")

    # -- writes ------------------------------------------------------------------------
    def write_window(
        self,
        con: duckdb.DuckDBPyConnection,
        dataset: str,
        rows: pd.DataFrame,
        start: date,
        end: date,
        allow_mixed: bool = False,
    ) -> WriteResult:
        """Replace the rows of `dataset` whose partition lies in [start, end] by `rows`, in one
        transaction. `rows` carry the canonical columns plus lineage columns (`_ingested_at` is
        set here). When the window already holds exactly these rows, nothing is written."""
        rows = rows.loc[(rows["_partition"] >= start) & (rows["_partition"] <= end)]
        changed, deleted, rows = self._replace(con, dataset, rows, "_partition between ? and ?", [start, end],
                                               allow_mixed, window=(start, end))
        return WriteResult(dataset, start, end, inserted=len(rows) if changed else 0, deleted=deleted,
                           unchanged=not changed, rows_in_window=len(rows))

    def upsert_rows(self, con: duckdb.DuckDBPyConnection, dataset: str, rows: pd.DataFrame,
                    allow_mixed: bool = False) -> WriteResult:
        """Add `rows` to `dataset`, each replacing the row with its key if there is one; every other
        row stays. One transaction; nothing is written when every row is already there as it is."""
        key = ", ".join(f'"{k}"' for k in DATASETS[dataset].key)
        changed, deleted, rows = self._replace(con, dataset, rows, f"({key}) in (select {key} from incoming_typed)",
                                               [], allow_mixed, window=None)
        days = rows["_partition"].dropna()
        first, last = (min(days), max(days)) if len(days) else (None, None)
        return WriteResult(dataset, first, last, inserted=len(rows) if changed else 0, deleted=deleted,
                           unchanged=not changed, rows_in_window=len(rows))

    def _replace(self, con, dataset: str, rows: pd.DataFrame, target: str, params: list, allow_mixed: bool,
                 window: tuple[date, date] | None) -> tuple[bool, int, pd.DataFrame]:
        """In one transaction: if the rows `target` (SQL, may name `incoming_typed`) selects differ
        from `rows`, delete them and insert `rows`. Returns (changed, rows deleted, rows as written)."""
        ds = DATASETS[dataset]
        table = f"{RAW_SCHEMA}.{dataset}"
        rows = rows.copy()
        rows["_ingested_at"] = datetime.now(UTC).replace(tzinfo=None)
        rows = rows[ds.column_names + list(LINEAGE_COLUMNS)]
        self.ensure_schema(con)
        if not allow_mixed and len(rows):
            self._refuse_mixing(con, table, rows, window)
        compare_cols = ", ".join(f'"{c}"' for c in ds.column_names + [c for c in LINEAGE_COLUMNS if c != "_ingested_at"])
        con.execute("begin transaction")
        try:
            con.register("incoming", rows)
            con.execute(f"create or replace temp table incoming_typed as select * from {table} limit 0")
            con.execute("insert into incoming_typed by name select * from incoming")
            changed = con.execute(
                f"""select
                      (select count(*) from (select {compare_cols} from {table} where {target}
                                             except all select {compare_cols} from incoming_typed)) +
                      (select count(*) from (select {compare_cols} from incoming_typed
                                             except all select {compare_cols} from {table} where {target}))""",
                params + params,
            ).fetchone()[0]
            deleted = 0
            if changed:
                deleted = con.execute(f"delete from {table} where {target}", params).fetchone()[0]
                con.execute(f"insert into {table} select * from incoming_typed")
            con.execute("drop table incoming_typed")
            con.unregister("incoming")
            con.execute("commit")
        except BaseException as exc:
            with contextlib.suppress(duckdb.Error):  # a failed commit has ended the transaction already
                con.execute("rollback")
            if isinstance(exc, (duckdb.IOException, duckdb.TransactionException)):
                raise WarehouseWriteError(f"{table}: cannot write to {self.path}, nothing written for it: "
                                          f"{' '.join(str(exc).split())}") from exc
            raise
        return bool(changed), deleted, rows

    def _refuse_mixing(self, con, table, rows, window: tuple[date, date] | None) -> None:
        """One warehouse holds simulated data or real data, never both (unless allowed). Rows of
        `table` in `window` do not count: the write replaces them."""
        incoming = {_mode_class(m) for m in rows["_mode"].dropna().unique()}
        if len(incoming) > 1:
            raise MixedModeError(f"{table}: one write holds both simulated and real rows")
        present: dict[str, set[str]] = {}
        for other in DATASETS:
            other_table = f"{RAW_SCHEMA}.{other}"
            query = f"select distinct _mode from {other_table}"
            params: list = []
            if other_table == table and window is not None:  # the window itself is about to be replaced
                query += " where _partition not between ? and ?"
                params = list(window)
            for (mode,) in con.execute(query, params).fetchall():
                present.setdefault(_mode_class(mode), set()).add(other)
        clash = {m: t for m, t in present.items() if m not in incoming}
        if clash:
            held = "; ".join(f"{m} rows in {', '.join(sorted(t))}" for m, t in clash.items())
            raise MixedModeError(
                f"{table}: the warehouse {self.path} already holds {held}, and this write is "
                f"{', '.join(sorted(incoming))}. Real data is never mixed with simulated data: use another "
                "BTCFLOWS_WAREHOUSE (and BTCFLOWS_ARCHIVE), or pass --allow-mixed to mark the marts 'mixed'."
            )


@dataclass(frozen=True)
class WriteResult:
    dataset: str
    start: date
    end: date
    inserted: int
    deleted: int
    unchanged: bool
    rows_in_window: int


def add_lineage(rows: pd.DataFrame, ds: Dataset, source: str, mode: str, sha256: str) -> pd.DataFrame:
    """Lineage columns for rows read from one payload or file; `_partition` is the row's New York date."""
    from pipelines.timeutils import NEW_YORK

    out = rows.copy()
    col = out[ds.date_column]
    if ds.is_instant:
        days = pd.to_datetime(col, utc=True).dt.tz_convert(NEW_YORK).dt.tz_localize(None).dt.normalize()
    else:
        days = pd.to_datetime(col)
    day_numbers = days.to_numpy().astype("datetime64[D]")
    out["_source"] = source
    out["_mode"] = mode
    out["_payload_sha256"] = sha256
    out["_ingested_at"] = pd.NaT
    out["_partition"] = days.dt.date.where(days.notna(), None)
    out["_is_trading_day"] = np.isin(day_numbers, _trading_day_numbers())
    return out


@lru_cache(maxsize=1)
def _trading_day_numbers() -> np.ndarray:
    return np.array(sorted(trading_day_set()), dtype="datetime64[D]")
