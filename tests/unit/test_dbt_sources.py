"""dbt's `_sources.yml` (hand-written, what dbt docs and the lineage show) and `pipelines/datasets.py`
(what the raw tables are made of) describe the same raw tables: held equal here, column by column -
names and order, type, unit, optional or not - and the reference tables against the frames that
write them."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from pipelines.datasets import DATASETS, MODES
from pipelines.warehouse import calendar_frame, cme_expiries_frame

SOURCES_YML = Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "staging" / "_sources.yml"


@pytest.fixture(scope="module")
def tables() -> dict[str, dict]:
    (raw,) = yaml.safe_load(SOURCES_YML.read_text())["sources"]
    assert raw["name"] == "raw" and raw["schema"] == "raw"
    return {t["name"]: t for t in raw["tables"]}


def expected_description(column) -> str:
    return ", ".join(part for part in (column.kind, column.unit, "" if column.required else "optional") if part)


def test_every_dataset_is_a_source_and_nothing_else(tables):
    assert set(tables) == set(DATASETS) | {"nyse_calendar", "cme_expiries"}
    for name, table in tables.items():
        assert table["meta"]["dagster"]["asset_key"] == ["raw", name], name


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_source_columns_match_the_dataset(tables, name):
    ds, table = DATASETS[name], tables[name]
    assert table["description"] == f"{ds.description} Key: {', '.join(ds.key)}."
    described = {c["name"]: c.get("description", "") for c in table["columns"]}
    assert [c for c in described if not c.startswith("_")] == ds.column_names
    for column in ds.columns:
        assert described[column.name] == expected_description(column), f"{name}.{column.name}"
    assert " | ".join(MODES) in described["_mode"]


@pytest.mark.parametrize("name, frame", [("nyse_calendar", calendar_frame), ("cme_expiries", cme_expiries_frame)])
def test_reference_tables_match_the_frames_that_write_them(tables, name, frame):
    columns = [c["name"] for c in tables[name]["columns"]]
    assert columns == list(frame(date(2026, 1, 1), date(2026, 1, 31)).columns)
    assert all(c.get("description") for c in tables[name]["columns"]), name
