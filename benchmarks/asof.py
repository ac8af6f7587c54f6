"""Case 4: the 4 pm New York as-of alignment over years of 1-minute bars for 3 venues.

Generates the bars deterministically (seeded), with gaps: ~2 % of minutes missing at random, and on
~6 % of the trading days per venue a block of minutes missing right up to (and including) the
16:00 New York instant -- some blocks longer than 120 minutes, so that the last bar is too old and
the answer is null. Writes them, in shuffled (unsorted) order, to a DuckDB file with the NYSE
calendar (`raw.minute_bars`, `raw.nyse_calendar`, `raw.venues`), then times three methods that must
give the same answer for every (venue, trading day):

  close of the last bar at or before 16:00 New York, and its age in minutes; both null when that bar
  is older than 120 minutes (or there is none).

* pandas   `merge_asof` from the same unsorted in-memory frame (sorting included);
* duckdb_asof  a plain `ASOF LEFT JOIN` + the max-age rule, read from the DuckDB file;
* duckdb_recent  an equi-join on the UTC date + a range filter + `arg_max` (the snapshot instant,
  20:00 or 21:00 UTC, is on the same UTC date as every bar that can serve it within 120 minutes).

The three answers are asserted equal (values, ages and nulls) before anything is timed.
Prints one JSON object on stdout.

    python benchmarks/asof.py --years 5 --runs 5 --workdir /tmp/x
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pipelines.warehouse import calendar_frame

VENUES = ("coinbase", "kraken", "bitstamp")
MAX_AGE_MINUTES = 120
SEED = 20260205

ASOF_SQL = f"""
with snaps as (
    select v.venue, c.calendar_date as trade_date, c.snapshot_utc
    from raw.nyse_calendar c cross join raw.venues v
    where c.is_trading_day and c.calendar_date between $start and $end
),
as_of as (
    select s.venue, s.trade_date, b.close,
           date_diff('minute', b.bar_time, s.snapshot_utc) as age_minutes
    from snaps s
    asof left join raw.minute_bars b
        on b.venue = s.venue and s.snapshot_utc >= b.bar_time
)
select venue, trade_date,
       case when age_minutes <= {MAX_AGE_MINUTES} then close end as close,
       case when age_minutes <= {MAX_AGE_MINUTES} then age_minutes end as age_minutes
from as_of
order by venue, trade_date
"""

# The same answers without ASOF: only bars on the snapshot's UTC date and within the max age can
# serve it, so a hash join on (venue, UTC date) with a range filter, then arg_max per snapshot.
RECENT_SQL = f"""
with snaps as (
    select v.venue, c.calendar_date as trade_date, c.snapshot_utc
    from raw.nyse_calendar c cross join raw.venues v
    where c.is_trading_day and c.calendar_date between $start and $end
)
select s.venue, s.trade_date,
       arg_max(b.close, b.bar_time) as close,
       date_diff('minute', max(b.bar_time), s.snapshot_utc) as age_minutes
from snaps s
left join raw.minute_bars b
    on b.venue = s.venue
   and cast(b.bar_time as date) = cast(s.snapshot_utc as date)
   and b.bar_time <= s.snapshot_utc
   and b.bar_time >= s.snapshot_utc - interval {MAX_AGE_MINUTES} minute
