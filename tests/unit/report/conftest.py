"""A tiny warehouse with hand-made marts (no dbt): enough for the report's loaders and charts."""
from __future__ import annotations

import pytest

from .marts import write_marts


@pytest.fixture
def marts_warehouse(tmp_path):
    """Factory: `marts_warehouse({table: frame})` -> a DuckDB file holding those tables in schema marts."""
    return lambda tables: write_marts(tmp_path / "w.duckdb", tables)
