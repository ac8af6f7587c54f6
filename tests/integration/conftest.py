"""Integration fixtures: raw warehouses in a temp dir, and a runner for the dbt project against one.

`build_raw_warehouse(path, frames, mode)` loads canonical frames (dataset name -> DataFrame in
the DATASETS.md layout) into a fresh DuckDB file through the real writer, one window per dataset;
`read_canonical_csv_dir(dir)` reads a folder of `<dataset>.csv` files into such frames.
"""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from pipelines.datasets import DATASETS
from pipelines.warehouse import Warehouse, add_lineage

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"
REAL_DATA_DIR = REPO_ROOT.parent / "shared" / "data" / "feb2026"


def canonical_frame(dataset: str, rows: pd.DataFrame) -> pd.DataFrame:
    """Typed as the raw table expects: dates as `datetime.date`, timestamps naive UTC, floats."""
    ds = DATASETS[dataset]
    out = pd.DataFrame(index=rows.index)
    for col in ds.columns:
        values = rows[col.name] if col.name in rows else pd.Series(None, index=rows.index, dtype=object)
        if col.kind == "date":
            parsed = pd.to_datetime(values)
            out[col.name] = pd.Series([d.date() if pd.notna(d) else None for d in parsed], index=rows.index, dtype=object)
        elif col.kind == "timestamp":
            out[col.name] = pd.to_datetime(values, utc=True).dt.tz_convert(None)
        elif col.kind == "float":
            out[col.name] = pd.to_numeric(values).astype("float64")
        elif col.kind == "int":
            out[col.name] = pd.to_numeric(values).astype("Int64")
        else:
            out[col.name] = values.astype(object).where(values.notna(), None)
    return out


def read_canonical_csv_dir(directory: Path) -> dict[str, pd.DataFrame]:
    frames = {}
    for csv in sorted(Path(directory).glob("*.csv")):
        if csv.stem in DATASETS:
            raw = pd.read_csv(csv, dtype=str, keep_default_na=False, na_values=[""])
            frames[csv.stem] = canonical_frame(csv.stem, raw)
    return frames


def build_raw_warehouse(
    path: Path,
    frames: dict[str, pd.DataFrame],
    mode: str = "simulated",
    modes: dict[str, str] | None = None,
    allow_mixed: bool = False,
) -> Path:
    """A warehouse at `path` holding `frames` in their raw tables (`modes` overrides `mode` per dataset;
    simulated beside real rows needs `allow_mixed`, as in `btcflows --allow-mixed`)."""
    warehouse = Warehouse(path)
    with warehouse.writer() as con:
        warehouse.ensure_schema(con)
        for name, rows in frames.items():
            if rows.empty:
                continue
            ds = DATASETS[name]
            dataset_mode = (modes or {}).get(name, mode)
            typed = canonical_frame(name, rows)
            with_lineage = add_lineage(typed, ds, source=f"{name}.csv", mode=dataset_mode, sha256="x")
            start, end = min(with_lineage["_partition"]), max(with_lineage["_partition"])
            warehouse.write_window(con, name, with_lineage, start, end, allow_mixed=allow_mixed)
    return Path(path)


def run_dbt(args: list[str], warehouse: Path, work_dir: Path) -> subprocess.CompletedProcess:
    """`dbt <args>` on the project against `warehouse`, with target and logs under `work_dir`."""
    env = {**os.environ, "BTCFLOWS_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    cmd = [
        str(DBT_EXECUTABLE), *args,
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs"),
    ]
    return subprocess.run(cmd, check=False, env=env, capture_output=True, text=True, cwd=work_dir)


@pytest.fixture
def raw_warehouse(tmp_path) -> Callable[..., Path]:
    """Factory: `raw_warehouse(frames, mode="simulated", modes=None, allow_mixed=False)` -> a fresh warehouse."""

    def build(frames: dict[str, pd.DataFrame], mode: str = "simulated", modes: dict[str, str] | None = None,
              allow_mixed: bool = False) -> Path:
        return build_raw_warehouse(tmp_path / "btcflows.duckdb", frames, mode=mode, modes=modes, allow_mixed=allow_mixed)

    return build


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    if not REAL_DATA_DIR.is_dir():
        pytest.skip(f"real data not found at {REAL_DATA_DIR} (the shared feb2026 CSVs live beside the repo root)")
    return REAL_DATA_DIR
