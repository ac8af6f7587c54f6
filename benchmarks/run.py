"""`make bench`: time the btcflows commands a desk runs, at the sizes it runs them, and write
BENCHMARKS.md (machine, command, date, machine load; every figure the median of N runs with min
and max; peak RSS). Only public tools: subprocess + time.perf_counter for wall time,
`/usr/bin/time -v` for peak RSS (resource.getrusage of children when it is absent); case 3b reads
the run's own record through the webserver's GraphQL API (benchmarks/through_instance.py).
Every case gets its own temporary warehouse (BTCFLOWS_WAREHOUSE, BTCFLOWS_ARCHIVE) and so its own
Dagster instance beside it; case 3 restores one pristine copy at the same path before each run.

    python benchmarks/run.py                 # full: 3 runs each, full sizes -> BENCHMARKS.md
    python benchmarks/run.py --quick         # 1 run each, smaller sizes -> benchmarks/results/quick.md
    python benchmarks/run.py --only asof     # one case (demo, backfill, incremental, asof, import)
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
VENV_BIN = ROOT / ".venv" / "bin"
PY = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
BTCFLOWS = str(VENV_BIN / "btcflows")
TIME_V = "/usr/bin/time"
REAL_DATA = Path(os.environ.get("BTCFLOWS_REAL_DATA", ROOT.parent / "shared" / "data" / "feb2026"))
CASES = ("demo", "backfill", "incremental", "asof", "import")


# -- measuring one command ------------------------------------------------------------------------
@dataclass
class Run:
    wall_s: float
    peak_rss_mb: float | None
    rc: int
    log: str = ""


def measure(cmd: list[str], env: dict, log_dir: Path, label: str) -> Run:
    """Run `cmd` to completion; wall time by perf_counter around the whole process, peak RSS of the
    process tree's largest process by /usr/bin/time -v. stdout/stderr go to files in log_dir."""
    log_dir.mkdir(parents=True, exist_ok=True)
    out, err = log_dir / f"{label}.out", log_dir / f"{label}.err"
    use_time = os.access(TIME_V, os.X_OK)
    full = [TIME_V, "-v", *cmd] if use_time else cmd
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with open(out, "w") as fo, open(err, "w") as fe:
        t = time.perf_counter()
        rc = subprocess.run(full, env=env, cwd=ROOT, stdout=fo, stderr=fe, check=False).returncode
        wall = time.perf_counter() - t
    peak = None
    if use_time:
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err.read_text(errors="replace"))
        peak = int(m.group(1)) / 1024 if m else None
    else:  # max over every child so far: exact only when this child is the largest yet
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        peak = after / 1024 if after > before else None
    if rc != 0:
        tail = "".join(err.read_text(errors="replace").splitlines(keepends=True)[-25:])
        print(f"  !! {label} exited {rc}; last lines of {err}:\n{tail}", file=sys.stderr)
    return Run(wall, peak, rc, str(err))


def fresh_env(tmp: Path) -> dict:
    env = dict(os.environ)
    env.pop("DAGSTER_HOME", None)  # each case records into the instance beside its own warehouse
    env["BTCFLOWS_WAREHOUSE"] = str(tmp / "btcflows.duckdb")
    env["BTCFLOWS_ARCHIVE"] = str(tmp / "archive")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONWARNINGS"] = "ignore"
    return env


@dataclass
class Figure:
    """One timed thing: N runs -> median, min, max (+ peak RSS)."""

    name: str
    target: str = ""
    target_s: float | None = None
    target_rss_mb: float | None = None
    unit: str = "s"
    runs: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    failed: int = 0
    note: str = ""
    command: str = ""
    extrapolated: bool = False

    def add(self, run: Run) -> None:
        if run.rc != 0:
            self.failed += 1
            return
        self.runs.append(run.wall_s)
        if run.peak_rss_mb is not None:
            self.rss_mb.append(run.peak_rss_mb)

    @property
    def median(self) -> float | None:
        return statistics.median(self.runs) if self.runs else None

    def verdict(self) -> str:
        if self.median is None:
            return "FAILED" if self.failed else "skipped"
        ok = self.target_s is None or self.median < self.target_s
        if self.target_rss_mb is not None and self.rss_mb:
            ok = ok and max(self.rss_mb) < self.target_rss_mb
        if self.target_s is None and self.target_rss_mb is None:
            return "-"
        return "met" if ok else "MISSED"

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("name", "target", "target_s", "target_rss_mb", "unit", "runs",
                                                "rss_mb", "failed", "note", "command", "extrapolated")} | {
            "median": self.median, "verdict": self.verdict()}


