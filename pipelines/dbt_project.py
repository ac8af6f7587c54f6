"""The dbt project as dagster-dbt sees it (`DbtProject`), its manifest, and dbt's settings per
warehouse and per run.

The manifest Dagster builds the dbt assets from is prepared by `dbt parse` when it is missing or
older than any project file (`prepare_if_stale`: at load, for `btcflows`, tests, the code server and
every run worker alike; `make manifest` does it ahead). Not `DbtProject.prepare_if_dev`: that parses
on every load under `dagster dev`, and each run `dagster dev` launches loads the code location again
in its own process.
"""
from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from dagster_dbt import DbtProject

from pipelines.config import DBT_PROJECT_DIR, paths_from_env

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

_WATCHED = ("models", "macros", "tests", "seeds", "snapshots", "analyses", "dbt_project.yml", "profiles.yml",
            "packages.yml", "dependencies.yml")


def newest_source_mtime(project_dir: Path = DBT_PROJECT_DIR) -> float:
    """The newest modification time among the project's models, macros, tests and project files."""
    newest = 0.0
    for path in (Path(project_dir) / name for name in _WATCHED):
        files = [path] if path.is_file() else (p for p in path.rglob("*") if p.is_file()) if path.exists() else []
        for f in files:
            newest = max(newest, f.stat().st_mtime)
    return newest


def manifest_is_stale(project: DbtProject = dbt_project) -> bool:
    manifest = project.manifest_path
    return not manifest.exists() or manifest.stat().st_mtime < newest_source_mtime(project.project_dir)


def dbt_executable() -> str:
    """The dbt installed beside this Python (the one dagster-dbt would find first on PATH in the venv)."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def prepare_if_stale(project: DbtProject = dbt_project) -> Path:
    """Run `dbt parse` when the manifest is missing or stale (serialised by a file lock, so parallel
    processes do not parse over each other); the manifest's path."""
    if not manifest_is_stale(project):
        return project.manifest_path
    project.manifest_path.parent.mkdir(parents=True, exist_ok=True)
    with open(project.manifest_path.parent / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if manifest_is_stale(project):
            env = {**os.environ}
            env.setdefault("BTCFLOWS_WAREHOUSE", str(paths_from_env().warehouse))
            proc = subprocess.run(
                [dbt_executable(), "parse", "--quiet", "--project-dir", str(project.project_dir),
                 "--profiles-dir", str(project.profiles_dir), "--target-path", str(project.target_path)],
                check=False, env=env, capture_output=True, text=True, cwd=str(project.project_dir),
            )
            if proc.returncode != 0:
                raise RuntimeError(f"dbt parse failed in {project.project_dir}:\n{proc.stdout}\n{proc.stderr}")
    return project.manifest_path


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
    """The dbt step's environment: the warehouse its profile opens, the window, dbt's file log."""
    return {"BTCFLOWS_WAREHOUSE": warehouse_path, **window_env(start, end), "DBT_LOG_LEVEL_FILE": dbt_file_log_level()}


def dbt_file_log_level() -> str:
    """dbt's own debug file log (`<warehouse>.dbt/dbt.log`) is off unless DBT_LOG_LEVEL_FILE asks for
    it: writing every query and event costs a noticeable share of a build's node time (see
    BENCHMARKS.md). The info-level events are in the Dagster run's logs (and `logs/last_run.log` for
    `btcflows` runs) either way, and the SQL each node ran is in `<warehouse>.dbt/run/`."""
    return os.environ.get("DBT_LOG_LEVEL_FILE") or "none"
