"""The DuckDB warehouse: schema set-up, the single writer, read-only readers, and the one way a
partition window of a raw dataset is written (whole, in one transaction, or not at all)."""
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
from pipelines.timeutils import (
    CALENDAR_END,
    CALENDAR_START,
    calendar_days,
    is_trading_day,
    snapshot_instant,
    trading_day_set,
)

RAW_SCHEMA = "raw"
CALENDAR_TABLE = f"{RAW_SCHEMA}.nyse_calendar"
CME_EXPIRIES_TABLE = f"{RAW_SCHEMA}.cme_expiries"


class WarehouseLocked(Exception):
    """Another process holds the warehouse's write lock."""


class MixedModeError(Exception):
    """Simulated rows would be mixed with real or live rows in one warehouse."""


def _mode_class(mode: str) -> str:
    return "simulated" if mode == "simulated" else "real"


def calendar_frame(start: date = CALENDAR_START, end: date = CALENDAR_END) -> pd.DataFrame:
    days = calendar_days(start, end)
    return pd.DataFrame(
        {
            "calendar_date": days,
            "is_trading_day": [is_trading_day(d) for d in days],
            "snapshot_utc": [snapshot_instant(d).replace(tzinfo=None) for d in days],
        }
    )


def cme_expiries_frame(start: date = CALENDAR_START, end: date = CALENDAR_END) -> pd.DataFrame:
    from pipelines.cme_calendar import expiries

    rows = expiries(start, end)
    return pd.DataFrame(
        {
            "contract": [code for code, _ in rows],
            "contract_month": [date(exp.year, exp.month, 1) for _, exp in rows],
            "expiry_date": [exp for _, exp in rows],
        }
    )


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text or "conflicting" in text or "being used" in text


@dataclass
class Warehouse:
    path: Path

    def __post_init__(self):
        self.path = Path(self.path)

    # -- connections -------------------------------------------------------------------
    @contextlib.contextmanager
    def writer(self, wait_s: float = 30.0) -> Iterator[duckdb.DuckDBPyConnection]:
        """The single writer. Waits up to `wait_s` for another writer to finish, then fails clearly."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + wait_s
        while True:
            try:
                con = duckdb.connect(str(self.path))
                break
            except duckdb.IOException as exc:
                if not _is_lock_error(exc) or time.monotonic() >= deadline:
                    raise WarehouseLocked(
                        f"warehouse {self.path} is locked by another process (a running materialization?): {exc}"
                    ) from exc
                time.sleep(0.2)
        try:
            yield con
        finally:
            con.close()

    @contextlib.contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection; fails fast with a clear message when a writer holds the file."""
        if not self.path.exists():
            raise FileNotFoundError(
                f"warehouse {self.path} does not exist yet: run `btcflows demo` or `btcflows import DIR` first"
            )
        try:
            con = duckdb.connect(str(self.path), read_only=True)
        except duckdb.IOException as exc:
            if _is_lock_error(exc):
                raise WarehouseLocked(
                    f"warehouse {self.path} is being written by another process; try again when it finishes"
                ) from exc
            raise
        try:
            # Only schemas that exist: a warehouse holding raw tables alone (dbt not run yet) is readable too.
            present = {s for (s,) in con.execute("select schema_name from information_schema.schemata").fetchall()}
            path = [s for s in ("marts", "intermediate", "staging", "raw", "main") if s in present]
            con.execute(f"set search_path = '{','.join(path)}'")
            yield con
        finally:
            con.close()

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
        # Reference tables, derived from exchange calendars; written once.
        for table, build in ((CALENDAR_TABLE, calendar_frame), (CME_EXPIRIES_TABLE, cme_expiries_frame)):
            if table.split(".")[1] not in existing:
                ref = build()  # noqa: F841  (read by DuckDB by name)
                con.execute(f"create table {table} as select * from ref")

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
        ds = DATASETS[dataset]
        table = f"{RAW_SCHEMA}.{dataset}"
        rows = rows.loc[(rows["_partition"] >= start) & (rows["_partition"] <= end)].copy()
        rows["_ingested_at"] = datetime.now(UTC).replace(tzinfo=None)
        rows = rows[ds.column_names + list(LINEAGE_COLUMNS)]
        self.ensure_schema(con)
        if not allow_mixed and len(rows):
            self._refuse_mixing(con, table, rows, start, end)
        compare_cols = ", ".join(f'"{c}"' for c in ds.column_names + [c for c in LINEAGE_COLUMNS if c != "_ingested_at"])
        con.execute("begin transaction")
        try:
            con.register("incoming", rows)
            con.execute(f"create or replace temp table incoming_typed as select * from {table} limit 0")
            con.execute("insert into incoming_typed by name select * from incoming")
            window = "_partition between ? and ?"
            changed = con.execute(
                f"""select
                      (select count(*) from (select {compare_cols} from {table} where {window}
                                             except all select {compare_cols} from incoming_typed)) +
                      (select count(*) from (select {compare_cols} from incoming_typed
                                             except all select {compare_cols} from {table} where {window}))""",
                [start, end, start, end],
            ).fetchone()[0]
            if changed:
                deleted = con.execute(f"delete from {table} where {window}", [start, end]).fetchone()[0]
                con.execute(f"insert into {table} select * from incoming_typed")
            else:
                deleted = 0
            con.execute("drop table incoming_typed")
            con.unregister("incoming")
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        return WriteResult(dataset, start, end, inserted=len(rows) if changed else 0, deleted=deleted,
                           unchanged=not changed, rows_in_window=len(rows))

    def _refuse_mixing(self, con, table, rows, start, end) -> None:
        """One warehouse holds simulated data or real data, never both (unless allowed)."""
        incoming = {_mode_class(m) for m in rows["_mode"].dropna().unique()}
        if len(incoming) > 1:
            raise MixedModeError(f"{table}: one write holds both simulated and real rows")
        present: dict[str, set[str]] = {}
        for other in DATASETS:
            other_table = f"{RAW_SCHEMA}.{other}"
            query = f"select distinct _mode from {other_table}"
            params: list = []
            if other_table == table:  # the window itself is about to be replaced
                query += " where _partition not between ? and ?"
                params = [start, end]
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
