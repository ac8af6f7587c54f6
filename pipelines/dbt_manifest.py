"""The dbt manifest Dagster reads to build the dbt assets: prepared once, re-parsed when any
model, macro, test or project file is newer than it."""
from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

from pipelines.config import DBT_PROJECT_DIR, paths_from_env

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
_WATCHED = ("models", "macros", "tests", "seeds", "snapshots", "analyses", "dbt_project.yml", "profiles.yml",
            "packages.yml", "dependencies.yml")


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
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def ensure_manifest() -> Path:
    """Run `dbt parse` when the manifest is missing or stale (serialised by a file lock, so parallel
    test workers do not parse over each other)."""
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
