"""The instance's event log storage keeps its SQLite connections open, and stays Dagster's: the same
files, read by Dagster's own storage while the run's connections are still open; a watch on a run
(the UI's live log) sees its new events; at most a few run shards stay open."""
import threading

import dagster as dg
import pytest
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from pipelines.runs.event_log import OPEN_RUN_SHARDS, PooledSqliteEventLogStorage
from pipelines.runs.instance import ensure_dagster_home


@pytest.fixture
def pooled_instance(tmp_path, monkeypatch):
    home = ensure_dagster_home(tmp_path / "dagster_home")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.from_config(str(home)) as inst:
        assert isinstance(inst.event_log_storage, PooledSqliteEventLogStorage)
        yield inst


@dg.asset
def one(context: dg.AssetExecutionContext):
    context.log.info("writing one")
    return dg.MaterializeResult(metadata={"rows": 3})


def _run(instance) -> str:
    result = dg.materialize([one], instance=instance)
    assert result.success
    return result.run_id


def test_what_it_stores_dagsters_own_storage_reads_while_its_connections_are_open(pooled_instance):
    run_id = _run(pooled_instance)
    assert pooled_instance.event_log_storage._engines  # still open
    plain = SqliteEventLogStorage(pooled_instance.event_log_storage._base_dir)
    try:
        records = plain.fetch_materializations(dg.AssetKey("one"), limit=10).records
        assert [r.run_id for r in records] == [run_id]
        assert records[0].asset_materialization.metadata["rows"].value == 3
        messages = [r.user_message for r in plain.get_logs_for_run(run_id)]
        assert any("writing one" in m for m in messages)
    finally:
        plain.dispose()


def test_a_watch_on_a_run_sees_events_written_through_the_open_connections(pooled_instance):
    storage = pooled_instance.event_log_storage
    run_id = _run(pooled_instance)
    seen, arrived = [], threading.Event()

    def callback(event, _cursor):
        message = event.dagster_event.message if event.dagster_event else event.user_message
        seen.append(message)
        if message == "later":
            arrived.set()

    storage.watch(run_id, None, callback)
    try:
        pooled_instance.report_engine_event("later", pooled_instance.get_run_by_id(run_id))
        assert arrived.wait(timeout=20), seen
    finally:
        storage.end_watch(run_id, callback)


def test_only_the_latest_run_shards_stay_open(pooled_instance):
    for _ in range(OPEN_RUN_SHARDS + 2):
        _run(pooled_instance)
    open_run_shards = [s for s in pooled_instance.event_log_storage._engines if s != "index"]
    assert len(open_run_shards) == OPEN_RUN_SHARDS


def test_the_dagster_internals_it_builds_on_still_exist():
    """It overrides private members of Dagster's SQLite event log storage (pinned dagster 1.13): an
    upgrade that renames them fails here rather than silently falling back to a connection per event."""
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
        SqliteEventLogStorageWatchdog,
    )
    from watchdog.events import PatternMatchingEventHandler

    for name in ("_connect", "_initdb", "conn_string_for_shard", "has_table", "watch", "dispose"):
        assert hasattr(SqliteEventLogStorage, name), name
    storage = SqliteEventLogStorage.__new__(SqliteEventLogStorage)
    SqliteEventLogStorage.__init__(storage, __import__("tempfile").mkdtemp())
    for name in ("_initialized_dbs", "_db_lock", "_obs", "_watchers", "_base_dir"):
        assert hasattr(storage, name), name
    assert hasattr(SqliteEventLogStorageWatchdog, "_process_log")
    assert "_patterns" in vars(PatternMatchingEventHandler(patterns=["x"]))
