"""Great Expectations 1.x suites for the raw datasets, built from pipelines/datasets.py, and
`validate(dataset, frame)`: one pandas batch, one suite, a `CheckOutcome` naming failing rows.

Every suite holds, from the dataset's definition: each canonical column exists and has its kind's
type (timestamps naive = UTC, as DuckDB stores them); the key columns are never null and unique
together; `Dataset.allowed` values (venues included) and `Dataset.allowed_with` pairs (e.g. the
option underlyings each venue lists); every number finite; `Column.nonnegative` (prices, volumes,
open interest) >= 0; the row's date no later than now + 1 day and no earlier than 2009-01-03
(catches epoch / ms-vs-s mistakes). Plus a few plausibility rules per dataset (PLAUSIBILITY below).

GX is imported lazily (seconds: see BENCHMARKS.md) and its ephemeral context is built once per
process; a validation of one batch is quick next to that.
"""
from __future__ import annotations

import functools
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pandas as pd

from pipelines.datasets import DATASETS, EARLIEST_DATE, LINEAGE_COLUMNS, MODES, Dataset

MAX_FAILING_ROWS = 20
EARLIEST = pd.Timestamp(EARLIEST_DATE)
FUTURE_SLACK = timedelta(days=1)
MAX_ABS_DAILY_RETURN = 0.5
# Numbers must be finite (NaN cannot reach a raw table: DuckDB stores a pandas NaN as NULL).
LARGEST_FINITE = sys.float_info.max
RETURN_COLUMN = "_close_return"  # derived: close-to-close return per (symbol, source), daily_bars

# The types a column of each kind may have in a pandas frame. A naive datetime64 column is UTC by
# the warehouse's convention; a tz-aware one is refused (it would be shifted on insert).
_DATETIME_TYPES = ["datetime64[ns]", "datetime64[us]", "datetime64[ms]", "datetime64[s]"]
TYPE_LISTS = {
    "date": _DATETIME_TYPES,  # dates are normalised to datetime64 before validation (see _prepare)
    "timestamp": _DATETIME_TYPES,
    "text": ["str"],  # value-wise: every non-null value is a Python str
    "float": ["float64", "Float64", "float32"],
    "int": ["int64", "Int64", "int32"],
}

# (column A, column B): A >= B where both are present.
ORDERED_PAIRS: dict[str, list[tuple[str, str]]] = {
    "etf_flows": [("reported_date", "trade_date")],
    "futures_daily": [("expiry_date", "trade_date")],
    "option_chain_snapshot": [("expiry_utc", "snapshot_utc")],
    "daily_bars": [("high", "low")],
    "hourly_bars": [("high", "low")],
    "structured_notes": [("maturity_date", "pricing_date"), ("maturity_date", "observation_date")],
}
# Plausibility bounds (column -> (min, max)), beyond the dataset's own non-negativity.
PLAUSIBILITY: dict[str, dict[str, tuple[float | None, float | None]]] = {
    "funding_rates": {"funding_rate": (-0.05, 0.05)},  # per 8 h; exchange caps are far inside this
    "option_chain_snapshot": {"mark_iv": (None, 10.0)},  # 1000 % implied vol
    "vol_index_daily": {"close": (1.0, 500.0)},
    "daily_bars": {RETURN_COLUMN: (-MAX_ABS_DAILY_RETURN, MAX_ABS_DAILY_RETURN)},
    "structured_notes": {"barrier_fraction_of_initial": (0.0, 2.0), "barrier_seq": (1, None)},
}
# Columns dated in the future by nature (contract expiries, a note's maturity, call dates, and the
# pricing date a preliminary supplement announces) are exempt from the "not in the future" rule.
FUTURE_BY_NATURE = {"expiry_date", "expiry_utc", "maturity_date", "observation_date", "pricing_date"}


@dataclass(frozen=True)
class Failure:
    expectation: str  # e.g. expect_column_values_to_not_be_null
    column: str  # the column (or "a, b" for a compound rule; "" for table-level)
    unexpected_count: int
    rows: list[dict]  # up to MAX_FAILING_ROWS failing rows: their key columns and the offending value(s)
    detail: str = ""

    def describe(self) -> str:
        where = f" on {self.column}" if self.column else ""
        rows = "; ".join(", ".join(f"{k}={_show(v)}" for k, v in r.items()) for r in self.rows[:5])
        more = f" (first: {rows})" if rows else ""
        detail = f" [{self.detail}]" if self.detail else ""
        return f"{self.expectation}{where}: {self.unexpected_count} row(s){more}{detail}"


@dataclass
class CheckOutcome:
    dataset: str
    passed: bool
    rows_checked: int
    failures: list[Failure] = field(default_factory=list)
    expectations: int = 0
    elapsed_s: float = 0.0

    def summary(self) -> str:
        if self.passed:
            return f"raw.{self.dataset}: {self.expectations} expectations passed on {self.rows_checked} rows"
        lines = [(f"raw.{self.dataset}: {len(self.failures)} of {self.expectations} expectations failed "
                 f"on {self.rows_checked} rows")]
        lines += [f"  {f.describe()}" for f in self.failures]
        return "\n".join(lines)


