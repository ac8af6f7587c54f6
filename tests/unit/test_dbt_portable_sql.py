"""The dbt models and tests run on DuckDB and on Spark (docs/SCALING.md): DuckDB-only syntax belongs
in an `adapter.dispatch` macro (dbt_project/macros), never in a model or a test. `make test-spark`
finds such syntax too, but takes minutes and a JRE; this finds the known cases in `make test`."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"

# (what, pattern, what to use instead)
DUCKDB_ONLY = [
    ("a :: cast", r"::\s*[a-z]", "cast(x as type), with {{ dbt.type_string() }} for text"),
    ("cast to varchar (Spark wants a length)", r"\bas\s+varchar\b", "{{ dbt.type_string() }}"),
    ("string_agg (Spark has no string_agg(x, d order by y))", r"\bstring_agg\s*\(",
     "string_agg_sorted or string_agg_distinct_sorted"),
    ("printf (Java's formatter rounds otherwise)", r"\bprintf\s*\(", "format_fixed_decimals"),
    ("a columns(*) star expression", r"\bcolumns\s*\(\s*\*", "the columns by name"),
    ("an ASOF JOIN", r"\basof\s+(left\s+)?join\b", "asof_last_at_or_before"),
]

COMMENTS = re.compile(r"\{#.*?#\}|--[^\n]*", re.DOTALL)


def sql_files() -> list[Path]:
    return sorted(p for folder in ("models", "tests") for p in (DBT_PROJECT / folder).rglob("*.sql"))


def test_there_are_models_to_check():
    assert len([p for p in sql_files() if p.parts[-3:-1] == ("models", "marts")]) >= 10


@pytest.mark.parametrize("path", sql_files(), ids=lambda p: str(p.relative_to(DBT_PROJECT)))
def test_no_duckdb_only_syntax_outside_the_macros(path):
    code = COMMENTS.sub("", path.read_text()).lower()
    found = [f"{what}: use {instead}" for what, pattern, instead in DUCKDB_ONLY if re.search(pattern, code)]
    assert not found, f"{path.relative_to(DBT_PROJECT)}: " + "; ".join(found)


@pytest.mark.parametrize("snippet", [
    "select x::varchar", "cast(d as varchar)", "string_agg(x, '/' order by y)", "printf('%.2f', x)",
    "select columns(*) from t", "from a asof left join b on a.t >= b.t",
])
def test_the_patterns_find_what_they_name(snippet):
    assert any(re.search(pattern, snippet) for _, pattern, _ in DUCKDB_ONLY), snippet
