"""The dbt project as dagster-dbt sees it (`DbtProject`), its manifest, and dbt's settings per
warehouse and per run.

The manifest Dagster builds the dbt assets from is prepared by `dbt parse` when it is missing or
older than any project file (`prepare_if_stale`: when the code location loads, in `btcflows`, tests,
the code server and every run worker alike; `make manifest` does it ahead). Not
`DbtProject.prepare_if_dev`: that parses on every load under `dagster dev`, and each run `dagster dev`
launches loads the code location again in a process of its own.

Light on purpose (no dagster import at module level): the dbt step's executable and dbt-ahead
(pipelines/runs/dbt_ahead.py) use the helpers below.
"""
from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.config import DBT_PROJECT_DIR, paths_from_env

if TYPE_CHECKING:
    from dagster_dbt import DbtProject

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
_WATCHED = ("models", "macros", "tests", "seeds", "snapshots", "analyses", "dbt_project.yml", "profiles.yml",
            "packages.yml", "dependencies.yml")


@cache
def dbt_project() -> DbtProject:
    """The project, its manifest prepared (see above)."""
    from dagster_dbt import DbtProject

    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    assert project.manifest_path == MANIFEST, project.manifest_path
    prepare_if_stale()
    return project


def newest_source_mtime(project_dir: Path = DBT_PROJECT_DIR, profiles_dir: Path | None = None) -> float:
    """The newest modification time among the project's models, macros, tests and project files
    (and profiles_dir's profiles.yml, when it is given)."""
    paths = [Path(project_dir) / name for name in _WATCHED]
    if profiles_dir is not None:
        paths.append(Path(profiles_dir) / "profiles.yml")
    newest = 0.0
    for path in paths:
        files = [path] if path.is_file() else (p for p in path.rglob("*") if p.is_file()) if path.exists() else []
        for f in files:
            newest = max(newest, f.stat().st_mtime)
    return newest


def manifest_is_stale() -> bool:
    return not MANIFEST.exists() or MANIFEST.stat().st_mtime < newest_source_mtime()


def dbt_executable() -> str:
    """The dbt installed beside this Python, else `dbt` on PATH."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def prepare_if_stale() -> Path:
    """Run `dbt parse` when the manifest is missing or stale (serialised by a file lock, so parallel
    processes do not parse over each other); the manifest's path."""
    if not manifest_is_stale():
        return MANIFEST
    MANIFEST.parent.mkdir(parents=True, exist_ok=True)
    with open(MANIFEST.parent / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if manifest_is_stale():
            env = {**os.environ}
            env.setdefault("BTCFLOWS_WAREHOUSE", str(paths_from_env().warehouse))
            proc = subprocess.run(
                [dbt_executable(), "parse", "--quiet", "--project-dir", str(DBT_PROJECT_DIR),
                 "--profiles-dir", str(DBT_PROJECT_DIR)],
                check=False, env=env, capture_output=True, text=True,
            )
            if proc.returncode != 0:
                raise RuntimeError(f"dbt parse failed in {DBT_PROJECT_DIR}:\n{proc.stdout}\n{proc.stderr}")
    return MANIFEST


# -- per warehouse and per run ---------------------------------------------------------------------
def dbt_target_path(warehouse_path: str) -> Path:
    """dbt's target directory for one warehouse, beside it (`btcflows.duckdb` -> `btcflows.dbt/`).

    One per warehouse rather than one per run: dbt keeps its partial-parse state there, and that
    state is only valid for the same profile (the warehouse path is part of it)."""
    path = Path(warehouse_path)
    return path.with_name(path.stem + ".dbt")


def window_env(start: date, end: date) -> dict[str, str]:
    """A run window as the environment variables dbt's `window_start()`/`window_end()` macros read.

    Not dbt `--vars`: dbt hashes command-line vars into its partial-parse state, so a new window
    per run would force a full re-parse of the project on every run."""
    if end < start:
        raise ValueError(f"window end {end} is before its start {start}")
    return {"BTCFLOWS_WINDOW_START": start.isoformat(), "BTCFLOWS_WINDOW_END": end.isoformat()}


def dbt_env(warehouse_path: str, start: date, end: date) -> dict[str, str]:
    """What the dbt step's dbt sees: the warehouse its profile opens, and the window."""
    return {"BTCFLOWS_WAREHOUSE": warehouse_path, **window_env(start, end)}


def dbt_file_log_level() -> str:
    """dbt's own debug file log (`<warehouse>.dbt/dbt.log`) is off unless DBT_LOG_LEVEL_FILE asks for
    it: writing every query and event costs a noticeable share of a build's node time (see
    BENCHMARKS.md). The info-level events are in the Dagster run's logs (and `logs/last_run.log` for
    `btcflows` runs) either way, and the SQL each node ran is in `<warehouse>.dbt/run/`."""
    return os.environ.get("DBT_LOG_LEVEL_FILE") or "none"
