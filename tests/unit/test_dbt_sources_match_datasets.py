"""dbt's `raw` sources describe the raw tables exactly as pipelines/datasets.py defines them: the same
columns in the same order, each described as "kind[, unit][, optional]", and the table's key."""
from __future__ import annotations

import yaml

from pipelines.config import DBT_PROJECT_DIR
from pipelines.datasets import DATASETS


def _raw_tables() -> dict[str, dict]:
    doc = yaml.safe_load((DBT_PROJECT_DIR / "models" / "staging" / "_sources.yml").read_text())
    (raw,) = [s for s in doc["sources"] if s["name"] == "raw"]
    return {t["name"]: t for t in raw["tables"]}


def test_every_dataset_is_a_raw_source_described_as_defined():
    tables = _raw_tables()
    for name, ds in DATASETS.items():
        assert name in tables, f"{name} is not in _sources.yml"
        table = tables[name]
        assert table["description"] == f"{ds.description} Key: {', '.join(ds.key)}.", name
        assert table["meta"]["dagster"]["asset_key"] == ["raw", name]
        described = [(c["name"], c.get("description")) for c in table["columns"] if c["name"] != "_mode"]
        expected = [(c.name, ", ".join([c.kind, *([c.unit] if c.unit else []), *([] if c.required else ["optional"])]))
                    for c in ds.columns]
        assert described == expected, name