def tmpdir(base: Path, label: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"{label}-", dir=base))


# -- cases ------------------------------------------------------------------------------------------
def case_demo(cfg) -> list[Figure]:
    fig = Figure("1. full demo (`btcflows demo`)", "< 60 s wall, peak RSS < 1.5 GB", 60.0, 1536.0,
                 command="btcflows demo")
    for i in range(cfg.runs):
        tmp = tmpdir(cfg.base, "demo")
        run = measure([BTCFLOWS, "demo"], fresh_env(tmp), cfg.logs, f"demo-{i}")
        fig.add(run)
        print(f"  demo run {i + 1}/{cfg.runs}: {run.wall_s:.1f}s, peak {run.peak_rss_mb or 0:.0f} MB", flush=True)
        cfg.cleanup(tmp)
    return [fig]


def case_backfill(cfg) -> list[Figure]:
    if cfg.quick:
        start, end, crash = date(2025, 10, 1), date(2025, 12, 31), date(2025, 11, 20)
    else:
        start, end, crash = date(2024, 1, 1), date(2025, 12, 31), date(2025, 2, 27)
    n_parts = (end - start).days + 1
    cmd = [PY, str(BENCH / "materialize_driver.py"), "--start", start.isoformat(), "--end", end.isoformat(),
           "--crash-day", crash.isoformat()]
    one = Figure(f"2. (c) backfill of {n_parts} days in one run ({start}..{end}, demo mode; a bulk window)",
                 "< 3 min" if not cfg.quick else "(quick size: no target)", 180.0 if not cfg.quick else None,
                 command="benchmarks/materialize_driver.py " + " ".join(cmd[2:]))
    kept = None
    for i in range(cfg.runs):
        tmp = tmpdir(cfg.base, "backfill")
        run = measure(cmd, fresh_env(tmp), cfg.logs, f"backfill-{i}")
        one.add(run)
        print(f"  backfill run {i + 1}/{cfg.runs}: {run.wall_s:.1f}s, peak {run.peak_rss_mb or 0:.0f} MB", flush=True)
        if run.rc == 0 and kept is None:
            kept = tmp
        else:
            cfg.cleanup(tmp)

    # per-partition runs: whole `btcflows materialize --mode replay` commands, one day each, on a
    # copy of the backfilled warehouse (its archive holds every day's payloads)
    per = Figure("2b. one run per partition: `btcflows materialize --mode replay` of one day",
                 "(beside 2)", command="btcflows materialize --mode replay --start D --end D")
    if kept is not None:
        n = 5 if not cfg.quick else 1
        step = max(1, n_parts // (n + 1))
        days = [start + timedelta(days=step * (k + 1)) for k in range(n)]
        for k, day in enumerate(days):
            tmp = tmpdir(cfg.base, "perpart")
            shutil.copytree(kept, tmp, dirs_exist_ok=True)
            run = measure([BTCFLOWS, "materialize", "--mode", "replay", "--start", day.isoformat(),
                           "--end", day.isoformat()], fresh_env(tmp), cfg.logs, f"perpartition-{k}")
            per.add(run)
            print(f"  per-partition run {day}: {run.wall_s:.1f}s", flush=True)
            cfg.cleanup(tmp)
        cfg.cleanup(kept)
        per.note = f"days {', '.join(d.isoformat() for d in days)} (re-replayed: the day already exists)"
    ext = Figure(f"2c. backfill as one run per partition, extrapolated: median of 2b x {n_parts}",
                 "(compare with 2)", extrapolated=True)
    if per.median is not None:
        ext.runs = [per.median * n_parts]
        ext.note = f"EXTRAPOLATED, not measured: {per.median:.1f} s x {n_parts} partitions"
    return [one, per, ext]


DEMO_START, DEMO_CRASH = date(2025, 10, 1), date(2026, 2, 5)
NEW_DAY = date(2026, 4, 7)  # a Tuesday, NYSE trading day: the incremental case's new day


def prepare_incremental(cfg, work: Path, python: str = PY, code: Path = ROOT) -> Path | None:
    """work/pristine: a demo warehouse (scenario DEMO_START..NEW_DAY) materialized up to the day before
    NEW_DAY, with NEW_DAY's payloads in its archive (rendered by the simulator, archive assets only:
    what the day's fetches would have stored; every source has data that day), by the code in `code`.
    None if set-up failed."""
    live, pristine = work / "warehouse", work / "pristine"
    live.mkdir(parents=True)
    drv = [python, str(code / "benchmarks" / "materialize_driver.py"), "--start", DEMO_START.isoformat(), "--end",
           NEW_DAY.isoformat(), "--crash-day", DEMO_CRASH.isoformat()]
    env = {**fresh_env(live), "PYTHONPATH": str(code)}
    setup = [measure(drv + ["--run-end", (NEW_DAY - timedelta(days=1)).isoformat()], env, cfg.logs, "incr-setup"),
             measure(drv + ["--run-start", NEW_DAY.isoformat(), "--run-end", NEW_DAY.isoformat(), "--archive-only"],
                     env, cfg.logs, "incr-setup-newday")]
    if any(r.rc for r in setup):
        return None
    print(f"  incremental set-up: {setup[0].wall_s:.1f}s + {setup[1].wall_s:.1f}s", flush=True)
    shutil.copytree(live, pristine)
    shutil.rmtree(live)
    return pristine


def restore(pristine: Path, live: Path) -> None:
    shutil.rmtree(live, ignore_errors=True)
    shutil.copytree(pristine, live)


def new_day_command(btcflows: list[str] | None = None) -> list[str]:
    return [*(btcflows or [BTCFLOWS]), "materialize", "--mode", "replay", "--start", NEW_DAY.isoformat(),
            "--end", NEW_DAY.isoformat()]


def case_incremental(cfg) -> list[Figure]:
    """One new day (NEW_DAY) end to end (archive -> raw -> checks -> dbt -> report) on the warehouse of
    `prepare_incremental`, launched (a) by the CLI and (b) through the instance as the UI or a schedule
    launches it (benchmarks/through_instance.py), in alternating pairs. Each run starts from the same
    pristine copy, restored at the warehouse's own path (a user's warehouse does not move, and dbt's
    parse state beside it is kept per path)."""
    cli = Figure(f"3a. one new day ({NEW_DAY}, replay mode) launched by the CLI", "< 20 s", 20.0,
                 command=f"btcflows materialize --mode replay --start {NEW_DAY} --end {NEW_DAY}")
    ui = Figure("3b. the same day launched through the instance (UI / schedule path)", "<= 1.5 x 3a",
                command="dagster dev; GraphQL launch of materialize_all, partition "
                        f"{NEW_DAY}, run config resources.ingest.config.mode=replay")
    work = tmpdir(cfg.base, "incr")
    pristine = prepare_incremental(cfg, work)
    if pristine is None:
        cli.failed = ui.failed = 1
        cli.note = "set-up failed"
        return [cli, ui]
    live = work / "warehouse"
    for i in range(cfg.runs):
        for path in (("cli", "ui") if i % 2 == 0 else ("ui", "cli")):
            restore(pristine, live)
            if path == "cli":
                run = measure(new_day_command(), fresh_env(live), cfg.logs, f"incremental-cli-{i}")
                cli.add(run)
                print(f"  one new day, CLI, run {i + 1}/{cfg.runs}: {run.wall_s:.1f}s, peak {run.peak_rss_mb or 0:.0f} MB",
                      flush=True)
            else:
                run = launch_new_day_through_instance(live, cfg.logs, f"incremental-ui-{i}")
                ui.add(run)
                print(f"  one new day, through the instance, run {i + 1}/{cfg.runs}: {run.wall_s:.1f}s", flush=True)
    cfg.cleanup(work)
    pairs = [u / c for c, u in zip(cli.runs, ui.runs)]
    cli.note = (f"warehouse: demo scenario {DEMO_START}..{NEW_DAY} materialized up to {NEW_DAY - timedelta(days=1)}; "
                f"{NEW_DAY}'s payloads (every source) archived beforehand; each run on the same pristine copy, "
                "restored at the same path; 3a and 3b alternate")
    ui.note = ("from the run's creation (the submit) to its end, as the run's record has them; dagster dev's start "
               "and the code location's load not timed")
    if pairs:
        ui.note += f"; pair ratios 3b/3a: {', '.join(f'{r:.2f}' for r in pairs)} (median {statistics.median(pairs):.2f})"
        ui.target_s = 1.5 * statistics.median(cli.runs) if cli.runs else None
    return [cli, ui]


def launch_new_day_through_instance(live: Path, logs: Path, label: str) -> Run:
    from through_instance import DagsterDev

    env = {**fresh_env(live), "DAGSTER_HOME": str(live / "dagster_home")}
    try:
        with DagsterDev(str(VENV_BIN / "dagster"), ROOT, env, logs / f"{label}.dagster-dev.log") as dev:
            launched = dev.launch_and_wait("materialize_all", {"resources": {"ingest": {"config": {"mode": "replay"}}}},
                                           {"dagster/partition": NEW_DAY.isoformat()})
    except (RuntimeError, TimeoutError) as exc:
        print(f"  !! {label}: {exc}", file=sys.stderr)
        return Run(0.0, None, 1)
    if launched.status != "SUCCESS" or launched.wall_s is None:
        print(f"  !! {label}: run {launched.run_id} {launched.status}", file=sys.stderr)
        return Run(0.0, None, 1)
    return Run(launched.wall_s, None, 0)


def case_asof(cfg) -> list[Figure]:
    years, runs = (1, 3) if cfg.quick else (5, 5)
    tmp = tmpdir(cfg.base, "asof")
    cmd = [PY, str(BENCH / "asof.py"), "--years", str(years), "--runs", str(runs), "--workdir", str(tmp), "--check-macro"]
    run = measure(cmd, fresh_env(tmp), cfg.logs, "asof")
    figs: list[Figure] = []
    if run.rc != 0:
        f = Figure("4. 4 pm as-of alignment", failed=1, note="asof.py failed (answers disagree or error): see log")
        return [f]
    res = json.loads((cfg.logs / "asof.out").read_text())
    cfg.extra["asof"] = res
    size = f"{res['rows'] / 1e6:.2f} M bars, {res['venues']} venues, {res['start'][:4]}-{res['end'][:4]}"
    target = not cfg.quick
    fast = Figure(f"4a. as-of in DuckDB, equi-join on UTC date + range + arg_max ({size})",
                  "< 0.5 s; >= 3x faster than 4c", 0.5 if target else None, unit="s")
    fast.runs = res["duckdb_recent"]["runs"]
    plain = Figure(f"4b. as-of in DuckDB, plain ASOF JOIN + max age ({size})", "(reference)")
    plain.runs = res["duckdb_asof"]["runs"]
    pan = Figure(f"4c. as-of in pandas, sort + merge_asof from the unsorted in-memory frame ({size})", "(reference)")
    pan.runs = res["pandas"]["runs"]
    speedup = statistics.median(pan.runs) / statistics.median(fast.runs)
    fast.note = f"{speedup:.1f}x faster than pandas (median/median), same run; answers asserted equal"
    if target and speedup < 3:
        fast.target_s = -1.0  # force MISSED
    figs += [fast, plain, pan]
    cfg.cleanup(tmp)
    return figs


def case_import(cfg) -> list[Figure]:
    fig = Figure(f"5. `btcflows import {REAL_DATA}`", "< 30 s", 30.0, command=f"btcflows import {REAL_DATA}")
    if not REAL_DATA.is_dir():
        fig.note = f"skipped: {REAL_DATA} is absent"
        return [fig]
    for i in range(cfg.runs):
        tmp = tmpdir(cfg.base, "import")
        run = measure([BTCFLOWS, "import", str(REAL_DATA)], fresh_env(tmp), cfg.logs, f"import-{i}")
        fig.add(run)
        print(f"  import run {i + 1}/{cfg.runs}: {run.wall_s:.1f}s, peak {run.peak_rss_mb or 0:.0f} MB", flush=True)
        cfg.cleanup(tmp)
    return [fig]


# -- machine and report -------------------------------------------------------------------------------
def machine() -> dict:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        ram = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    os_name = platform.platform()
    try:
        pretty = re.search(r'PRETTY_NAME="([^"]+)"', Path("/etc/os-release").read_text())
        os_name = f"{pretty.group(1)} ({platform.system()} {platform.release()})" if pretty else os_name
    except OSError:
        pass
    pyver = subprocess.run([PY, "-c", "import sys; print(sys.version.split()[0])"], check=False, capture_output=True, text=True).stdout.strip()
    versions = subprocess.run([PY, "-c", ("import duckdb, pandas, dagster, dbt.version as v; "
                               "print(f'duckdb {duckdb.__version__}, pandas {pandas.__version__}, '"
                               "f'dagster {dagster.__version__}, dbt-core {v.__version__}')")],
                              check=False, capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "ram": ram, "os": os_name, "python": pyver, "versions": versions}


YARDSTICK = "import time; t = time.perf_counter(); s = 0\nfor i in range(10_000_000): s += i\nprint(time.perf_counter() - t)"


def yardstick(runs: int = 5) -> list[float]:
    """This machine's speed right now: a fixed pure-Python loop (10 M additions), timed in a fresh
    interpreter. Figures from two bench runs compare only as far as these do."""
    return [float(subprocess.run([PY, "-c", YARDSTICK], check=True, capture_output=True, text=True).stdout)
            for _ in range(runs)]


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], check=False, capture_output=True, text=True).stdout.strip()
    except OSError:
        return f"load average {os.getloadavg()}"