def _show(value) -> str:
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


# -- the GX context, once per process ---------------------------------------------------------
_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _batch_definition():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    asset = context.data_sources.add_pandas("btcflows_raw").add_dataframe_asset("raw_window")
    return asset.add_batch_definition_whole_dataframe("whole_window")


def warm_up() -> None:
    """Import GX, build the context and validate once (GX imports more on its first validation)."""
    name = next(iter(DATASETS))
    validate(name, pd.DataFrame({c: pd.Series(dtype=object) for c in DATASETS[name].column_names}))


def expectation_suite(dataset: str, now: datetime | None = None, columns: list[str] | None = None):
    """The GX suite for `dataset` (columns: those present in the frame, for the optional lineage rules)."""
    import great_expectations as gx
    import great_expectations.expectations as gxe

    _batch_definition()  # GX builds suites only inside an active context
    ds = DATASETS[dataset]
    now = now or datetime.now(UTC)
    latest = pd.Timestamp(now.astimezone(UTC).replace(tzinfo=None) + FUTURE_SLACK)
    present = set(columns) if columns is not None else set(ds.column_names)
    suite = gx.ExpectationSuite(name=f"raw.{dataset}")
    add = suite.add_expectation

    for col in ds.columns:
        add(gxe.ExpectColumnToExist(column=col.name))
        if col.name not in present:
            continue
        add(gxe.ExpectColumnValuesToBeInTypeList(column=col.name, type_list=TYPE_LISTS[col.kind]))
        if col.nonnegative:  # and finite: an infinity is never a price, a volume or a count
            add(gxe.ExpectColumnValuesToBeBetween(column=col.name, min_value=0, max_value=LARGEST_FINITE))
        elif col.kind in ("float", "int"):
            add(gxe.ExpectColumnValuesToBeBetween(column=col.name, min_value=-LARGEST_FINITE, max_value=LARGEST_FINITE))
        if col.kind in ("date", "timestamp"):
            upper = None if col.name in FUTURE_BY_NATURE else latest
            add(gxe.ExpectColumnValuesToBeBetween(column=col.name, min_value=EARLIEST, max_value=upper))
    for name in _not_null_columns(ds):
        if name in present:
            add(gxe.ExpectColumnValuesToNotBeNull(column=name))
    if set(ds.key) <= present:
        add(gxe.ExpectCompoundColumnsToBeUnique(column_list=list(ds.key)))
    for name, values in ds.allowed.items():
        if name in present:
            add(gxe.ExpectColumnValuesToBeInSet(column=name, value_set=list(values)))
    for name, (other, accepted) in ds.allowed_with.items():
        if {name, other} <= present:
            add(gxe.ExpectColumnPairValuesToBeInSet(
                column_A=other, column_B=name, value_pairs_set=[(o, v) for o, vs in accepted.items() for v in vs],
                ignore_row_if="either_value_is_missing"))
    for a, b in ORDERED_PAIRS.get(dataset, []):
        if {a, b} <= present:
            add(gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=a, column_B=b, or_equal=True, ignore_row_if="either_value_is_missing"))
    for name, (lo, hi) in PLAUSIBILITY.get(dataset, {}).items():
        if name in present:
            strict = name == RETURN_COLUMN
            add(gxe.ExpectColumnValuesToBeBetween(column=name, min_value=lo, max_value=hi,
                                                  strict_min=strict, strict_max=strict))
    # Lineage, when the frame was read from the warehouse.
    for name in ("_partition", "_is_trading_day"):
        if name in present:
            add(gxe.ExpectColumnValuesToNotBeNull(column=name))
    if "_mode" in present:
        add(gxe.ExpectColumnValuesToBeInSet(column="_mode", value_set=list(MODES)))
    return suite


def _not_null_columns(ds: Dataset) -> list[str]:
    names = list(ds.key)
    if ds.date_column not in names:
        names.append(ds.date_column)
    return names


# -- frame preparation -------------------------------------------------------------------------
def _prepare(ds: Dataset, frame: pd.DataFrame, history: pd.DataFrame | None) -> pd.DataFrame:
    """A positional-index copy GX can compare: text as object (pandas' `str` dtype is not matched by
    GX's type lists), dates as datetime64 when every value is a date, and derived columns."""
    out = frame.reset_index(drop=True).copy()
    for col in ds.columns:
        if col.name not in out:
            continue
        s = out[col.name]
        if col.kind == "text" and isinstance(s.dtype, pd.StringDtype):
            out[col.name] = s.astype(object).where(s.notna(), None)
        elif col.kind in ("date", "timestamp") and s.dtype == object:
            converted = _as_naive_datetimes(s)
            if converted is not None:
                out[col.name] = converted
    for name in ("_partition",):
        if name in out and out[name].dtype == object:
            converted = _as_naive_datetimes(out[name])
            if converted is not None:
                out[name] = converted
    if ds.name == "daily_bars" and {"trade_date", "symbol", "source", "close"} <= set(out.columns):
        out[RETURN_COLUMN] = _close_returns(ds, out, history)
    return out


