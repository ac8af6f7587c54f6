"""A/B of one new day (case 3 of `make bench`) between two revisions, in alternating runs: this
machine's speed drifts by tens of percent within minutes, so a change is judged by the ratio of runs
taken side by side, not by two `make bench` runs.

    python benchmarks/compare.py --base 19ba4f8             # this working tree vs 19ba4f8, 8 pairs
    python benchmarks/compare.py --base HEAD~1 --head HEAD --runs 12

Each revision but the working tree is checked out as a git worktree. Both run with this checkout's
.venv (same dependencies assumed), through a view of it whose console scripts (`btcflows`,
`btcflows-dbt`, ...) are that revision's own ([project.scripts] of its pyproject.toml). Both start
each run from the same warehouse (prepared once by the head revision, as case 3 does); each side
first runs once untimed, so that dbt's parse state beside its warehouse is its own. Reports the
whole command's wall time (perf_counter) and dbt's own node time (dbt's "Finished running ... in
N s" line in the run's log).
"""
from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import ROOT, fresh_env, measure, new_day_command, prepare_incremental, restore

DBT_NODES = re.compile(r"Finished running .* in .*\(([0-9.]+)s\)")
VENV = ROOT / ".venv"


def venv_view(code: Path, dest: Path) -> Path:
    """A virtualenv at `dest` sharing .venv's packages, with .venv's console scripts and `code`'s own
    [project.scripts]; its python."""
    (dest / "bin").mkdir(parents=True)
    shutil.copy(VENV / "pyvenv.cfg", dest / "pyvenv.cfg")
    (dest / "lib").symlink_to(VENV / "lib")
    python = dest / "bin" / "python"
    python.symlink_to(VENV / "bin" / "python")  # Python finds its venv beside the path it was started by
    shebang = f"#!{python}\n"
    for script in (VENV / "bin").iterdir():
        head = script.read_bytes()[:200] if script.is_file() else b""
        if head.startswith(f"#!{VENV}/bin/python".encode()):
            body = script.read_text().split("\n", 1)[1]
            (dest / "bin" / script.name).write_text(shebang + body)
            (dest / "bin" / script.name).chmod(0o755)
    scripts = tomllib.loads((code / "pyproject.toml").read_text())["project"].get("scripts", {})
    for name, target in scripts.items():
        module, func = target.split(":")
        (dest / "bin" / name).write_text(f"{shebang}import sys\nfrom {module} import {func}\nsys.exit({func}())\n")
        (dest / "bin" / name).chmod(0o755)
    return python


@dataclass
class Side:
    name: str
    code: Path
    work: Path
    wall: list[float] = field(default_factory=list)
    dbt_nodes: list[float] = field(default_factory=list)

    @property
    def live(self) -> Path:
        return self.work / "warehouse"

    @property
    def pristine(self) -> Path:
        return self.work / "pristine"

    @property
    def python(self) -> Path:
        return self.work / "venv" / "bin" / "python"

    def command(self) -> list[str]:
        return new_day_command([str(self.python), "-c", "from pipelines.cli import console_main; console_main()"])

    def env(self) -> dict:
        return {**fresh_env(self.live), "PYTHONPATH": str(self.code)}


class Logs:
    def __init__(self, base: Path):
        self.logs = base / "logs"


def run_once(side: Side, cfg: Logs, label: str) -> tuple[float, float | None]:
    restore(side.pristine, side.live)
    run = measure(side.command(), side.env(), cfg.logs, label)
    if run.rc != 0:
        raise SystemExit(f"{side.name} ({side.code}) failed: see {run.log}")
    log = side.live / "logs" / "last_run.log"
    m = DBT_NODES.search(log.read_text(errors="replace")) if log.exists() else None
    return run.wall_s, float(m.group(1)) if m else None


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})" if values else "-"


def checkout(rev: str | None, dest: Path) -> tuple[Path, str]:
    """The code of `rev` (a git worktree at dest), or this working tree for None; and its label."""
    if rev is None:
        return ROOT, "this tree"
    subprocess.run(["git", "worktree", "add", "--detach", "-q", str(dest), rev], cwd=ROOT, check=True)
    short = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, check=True, capture_output=True,
                           text=True).stdout.strip()
    return dest, short


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True, help="git revision to compare with")
    ap.add_argument("--head", help="git revision to compare (default: this working tree)")
    ap.add_argument("--runs", type=int, default=8, help="pairs of runs (default 8)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()

    base_dir = Path(tempfile.mkdtemp(prefix="btcflows-compare-"))
    cfg = Logs(base_dir)
    worktrees = []
    try:
        head_code, head_label = checkout(args.head, base_dir / "head-code")
        base_code, base_label = checkout(args.base, base_dir / "base-code")
        worktrees = [p for p in (head_code, base_code) if p != ROOT]
        a = Side(f"head {head_label}", head_code, base_dir / "a")
        b = Side(f"base {base_label}", base_code, base_dir / "b")
        for side in (a, b):
            venv_view(side.code, side.work / "venv")
        print(f"compare: one new day, {a.name} vs {b.name}, {args.runs} alternating pairs; work dir {base_dir}",
              flush=True)
        pristine = prepare_incremental(cfg, base_dir / "setup", python=str(a.python), code=a.code)
        if pristine is None:
            raise SystemExit(f"set-up failed: see {cfg.logs}")
        for side in (a, b):
            shutil.copytree(pristine, side.pristine)
            run_once(side, cfg, f"{side.work.name}-warm-up")  # untimed: dbt's parse state for this code
            for target in side.live.glob("*.dbt"):
                shutil.rmtree(side.pristine / target.name, ignore_errors=True)
                shutil.copytree(target, side.pristine / target.name)
        for i in range(args.runs):
            for side in ((a, b) if i % 2 == 0 else (b, a)):
                wall, nodes = run_once(side, cfg, f"{side.work.name}-{i}")
                side.wall.append(wall)
                if nodes is not None:
                    side.dbt_nodes.append(nodes)
                print(f"  {side.name:16} run {i + 1}: {wall:.2f} s (dbt nodes {nodes} s)", flush=True)
        ratios = [x / y for x, y in zip(a.wall, b.wall)]
        print(f"\n| one new day, {args.runs} alternating pairs | wall s, median (min-max) | dbt nodes s |")
        print("|---|---|---|")
        for side in (a, b):
            print(f"| {side.name} | {summary(side.wall)} | {summary(side.dbt_nodes)} |")
        print(f"\npair ratios (head / base): {', '.join(f'{r:.3f}' for r in ratios)}; "
              f"median {statistics.median(ratios):.3f}")
    finally:
        for worktree in worktrees:
            subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT, check=False)
        if not args.keep:
            shutil.rmtree(base_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
