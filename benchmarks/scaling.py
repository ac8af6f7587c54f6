"""How a run's cost grows with its window on DuckDB (docs/SCALING.md): one single-run backfill of
the simulated scenario per window length, each in a fresh warehouse, timed whole (its own process,
start-up included: wall time, and the CPU time of the run's processes, which a machine shared with
other work perturbs less), with the raw rows, the warehouse file's size and, with --lake, the raw
lake's size and what writing it costs.

    python benchmarks/scaling.py --months 1 3 6 12 24 [--lake] [--out benchmarks/results/scaling.json]

The windows end on 2025-12-31 (a crash day two thirds in); the machine's speed is measured before
and after (the pure-Python yardstick of benchmarks/run.py), so figures from another moment or
machine can be compared. Not part of `make bench`: one pass takes minutes.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DRIVER = ROOT / "benchmarks" / "materialize_driver.py"
END = date(2025, 12, 31)


def yardstick() -> float:
    """Seconds for 10 M additions in pure Python, median of 5 (benchmarks/run.py's yardstick)."""
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        total = 0
        for i in range(10_000_000):
            total += i
        runs.append(time.perf_counter() - t0)
    return sorted(runs)[2]


def _children_cpu() -> float:
    """User + system CPU seconds of the finished child processes (the run and the processes it
    waited for: dbt-ahead, the GX worker): less sensitive than wall time to a machine shared with
    other work."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def tree_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def one_window(months: int, lake: bool) -> dict:
    start = (END - timedelta(days=round(months * 30.44)) + timedelta(days=1))
    from pipelines.timeutils import trading_days

    target = start + (END - start) * 2 // 3
    crash = trading_days(target, target + timedelta(days=10))[0]  # the simulator's crash is on an NYSE day
    with tempfile.TemporaryDirectory(prefix="btcflows-scaling-") as tmp:
        tmp = Path(tmp)
        env = {**os.environ, "BTCFLOWS_WAREHOUSE": str(tmp / "btcflows.duckdb"), "BTCFLOWS_ARCHIVE": str(tmp / "archive")}
        env.pop("BTCFLOWS_LAKE", None)
        if lake:
            env["BTCFLOWS_LAKE"] = f"file://{tmp / 'lake'}"
        t0, cpu0 = time.perf_counter(), _children_cpu()
        proc = subprocess.run([sys.executable, str(DRIVER), "--start", start.isoformat(), "--end", END.isoformat(),
                               "--crash-day", crash.isoformat()], check=False, env=env, capture_output=True, text=True)
        wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
        if proc.returncode != 0:
            raise SystemExit(f"{months} months failed:\n{proc.stderr[-3000:]}")
        import duckdb

        with duckdb.connect(str(tmp / "btcflows.duckdb"), read_only=True) as con:
            tables = [t for (t,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw' "
                "and table_name not in ('nyse_calendar', 'cme_expiries')").fetchall()]
            raw_rows = sum(con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in tables)
            mart_rows = con.execute("select count(*) from marts.fct_dealer_gamma").fetchone()[0]
        return {"months": months, "days": (END - start).days + 1, "lake": lake, "wall_s": round(wall, 1),
                "cpu_s": round(cpu, 1),
                "raw_rows": raw_rows, "fct_dealer_gamma_rows": mart_rows,
                "warehouse_mb": round((tmp / "btcflows.duckdb").stat().st_size / 1e6, 1),
                "archive_mb": round(tree_bytes(tmp / "archive") / 1e6, 1),
                "lake_mb": round(tree_bytes(tmp / "lake") / 1e6, 1) if lake else None}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--months", type=int, nargs="+", default=[1, 3, 6, 12, 24])
    ap.add_argument("--lake", action="store_true", help="also run each window with BTCFLOWS_LAKE (a local lake)")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    before = yardstick()
    rows = []
    for months in args.months:
        for lake in ((False, True) if args.lake else (False,)):
            row = one_window(months, lake)
            print(json.dumps(row), flush=True)
            rows.append(row)
    result = {"yardstick_s_before": round(before, 3), "yardstick_s_after": round(yardstick(), 3),
              "load_after": os.getloadavg(), "runs": rows}
    print(json.dumps(result, indent=1))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
