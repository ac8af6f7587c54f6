"""The event log storage of the btcflows instance: Dagster's SQLite event log storage, keeping its
connections open.

Dagster's own (`SqliteEventLogStorage`) opens a new SQLite connection for every event it stores and
closes it again. Closing the last connection of a database in WAL mode checkpoints it, and every
commit syncs the log to disk: two disk flushes per event, several events per asset, hundreds per
run, and each flush waits for a disk other processes use too. This subclass keeps one engine (a
small pool of open connections) per database, for the index and the most recently used run shards,
and commits with `synchronous=NORMAL`, the setting SQLite recommends for WAL mode: still safe against
corruption; a power cut can lose the last events, not the database. Same files, same tables: the UI,
the daemon and `dagster` commands read them as usual (dagster.yaml names this class, so they use it
too).

Since the run shard's `.db` file now changes only at checkpoints, a watch on a run (the UI's live
run log) also follows its `-wal` file.
"""
from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as db
from dagster._config import StringSource
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
    SqliteEventLogStorageWatchdog,
)
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy.engine import Connection, Engine

# Run shards whose engines stay open (a long-lived webserver reads many runs' shards).
OPEN_RUN_SHARDS = 4


def _synchronous_normal(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` with open connections (see the module's docstring), in the instance
    directory's usual place (`history/runs`). In dagster.yaml:

        event_log_storage:
          module: pipelines.runs.event_log
          class: PooledSqliteEventLogStorage
          config:
            instance_dir: {env: DAGSTER_HOME}
    """

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._tables: set[str] = set()
        super().__init__(base_dir, inst_data)

    @classmethod
    def config_type(cls):
        return {"instance_dir": StringSource}

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> PooledSqliteEventLogStorage:
        return cls(os.path.join(config_value["instance_dir"], "history", "runs"), inst_data=inst_data)

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = db.create_engine(self.conn_string_for_shard(shard), pool_size=1, max_overflow=4,
                                      connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
            db.event.listen(engine, "connect", _synchronous_normal)
        self._engines[shard] = engine  # most recently used last
        run_shards = [name for name in self._engines if name != INDEX_SHARD_NAME]
        for stale in run_shards[:-OPEN_RUN_SHARDS]:
            self._engines.pop(stale).dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def has_table(self, table_name: str) -> bool:
        # asked on every asset event (a table of a later schema migration); tables are not dropped
        if table_name not in self._tables and super().has_table(table_name):
            self._tables.add(table_name)
        return table_name in self._tables

    def watch(self, run_id: str, cursor: str | None, callback) -> None:
        if not self._obs:
            from watchdog.observers import Observer

            self._obs = Observer()
            self._obs.start()
        watchdog = _RunShardWatchdog(self, run_id, callback, cursor)
        self._watchers[run_id][callback] = (watchdog, self._obs.schedule(watchdog, self._base_dir, recursive=True))

    def dispose(self) -> None:
        super().dispose()
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()


class _RunShardWatchdog(SqliteEventLogStorageWatchdog):
    """Dagster's watch on a run shard, following its write-ahead log too."""

    def __init__(self, event_log_storage, run_id, callback, cursor):
        super().__init__(event_log_storage, run_id, callback, cursor)
        self._patterns = [self._log_path, self._log_path + "-wal"]

    def on_modified(self, event) -> None:
        self._process_log()
