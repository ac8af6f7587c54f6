"""The read-only way into the warehouse: `btcflows query`, the report and the raw checks read through it.

A query connection opens the DuckDB file read-only with DuckDB's external access disabled and the
configuration locked before any SQL of the user runs: the SQL can read the warehouse and nothing
else. ATTACH, COPY ... TO, EXPORT DATABASE, read_csv/read_text of any file, INSTALL and LOAD fail
(no file but the warehouse is opened, no extension is installed or loaded, nothing goes to the
network); so do CREATE PERSISTENT SECRET and any write to the warehouse. Temporary tables and
views live in memory for the connection's life. Analysts who want to join their own files read
the warehouse from their own DuckDB session (`ATTACH '<warehouse>' (READ_ONLY)`), not through this.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import duckdb

# Settings DuckDB applies at start-up (external access cannot be turned back on once off).
LOCKED_DOWN = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_persistent_secrets": False,
}
# Read in this order when a query names a table without its schema.
SEARCH_PATH = ("marts", "intermediate", "staging", "raw", "main")


class WarehouseLocked(Exception):
    """Another process holds the warehouse's write lock."""


def is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text or "conflicting" in text or "being used" in text


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A locked-down read-only connection to the warehouse at `path`, with the schemas it holds on
    the search path; fails fast with WarehouseLocked while a writer holds the file."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"warehouse {path} does not exist yet: run `btcflows demo` or `btcflows import DIR` first"
        )
    try:
        con = duckdb.connect(str(path), read_only=True, config=LOCKED_DOWN)
    except duckdb.IOException as exc:
        if is_lock_error(exc):
            raise WarehouseLocked(
                f"warehouse {path} is being written by another process; try again when it finishes"
            ) from exc
        raise
    try:
        # Only schemas that exist: a warehouse holding raw tables alone (dbt not run yet) is readable too.
        present = {s for (s,) in con.execute("select schema_name from information_schema.schemata").fetchall()}
        con.execute(f"set search_path = '{','.join(s for s in SEARCH_PATH if s in present)}'")
        con.execute("set lock_configuration = true")
        yield con
    finally:
        con.close()


def run_query(path: Path, sql: str):
    """The result of `sql` as a DataFrame, through a locked-down read-only connection."""
    with read_only(path) as con:
        return con.execute(sql).df()


def refusal(exc: duckdb.Error) -> str:
    """One line saying why DuckDB refused or failed a query."""
    text = " ".join(str(exc).split())
    if isinstance(exc, duckdb.PermissionException) or any(
            why in text for why in ("disabled by configuration", "configuration has been locked",
                                    "Persistent secrets are disabled")):
        return f"query refused (a query reads the warehouse and nothing else): {text}"
    if "read-only" in text:
        return f"query refused (the warehouse is opened read-only): {text}"
    return f"query failed: {text}"