def fmt(x: float | None, unit: str = "s") -> str:
    if x is None:
        return "-"
    if unit == "s" and x >= 600:
        return f"{x / 3600:.1f} h" if x >= 3600 else f"{x / 60:.1f} min"
    return f"{x:.3f} s" if x < 10 else f"{x:.1f} s"


def render(cfg, figs: list[Figure], info: dict, load_before: str, load_after: str, started: datetime,
           elapsed: float) -> str:
    lines = ["# Benchmarks", "",
             ("Generated by `make bench` (`benchmarks/run.py`); the analysis below the tables is "
             "`benchmarks/analysis.md`. Re-run to refresh."), "",
             f"* command: `{cfg.command}`" + (" (QUICK: 1 run each, smaller sizes, no targets for reduced sizes)" if cfg.quick else ""),
             f"* date: {started:%Y-%m-%d %H:%M} UTC, {elapsed / 60:.0f} min in all",
             f"* machine: {info['cpu']}, {info['cores']} cores, {info['ram']} RAM, {info['os']}, Python {info['python']}",
             f"* libraries: {info['versions']}",
             f"* machine load before: `{load_before}`",
             f"* machine load after: `{load_after}`",
             (f"* machine speed (yardstick: a pure-Python loop of 10 M additions, median of 5 runs): "
              f"{statistics.median(cfg.extra['yard_before']):.2f} s before, {statistics.median(cfg.extra['yard_after']):.2f} s after"
              if cfg.extra.get("yard_before") else "* machine speed: not measured"),
             ("* each case runs in its own temporary warehouse (BTCFLOWS_WAREHOUSE, BTCFLOWS_ARCHIVE; case 3 restores one "
              "pristine copy at the same path before each run); wall time is "
             "`time.perf_counter` around the whole command (start-up included); peak RSS is `/usr/bin/time -v`'s "
             "maximum resident set size of the largest process (the dbt subprocess is measured separately from "
             "the Dagster process by it, so the figure is the larger of the two, not their sum)"), "",
             "| case | target | median | min | max | runs | peak RSS (max) | verdict |",
             "|---|---|---|---|---|---|---|---|"]
    for f in figs:
        rss = f"{max(f.rss_mb):.0f} MB" if f.rss_mb else "-"
        n = "extrapolated" if f.extrapolated else (f"{len(f.runs)}" + (f" (+{f.failed} failed)" if f.failed else ""))
        lo = None if f.extrapolated or not f.runs else min(f.runs)
        hi = None if f.extrapolated or not f.runs else max(f.runs)
        lines.append(f"| {f.name} | {f.target} | {fmt(f.median)} | {fmt(lo)} | {fmt(hi)} | {n} | {rss} | {f.verdict()} |")
    notes = [f for f in figs if f.note or f.command]
    if notes:
        lines += ["", "Notes:", ""]
        for f in notes:
            bits = [b for b in (f"`{f.command}`" if f.command else "", f.note) if b]
            lines.append(f"* {f.name.split(' ')[0]} " + "; ".join(bits))
    a = cfg.extra.get("asof")
    if a:
        lines += ["", ("As-of case details: "
                  f"{a['rows']:,} bars in `raw.minute_bars` ({a['db_bytes'] / 1e6:.0f} MB DuckDB file, stored unsorted), "
                  f"{a['snapshots']:,} (venue, trading day) snapshots, {a['null_answers']} null answers (last bar older "
                  f"than 120 min), {a['answers_with_age_gt_0']} answered by a bar before the instant; "
                  f"DuckDB threads {a['duckdb_threads']}; each method warmed up once, then timed; the three answers "
                  "asserted equal (values, ages, nulls) first; dbt's `asof_recent_at_or_before` macro, run through "
                  f"`dbt show --inline`, gave the same answers on {a.get('macro_checked_rows', 0)} snapshots of one venue. The DuckDB plan of the fast formulation: a hash join "
                  "(RIGHT: the few thousand snapshots are the build side) probed once by the bar scan, then a hash group-by.")]
    analysis = BENCH / "analysis.md"
    if analysis.exists():
        lines += ["", analysis.read_text().rstrip()]
    return "\n".join(lines) + "\n"


