"""The query path reads the warehouse and nothing else: every way out that a query once had fails,
names why, and leaves every file as it was; plain reads keep working."""
import os
from pathlib import Path

import duckdb
import pytest

from pipelines.warehouse import Warehouse
from tests.unit.checks import helpers as h


@pytest.fixture
def warehouse(tmp_path, monkeypatch) -> Path:
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema marts; create table marts.t as select 1 as x")
    monkeypatch.setenv("BTCFLOWS_WAREHOUSE", str(db))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # where DuckDB keeps persistent secrets and extensions
    return db


def refused(sql, capsys) -> str:
    code, out, err = h.run_cli(["query", sql], capsys)
    assert code == 1 and out == "", (code, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("btcflows: query refused"), err
    return lines[0]


def test_reading_the_warehouse_works(warehouse, capsys):
    assert h.run_cli(["query", "select x from t", "--csv"], capsys)[1].splitlines() == ["x", "1"]
    # temporary tables live in memory, for the query's connection only
    assert h.run_cli(["query", "create temp table tmp as select 2 as y; select y from tmp", "--csv"],
               capsys)[1].splitlines() == ["y", "2"]


def test_attach_of_another_database_read_write_fails_and_writes_nothing(warehouse, tmp_path, capsys):
    other = tmp_path / "other.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("create table v as select 1 as y")
    before = other.read_bytes()
    line = refused(f"attach '{other}' as o; create table o.w as select 2 as z", capsys)
    assert "disabled by configuration" in line
    assert other.read_bytes() == before


def test_attach_of_a_hard_link_to_the_warehouse_fails_and_the_warehouse_still_opens(warehouse, tmp_path, capsys):
    link = tmp_path / "alias.duckdb"
    os.link(warehouse, link)
    refused(f"attach '{link}' as alias; drop table alias.marts.t", capsys)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select x from marts.t").fetchall() == [(1,)]


def test_copy_to_a_file_fails_and_leaves_the_file_as_it_was(warehouse, tmp_path, capsys):
    payload = tmp_path / "archive" / "farside" / "2026-02-06" / "abc.html"
    payload.parent.mkdir(parents=True)
    payload.write_bytes(b"<table>archived</table>")
    refused(f"copy (select 'overwritten') to '{payload}'", capsys)
    refused(f"export database '{tmp_path / 'dump'}'", capsys)
    assert payload.read_bytes() == b"<table>archived</table>" and not (tmp_path / "dump").exists()


def test_reading_local_files_fails(warehouse, tmp_path, capsys):
    (tmp_path / "mine.csv").write_text("a\n1\n")
    refused(f"select * from read_csv('{tmp_path / 'mine.csv'}')", capsys)
    refused("select * from read_text('/etc/hostname')", capsys)


def test_persistent_secrets_extensions_and_settings_fail(warehouse, tmp_path, capsys):
    refused("create persistent secret s (type http, bearer_token 'x')", capsys)
    refused("install httpfs", capsys)
    refused("load httpfs", capsys)
    refused("set enable_external_access = true", capsys)
    refused("set lock_configuration = false", capsys)
    assert not (tmp_path / "home").exists()  # no secret and no extension was stored


def test_writing_the_warehouse_fails(warehouse, capsys):
    line = refused("create table marts.u (y int)", capsys)
    assert "read-only" in line


def test_every_reader_is_locked_down(warehouse, tmp_path):
    """The report and the raw checks read through Warehouse.reader(): the same rules hold."""
    with Warehouse(warehouse).reader() as con:
        assert con.execute("select x from t").fetchall() == [(1,)]
        with pytest.raises(duckdb.PermissionException):
            con.execute(f"copy (select 1) to '{tmp_path / 'out.csv'}'")
    assert not (tmp_path / "out.csv").exists()
