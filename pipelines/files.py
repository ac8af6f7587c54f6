"""Canonical CSV import (`btcflows import DIR`): `<dataset>.csv` files in the layout of DATASETS.md,
validated whole before anything is written. Every bad cell is reported (file, line, column, problem)."""
from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from pipelines.archive import sha256_hex
from pipelines.datasets import DATASETS, Dataset
from pipelines.warehouse import add_lineage

MAX_PROBLEMS_SHOWN = 200
# Datasets dated by US trading date: a row on a day NYSE was closed is worth telling the user about.
TRADING_DATE_DATASETS = ("etf_flows", "etf_fund_daily", "futures_daily", "options_volume", "daily_bars")


def _crypto_symbol(symbol) -> bool:
    return isinstance(symbol, str) and symbol.endswith(("-USD", "USDT"))


def non_trading_day_rows(dataset: str, rows: pd.DataFrame) -> int:
    if dataset not in TRADING_DATE_DATASETS or rows.empty:
        return 0
    off = ~rows["_is_trading_day"].astype(bool)
    if "symbol" in rows:
        off &= ~rows["symbol"].map(_crypto_symbol)
    return int(off.sum())
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z$")


class ImportValidationError(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = problems[:MAX_PROBLEMS_SHOWN]
        more = f"\n  … and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        super().__init__(
            f"import refused: {len(problems)} problem(s); nothing was written\n  " + "\n  ".join(shown) + more
        )


@dataclass
class DatasetSummary:
    dataset: str
    file: str
    rows: int
    first: date | None
    last: date | None
    non_trading_day_rows: int


@dataclass
class ImportSummary:
    directory: Path
    datasets: dict[str, DatasetSummary] = field(default_factory=dict)

    @property
    def start(self) -> date:
        return min(s.first for s in self.datasets.values() if s.first)

    @property
    def end(self) -> date:
        return max(s.last for s in self.datasets.values() if s.last)

    def render(self) -> str:
        lines = [f"imported {self.directory} ({len(self.datasets)} dataset(s), mode real):"]
        for s in self.datasets.values():
            flag = f", {s.non_trading_day_rows} dated on non-trading days (kept in raw, flagged, left out of trading-day marts)" if s.non_trading_day_rows else ""
            lines.append(f"  {s.dataset:22} {s.rows:>7} rows  {s.first}..{s.last}{flag}")
        absent = sorted(set(DATASETS) - set(self.datasets))
        if absent:
            lines.append(f"  absent (left empty; marts leave their columns null): {', '.join(absent)}")
        return "\n".join(lines)


def _check_header(path: Path, ds: Dataset, header: list[str]) -> list[str]:
    problems = []
    allowed = set(ds.column_names)
    for col in header:
        if col not in allowed:
            problems.append(f"{path.name}: line 1: column {col!r} is not in {ds.name} "
                            f"(expected columns: {', '.join(ds.column_names)})")
    for col in ds.required_columns:
        if col not in header:
            problems.append(f"{path.name}: line 1: required column {col!r} is missing")
    if len(set(header)) != len(header):
        problems.append(f"{path.name}: line 1: a column name appears twice")
    return problems