class Config:
    def __init__(self, args):
        self.quick = args.quick
        self.runs = args.runs or (1 if args.quick else 3)
        self.keep = args.keep
        self.base = Path(tempfile.mkdtemp(prefix="btcflows-bench-", dir=args.tmp or None))
        self.logs = self.base / "logs"
        self.extra: dict = {}
        self.command = "make bench" if not args.quick and not args.only and os.environ.get("MAKELEVEL") else \
            "python benchmarks/run.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])

    def cleanup(self, path: Path) -> None:
        if not self.keep:
            shutil.rmtree(path, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="1 run each, smaller sizes")
    ap.add_argument("--only", action="append", choices=CASES, help="run only this case (repeatable)")
    ap.add_argument("--runs", type=int, help="runs per case (default 3, quick 1)")
    ap.add_argument("--out", help="markdown output (default BENCHMARKS.md; quick/--only: benchmarks/results/<name>.md)")
    ap.add_argument("--tmp", help="directory for the temporary warehouses (default: the system temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary warehouses")
    args = ap.parse_args()
    cfg = Config(args)
    partial = args.quick or bool(args.only)
    out = Path(args.out) if args.out else (
        BENCH / "results" / ("quick.md" if args.quick else "partial.md") if partial else ROOT / "BENCHMARKS.md")

    info = machine()
    started, t0 = datetime.now(UTC), time.perf_counter()
    load_before = uptime()
    cfg.extra["yard_before"] = yardstick()
    print(f"bench: {info['cpu']}, {info['cores']} cores; work dir {cfg.base}; {load_before}", flush=True)
    figs: list[Figure] = []
    for case in CASES:
        if args.only and case not in args.only:
            continue
        print(f"case {case} ...", flush=True)
        t = time.perf_counter()
        figs += globals()[f"case_{case}"](cfg)
        print(f"case {case} done in {time.perf_counter() - t:.0f}s", flush=True)
    load_after = uptime()
    cfg.extra["yard_after"] = yardstick()
    elapsed = time.perf_counter() - t0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(cfg, figs, info, load_before, load_after, started, elapsed))
    json_out = BENCH / "results" / ("latest.json" if out.name == "BENCHMARKS.md" else out.with_suffix(".json").name)
    json_out.parent.mkdir(parents=True, exist_ok=True)
    json_out.write_text(json.dumps(
        {"machine": info, "command": cfg.command, "date": started.isoformat(), "load_before": load_before,
         "load_after": load_after, "figures": [f.to_dict() for f in figs],
         "yardstick_s": {"before": cfg.extra["yard_before"], "after": cfg.extra["yard_after"]},
         "asof": {k: v for k, v in cfg.extra.get("asof", {}).items() if k != "recent_plan"}}, indent=1, default=str))
    print(f"wrote {out} and {json_out} (logs: {cfg.logs})")
    for f in figs:
        print(f"  {f.verdict():8} {fmt(f.median):>9}  {f.name}")
    if not cfg.keep:
        shutil.rmtree(cfg.base, ignore_errors=True) if not any(f.failed for f in figs) else None


if __name__ == "__main__":
    main()