group by s.venue, s.trade_date, s.snapshot_utc
order by venue, trade_date
"""


def generate(start: date, end: date, cal: pd.DataFrame) -> pd.DataFrame:
    """Minute bars [start, end] UTC for every venue, gaps planted, shuffled."""
    rng = np.random.default_rng(SEED)
    t0 = np.datetime64(start.isoformat(), "m")
    n = int((np.datetime64(end.isoformat(), "m") + np.timedelta64(1, "D") - t0) / np.timedelta64(1, "m"))
    minutes = t0 + np.arange(n, dtype="int64").astype("timedelta64[m]")
    snaps = cal.loc[cal.is_trading_day, "snapshot_utc"].to_numpy().astype("datetime64[m]")
    frames = []
    for v, venue in enumerate(VENUES):
        keep = rng.random(n) >= 0.02
        # blocks missing up to and including the instant; 0..240 minutes long (some > 120: null)
        hit = snaps[rng.random(len(snaps)) < 0.06]
        lengths = rng.integers(0, 241, size=len(hit))
        for instant, length in zip(hit, lengths, strict=True):
            i = int((instant - t0) / np.timedelta64(1, "m"))
            keep[max(0, i - int(length)) : i + 1] = False
        # a few exact edge cases: last bar exactly 120 and 121 minutes old
        for k, age in ((len(snaps) // 3, MAX_AGE_MINUTES), (len(snaps) // 2, MAX_AGE_MINUTES + 1)):
            i = int((snaps[k + v] - t0) / np.timedelta64(1, "m"))
            keep[i - age + 1 : i + 1] = False
            keep[i - age] = True
        idx = np.flatnonzero(keep)
        price = 40_000 * np.exp(np.cumsum(rng.normal(0, 0.0008, size=n)))
        frames.append(pd.DataFrame({
            "venue": pd.Categorical.from_codes(np.full(len(idx), v, dtype="int8"), categories=list(VENUES)),
            "bar_time": minutes[idx].astype("datetime64[us]"),
            "close": np.round(price[idx], 2),
        }))
    bars = pd.concat(frames, ignore_index=True)
    bars = bars.iloc[rng.permutation(len(bars))].reset_index(drop=True)
    bars["venue"] = bars["venue"].astype(str)
    return bars


def pandas_asof(bars: pd.DataFrame, snaps: pd.DataFrame) -> pd.DataFrame:
    """What a notebook user runs: sort, merge_asof by venue, age, max-age rule."""
    b = bars.sort_values("bar_time", kind="stable")
    s = snaps.sort_values("snapshot_utc")
    m = pd.merge_asof(s, b, left_on="snapshot_utc", right_on="bar_time", by="venue", direction="backward")
    age = (m["snapshot_utc"] - m["bar_time"]) // pd.Timedelta(minutes=1)
    fresh = age <= MAX_AGE_MINUTES
    out = pd.DataFrame({
        "venue": m["venue"],
        "trade_date": m["trade_date"],
        "close": m["close"].where(fresh),
        "age_minutes": age.where(fresh).astype("Int64"),
    })
    return out.sort_values(["venue", "trade_date"]).reset_index(drop=True)


def normalise(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["venue"] = out["venue"].astype(str)
    out["trade_date"] = pd.to_datetime(out["trade_date"]).dt.date
    out["close"] = out["close"].astype("float64")
    out["age_minutes"] = out["age_minutes"].astype("Int64")
    return out.sort_values(["venue", "trade_date"]).reset_index(drop=True)


MACRO_CHECK_SQL = """
with snaps as (select calendar_date as trade_date, snapshot_utc from raw.nyse_calendar where is_trading_day),
obs as (select bar_time, close from raw.minute_bars where venue = '{venue}'),
j as ({{{{ asof_recent_at_or_before('snaps', 'snapshot_utc', 'obs', 'bar_time', {max_age}) }}}})
select trade_date, close, date_diff('minute', bar_time, snapshot_utc) as age_minutes from j
"""


def check_macro(db: Path, ref: pd.DataFrame, venue: str = VENUES[0]) -> int:
    """Render and run dbt's asof_recent_at_or_before (dbt show --inline) on a copy of the bars file;
    assert it gives the reference answers for one venue. Returns the rows compared."""
    import os
    import shutil
    import subprocess

    root = Path(__file__).resolve().parents[1]
    copy = db.with_name("macro-check.duckdb")
    shutil.copyfile(db, copy)
    env = dict(os.environ, BTCFLOWS_WAREHOUSE=str(copy))
    sql = MACRO_CHECK_SQL.format(venue=venue, max_age=MAX_AGE_MINUTES)
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "show", "--profiles-dir", ".", "--target-path", str(db.parent / "dbt-target"),
         "--log-path", str(db.parent / "dbt-logs"), "--limit", "100000", "--output", "json", "--log-format", "json",
         "--inline", sql],
        cwd=root / "dbt_project", env=env, capture_output=True, text=True, check=True)
    rows = None
    for line in proc.stdout.splitlines():
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        preview = ev.get("data", {}).get("preview")
        if preview:
            rows = json.loads(preview) if isinstance(preview, str) else preview
    assert rows is not None, "dbt show printed no preview"
    got = pd.DataFrame(rows)
    got["venue"] = venue
    want = ref[ref["venue"] == venue]
    want = want[want["trade_date"].isin(pd.to_datetime(got["trade_date"]).dt.date)]
    pd.testing.assert_frame_equal(normalise(got)[list(want.columns)], want.reset_index(drop=True), check_exact=True,
                                  obj="dbt macro asof_recent_at_or_before vs pandas")
    return len(got)


def timed(fn, runs: int) -> dict:
    fn()  # warm-up (page cache, DuckDB buffer pool, pandas code paths): not counted
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return {"median": statistics.median(times), "min": min(times), "max": max(times), "runs": times}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--workdir", default="")
    ap.add_argument("--check-macro", action="store_true", help="also run the dbt macro and compare (adds ~15 s)")
    args = ap.parse_args()

    end = date(2025, 12, 31)
    start = date(end.year - args.years + 1, 1, 1)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="btcflows-asof-"))
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "asof.duckdb"

    t = time.perf_counter()
    cal = calendar_frame(start, end)
    bars = generate(start, end, cal)
    gen_s = time.perf_counter() - t
    t = time.perf_counter()
    with duckdb.connect(str(db)) as con:
        con.execute("create schema if not exists raw")
        con.register("bars_df", bars)
        con.register("cal_df", cal)
        con.execute("create or replace table raw.minute_bars as select venue, bar_time, close from bars_df")
        con.execute("create or replace table raw.nyse_calendar as select * from cal_df")
        con.execute("create or replace table raw.venues as select unnest($v) as venue", {"v": list(VENUES)})
    write_s = time.perf_counter() - t

    # the snapshot instants must be >= 02:00 UTC for the same-UTC-date rule to hold
    tod = cal.loc[cal.is_trading_day, "snapshot_utc"]
    assert ((tod - tod.dt.normalize()) >= pd.Timedelta(minutes=MAX_AGE_MINUTES)).all()
    trading = cal.loc[cal.is_trading_day, ["calendar_date", "snapshot_utc"]].rename(columns={"calendar_date": "trade_date"})
    snaps = trading.merge(pd.DataFrame({"venue": list(VENUES)}), how="cross")

    con = duckdb.connect(str(db), read_only=True)
    params = {"start": start, "end": end}

    def run_asof():
        return con.execute(ASOF_SQL, params).df()

    def run_recent():
        return con.execute(RECENT_SQL, params).df()

    def run_pandas():
        return pandas_asof(bars, snaps)

    answers = {name: normalise(fn()) for name, fn in
               (("pandas", run_pandas), ("duckdb_asof", run_asof), ("duckdb_recent", run_recent))}
    ref = answers["pandas"]
    for name, got in answers.items():
        pd.testing.assert_frame_equal(got, ref, check_exact=True, obj=f"{name} vs pandas")
    nulls = int(ref["close"].isna().sum())
    missing_at_instant = int((ref["age_minutes"] > 0).sum())
    assert nulls > 0 and missing_at_instant > 0, "the data must exercise stale and missing-at-instant cases"
    assert (ref["age_minutes"] == MAX_AGE_MINUTES).any(), "an exactly-120-minute-old bar must be served"

    macro_rows = check_macro(db, ref) if args.check_macro else 0

    result = {
        "macro_checked_rows": macro_rows,
        "rows": len(bars), "venues": len(VENUES), "start": start.isoformat(), "end": end.isoformat(),
        "snapshots": len(ref), "null_answers": nulls, "answers_with_age_gt_0": missing_at_instant,
        "generate_s": gen_s, "write_s": write_s, "db_bytes": db.stat().st_size,
        "duckdb_threads": con.execute("select current_setting('threads')").fetchone()[0],
        "agree": True,
        "pandas": timed(run_pandas, args.runs),
        "duckdb_asof": timed(run_asof, args.runs),
        "duckdb_recent": timed(run_recent, args.runs),
    }
    # the plan of the fast formulation, for the record
    result["recent_plan"] = con.execute("explain " + RECENT_SQL, params).fetchall()[0][1]
    con.close()
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
