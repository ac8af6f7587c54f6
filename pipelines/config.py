"""Where things live. Paths come from env once and are made absolute, so Dagster and dbt
(which run from different working directories) see the same files."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DEFAULT_WAREHOUSE = PROJECT_ROOT / "warehouse" / "btcflows.duckdb"
DEFAULT_ARCHIVE = PROJECT_ROOT / "warehouse" / "archive"


@dataclass(frozen=True)
class Paths:
    warehouse: Path
    archive: Path

    @property
    def reports(self) -> Path:
        return self.warehouse.parent / "reports"


def _resolve(value: str | None, default: Path) -> Path:
    return Path(value).expanduser().resolve() if value else default


def paths_from_env(env: dict[str, str] | None = None) -> Paths:
    env = os.environ if env is None else env
    return Paths(
        warehouse=_resolve(env.get("BTCFLOWS_WAREHOUSE"), DEFAULT_WAREHOUSE),
        archive=_resolve(env.get("BTCFLOWS_ARCHIVE"), DEFAULT_ARCHIVE),
    )