def _as_naive_datetimes(s: pd.Series) -> pd.Series | None:
    """Dates / naive datetimes held as objects -> datetime64; None when any value is something else."""
    from datetime import date

    values = s.dropna()
    if not all(isinstance(v, date) and getattr(v, "tzinfo", None) is None for v in values):
        return None
    return pd.to_datetime(s)


def _close_returns(ds: Dataset, frame: pd.DataFrame, history: pd.DataFrame | None) -> pd.Series:
    """Close-to-close simple return against the previous bar of the same symbol and source (earlier
    rows in `history` count as previous bars; they are not validated themselves)."""
    cols = ["trade_date", "symbol", "source", "close"]
    current = frame[cols].copy()
    current["_row"] = range(len(current))
    parts = [current]
    if history is not None and len(history):
        past = _prepare(ds, history[[c for c in ds.column_names if c in history]], None)[cols].copy()
        past["_row"] = -1
        parts.insert(0, past)
    both = pd.concat(parts, ignore_index=True)
    both["trade_date"] = pd.to_datetime(both["trade_date"])
    both = both.sort_values(["symbol", "source", "trade_date", "_row"], kind="stable")
    both = both.drop_duplicates(["symbol", "source", "trade_date"], keep="last")
    close = both["close"].astype("float64")
    prev = close.groupby([both["symbol"], both["source"]], dropna=False).shift(1)
    both["ret"] = (close / prev - 1).where(prev > 0)
    mine = both.loc[both["_row"] >= 0].set_index("_row")["ret"]
    return mine.reindex(range(len(frame))).astype("float64").to_numpy()


# -- validation --------------------------------------------------------------------------------
def validate(
    dataset: str,
    frame: pd.DataFrame,
    *,
    history: pd.DataFrame | None = None,
    now: datetime | None = None,
    max_rows: int = MAX_FAILING_ROWS,
) -> CheckOutcome:
    """Validate `frame` (rows of `dataset`, canonical columns, lineage optional) with its GX suite.
    `history`: earlier rows of the same dataset, used only as the previous bar of a return."""
    t0 = time.monotonic()
    ds = DATASETS[dataset]
    prepared = _prepare(ds, frame, history)
    suite = expectation_suite(dataset, now=now, columns=list(prepared.columns))
    with _lock:
        batch = _batch_definition().get_batch(batch_parameters={"dataframe": prepared})
        # Pass/fail first: the failing-row metrics of COMPLETE cost GX extra graph building for every
        # expectation, passing or not; only those that failed are validated again for their rows.
        result = batch.validate(suite, result_format={"result_format": "BOOLEAN_ONLY"})
        failed = [r for r in result.results if not r.success]
        if failed:
            failed = _detail(batch, suite.name, failed)
    failures = [_failure(ds, prepared, r, max_rows) for r in failed]
    return CheckOutcome(dataset, passed=not failures, rows_checked=len(prepared), failures=failures,
                        expectations=len(result.results), elapsed_s=time.monotonic() - t0)


def _detail(batch, suite_name: str, failed: list) -> list:
    """The failed expectations' results again, with failing row indices and observed values."""
    import great_expectations as gx

    suite = gx.ExpectationSuite(name=f"{suite_name}.failed")
    for r in failed:
        suite.add_expectation(r.expectation_config.to_domain_obj())
    detailed = batch.validate(suite, result_format={"result_format": "COMPLETE"})
    return [r for r in detailed.results if not r.success]


def _failure(ds: Dataset, frame: pd.DataFrame, r, max_rows: int) -> Failure:
    cfg = r.expectation_config
    kw = cfg.kwargs
    if "column" in kw:
        columns = [kw["column"]]
    elif "column_list" in kw:
        columns = list(kw["column_list"])
    elif "column_A" in kw:
        columns = [kw["column_A"], kw["column_B"]]
    else:
        columns = []
    res = r.result or {}
    detail = ""
    if r.exception_info and r.exception_info.get("raised_exception"):
        detail = str(r.exception_info.get("exception_message", ""))[:300]
    elif "observed_value" in res and "unexpected_count" not in res:
        detail = f"observed {res['observed_value']}"
    indices = [i for i in (res.get("unexpected_index_list") or []) if isinstance(i, (int,)) or hasattr(i, "__index__")]
    shown = [int(i) for i in indices[:max_rows]]
    wanted = list(dict.fromkeys([*[k for k in ds.key if k in frame], *[c for c in columns if c in frame]]))
    if RETURN_COLUMN in columns:
        wanted.append("close")
    rows = []
    for i in shown:
        row = frame.iloc[i]
        rows.append({c: (None if pd.isna(row[c]) else row[c]) for c in wanted})
    count = res.get("unexpected_count")
    if count is None:
        count = len(indices)
    return Failure(cfg.type, ", ".join(columns), int(count), rows, detail)


def suites_summary() -> dict[str, int]:
    """Number of expectations per dataset (for docs and a sanity test)."""
    cols = lambda d: DATASETS[d].column_names + list(LINEAGE_COLUMNS)
    return {d: len(expectation_suite(d, columns=cols(d)).expectations) for d in DATASETS}
