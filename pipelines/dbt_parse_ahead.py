"""dbt's side of a command run that starts before the pipeline loads: its target directory per
warehouse, the window as environment variables, and the parse-ahead.

Parse-ahead: a `dbt parse` started in another process at the very beginning of a `btcflows` run, so
that a warehouse's first build does not spend ~7 s parsing the project on the critical path (this
process loads the pipeline and ingests on one core; the parse uses the other). The dbt step waits
for it. Light on purpose: importing dagster-dbt (and dbt-core with it) takes seconds.
"""
from __future__ import annotations

import os
import subprocess
from datetime import date
from pathlib import Path

from pipelines.config import DBT_PROJECT_DIR
from pipelines.side_process import lower_priority

_parses_ahead: dict[Path, subprocess.Popen] = {}


def dbt_target_path(warehouse_path: str) -> Path:
    """dbt's target directory for one warehouse, beside it (`btcflows.duckdb` -> `btcflows.dbt/`).

    One per warehouse rather than one per run: dbt keeps its partial-parse state there, and that
    state is only valid for the same profile (the warehouse path is part of it)."""
    path = Path(warehouse_path)
    return path.with_name(path.stem + ".dbt")


def window_env(start: date, end: date) -> dict[str, str]:
    """A partition window as the environment variables dbt's `window_start()`/`window_end()` macros read.

    Not dbt `--vars`: dbt hashes command-line vars into its partial-parse state, so a new window
    per run would force a full re-parse of the project (~6 s) on every run."""
    if end < start:
        raise ValueError(f"window end {end} is before its start {start}")
    return {"BTCFLOWS_WINDOW_START": start.isoformat(), "BTCFLOWS_WINDOW_END": end.isoformat()}


def dbt_env(warehouse_path: str, start: date, end: date) -> dict[str, str]:
    return {"BTCFLOWS_WAREHOUSE": warehouse_path, **window_env(start, end)}


def start_parse_ahead(warehouse_path: str, start: date, end: date, *, executable: str | None = None,
                      project_dir: str | Path = DBT_PROJECT_DIR, profiles_dir: str | Path = DBT_PROJECT_DIR) -> None:
    """Start `dbt parse` for this warehouse's target directory. When dbt's parse state there is
    current (the usual case) it confirms so in ~3 s of the other core; when it is missing or stale
    (a new warehouse, a moved one, changed models) the full parse happens here, off the critical path."""
    from pipelines.dbt_manifest import dbt_executable

    target = dbt_target_path(warehouse_path)
    if target in _parses_ahead:
        return
    target.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **dbt_env(warehouse_path, start, end), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    with open(target / "parse_ahead.log", "w") as log:
        _parses_ahead[target] = subprocess.Popen(
            [executable or dbt_executable(), "parse", "--quiet", "--project-dir", str(project_dir),
             "--profiles-dir", str(profiles_dir), "--target-path", str(target), "--log-path", str(target)],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(project_dir))
    lower_priority(_parses_ahead[target].pid)



def wait_for_parse_ahead(target: Path) -> None:
    # Its outcome does not matter: the build parses whatever the parse-ahead did not.
    proc = _parses_ahead.pop(target, None)
    if proc is not None:
        proc.wait()


def stop_parses_ahead() -> None:
    """End parse-aheads no build waited for (a run that failed before dbt)."""
    while _parses_ahead:
        _, proc = _parses_ahead.popitem()
        if proc.poll() is None:
            proc.terminate()
        proc.wait()