def read_checked(path: Path, ds: Dataset) -> tuple[pd.DataFrame, list[str]]:
    """Read one canonical CSV; return typed canonical rows and every problem found."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        header = next(csv.reader(fh), None)
    if header is None:
        return pd.DataFrame(columns=ds.column_names), [f"{path.name}: the file is empty (no header row)"]
    header = [h.strip() for h in header]
    problems = _check_header(path, ds, header)
    if problems:
        return pd.DataFrame(columns=ds.column_names), problems
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", skipinitialspace=True)
    raw.columns = header
    line = raw.index + 2
    out = pd.DataFrame(index=raw.index)
    for col in ds.columns:
        if col.name not in raw.columns:
            out[col.name] = None
            continue
        text = raw[col.name].str.strip()
        empty = text == ""
        def where(mask, what, name=col.name, text=text):
            problems.extend(f"{path.name}: line {ln}: column {name!r}: {what} ({val!r})"
                            for ln, val in zip(line[mask], text[mask]))

        if col.name in ds.key:  # other empty cells mean "unknown" (DATASETS.md)
            problems.extend(f"{path.name}: line {ln}: column {col.name!r}: key value is empty" for ln in line[empty])
        if col.kind == "date":
            ok = text.str.match(_DATE)
            parsed = pd.to_datetime(text.where(ok), format="%Y-%m-%d", errors="coerce")
            where(~empty & parsed.isna(), "not a date YYYY-MM-DD")
            out[col.name] = parsed.dt.date.where(parsed.notna(), None)
        elif col.kind == "timestamp":
            ok = text.str.match(_TIMESTAMP)
            where(~empty & ~ok, "not a UTC timestamp ending in Z (YYYY-MM-DDTHH:MM:SSZ)")
            parsed = pd.to_datetime(text.where(ok), utc=True, errors="coerce", format="ISO8601")
            out[col.name] = parsed.dt.tz_localize(None)
        elif col.kind in ("float", "int"):
            num = pd.to_numeric(text.where(~empty), errors="coerce")
            where(~empty & num.isna(), "not a number")
            if col.kind == "int":
                where(num.notna() & (num != num.round()), "not a whole number")
            if col.nonnegative:
                where(num < 0, "negative value not allowed")
            out[col.name] = num.astype("float64")
        else:
            out[col.name] = text.where(~empty, None)
        if col.name in ds.allowed:
            bad = ~empty & ~text.isin(ds.allowed[col.name])
            where(bad, f"not one of {', '.join(ds.allowed[col.name])}")
    if not problems:
        dup = out.duplicated(list(ds.key), keep="first")
        for ln, (_, row) in zip(line[dup], out.loc[dup, list(ds.key)].iterrows()):
            key = ", ".join(f"{k}={row[k]}" for k in ds.key)
            problems.append(f"{path.name}: line {ln}: duplicate key ({key}) seen on an earlier line")
    return out[ds.column_names], problems


def dataset_files(directory: Path) -> tuple[dict[str, Path], list[str]]:
    if not directory.is_dir():
        raise ImportValidationError([f"{directory}: not a directory"])
    found, problems = {}, []
    for path in sorted(directory.glob("*.csv")):
        name = path.stem
        if name in DATASETS:
            found[name] = path
        else:
            problems.append(f"{path.name}: unknown file name: expected one of "
                            f"{', '.join(n + '.csv' for n in DATASETS)}")
    return found, problems


def validate_dir(directory: Path, progress: Callable[[str], None] = lambda s: None) -> ImportSummary:
    """Check every file in `directory`; raise ImportValidationError listing every problem."""
    files, problems = dataset_files(directory)
    summary = ImportSummary(directory)
    for name, path in files.items():
        ds = DATASETS[name]
        rows, found = read_checked(path, ds)
        problems.extend(found)
        if found:
            progress(f"  {path.name}: {len(found)} problem(s)")
            continue
        dates = pd.to_datetime(rows[ds.date_column]).dt.date if len(rows) else pd.Series([], dtype=object)
        lineage = add_lineage(rows, ds, source=path.name, mode="real", sha256="") if len(rows) else rows
        non_trading = non_trading_day_rows(name, lineage)
        summary.datasets[name] = DatasetSummary(
            name, path.name, len(rows),
            min(lineage["_partition"]) if len(rows) else None,
            max(lineage["_partition"]) if len(rows) else None,
            non_trading,
        )
        progress(f"  checked {path.name}: {len(rows)} rows" + (f" ({dates.min()}..{dates.max()})" if len(rows) else ""))
    if problems:
        raise ImportValidationError(problems)
    return summary


def read_dataset_file(directory: Path, dataset: str) -> pd.DataFrame | None:
    """Typed rows of `<directory>/<dataset>.csv` with lineage, or None when the file is absent."""
    path = directory / f"{dataset}.csv"
    if not path.exists():
        return None
    ds = DATASETS[dataset]
    rows, problems = read_checked(path, ds)
    if problems:
        raise ImportValidationError(problems)
    return add_lineage(rows, ds, source=path.name, mode="real", sha256=sha256_hex(path.read_bytes()))
