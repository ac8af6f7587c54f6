"""Canonical CSV files (`btcflows import DIR`): `<dataset>.csv` in the layout of DATASETS.md, read and
checked whole before anything is written. Every problem is one line: file, line, column, what is
wrong (a byte that is not UTF-8, a row with too many or too few fields, a header with no data rows,
an impossible date or time, a number that is not finite, a duplicate key, an undeclared fund)."""
from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.datasets import DATASETS, Dataset
from pipelines.funds import unknown_funds
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
    first: date  # the file's first and last New York day: its window
    last: date
    non_trading_day_rows: int


@dataclass
class ImportSummary:
    directory: Path
    datasets: dict[str, DatasetSummary] = field(default_factory=dict)

    @property
    def start(self) -> date:
        return min(s.first for s in self.datasets.values())

    @property
    def end(self) -> date:
        return max(s.last for s in self.datasets.values())

    def render(self) -> str:
        lines = [f"imported {self.directory} ({len(self.datasets)} dataset(s), mode real):"]
        for s in self.datasets.values():
            flag = f", {s.non_trading_day_rows} dated on non-trading days (kept in raw, flagged, left out of trading-day marts)" if s.non_trading_day_rows else ""
            lines.append(f"  {s.dataset:22} {s.rows:>7} rows  {s.first}..{s.last}{flag}")
        absent = sorted(set(DATASETS) - set(self.datasets))
        if absent:
            lines.append(f"  no file (their raw tables are left as they were): {', '.join(absent)}")
        return "\n".join(lines)


def _check_header(name: str, ds: Dataset, header: list[str]) -> list[str]:
    problems = []
    allowed = set(ds.column_names)
    for col in header:
        if col not in allowed:
            problems.append(f"{name}: line 1: column {col!r} is not in {ds.name} "
                            f"(expected columns: {', '.join(ds.column_names)})")
    for col in ds.required_columns:
        if col not in header:
            problems.append(f"{name}: line 1: required column {col!r} is missing")
    if len(set(header)) != len(header):
        problems.append(f"{name}: line 1: a column name appears twice")
    return problems


def _decode(data: bytes, name: str) -> tuple[str | None, list[str]]:
    """The text of a UTF-8 file (a BOM dropped), or the first byte that is not UTF-8, located."""
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        before = data[line_start:exc.start].decode("utf-8", errors="replace")
        field = max(len(next(csv.reader([before]), [])) - 1, 0)
        header = next(csv.reader([data.split(b"\n", 1)[0].decode("utf-8", errors="replace")]), [])
        column = f"column {header[field].strip()!r}: " if line > 1 and field < len(header) else ""
        return None, [f"{name}: line {line}: {column}byte 0x{data[exc.start]:02x} is not UTF-8 (save the file as UTF-8)"]


def _records(text: str, name: str) -> tuple[list[str] | None, list[list[str]], list[int], list[str]]:
    """Header, data rows and their line numbers; a row whose field count differs from the header's
    is a problem (pandas would shift or fill its values)."""
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True)
    rows, lines, problems = [], [], []
    try:
        header = next(reader, None)
        if header is None or not any(h.strip() for h in header):
            return None, [], [], [f"{name}: line 1: the file is empty (no header row)"]
        header = [h.strip() for h in header]
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # a blank line
            if len(row) != len(header):
                extra = f"; the field {row[len(header)]!r} has no column" if len(row) > len(header) else ""
                problems.append(f"{name}: line {reader.line_num}: {len(row)} fields where the header has "
                                f"{len(header)}{extra}")
                continue
            rows.append(row)
            lines.append(reader.line_num)
    except csv.Error as exc:
        problems.append(f"{name}: line {reader.line_num}: not readable as CSV: {exc}")
    if not rows and not problems:
        problems.append(f"{name}: no data rows (line 1 is the header, nothing follows)")
    return header, rows, lines, problems


def check_csv(data: bytes, name: str, ds: Dataset, funds: Collection[str] | None = None
              ) -> tuple[pd.DataFrame, list[str]]:
    """Typed canonical rows of one canonical CSV (`data`, the file `name`), and every problem found.
    `funds`: for etf_flows, the tickers declared on top of pipelines/funds.py (None: not checked)."""
    empty_frame = pd.DataFrame(columns=ds.column_names)
    text, problems = _decode(data, name)
    if text is None:
        return empty_frame, problems
    header, records, lines, problems = _records(text, name)
    if header is None:
        return empty_frame, problems
    header_problems = _check_header(name, ds, header)
    if header_problems:
        return empty_frame, header_problems + problems
    raw = pd.DataFrame(records, columns=header, dtype="str")
    line = np.asarray(lines, dtype=np.int64)
    out = pd.DataFrame(index=raw.index)
    for col in ds.columns:
        if col.name not in raw.columns:
            out[col.name] = None
            continue
        text = raw[col.name].str.strip()
        empty = (text == "").to_numpy()

        def where(mask, what, name_=col.name, text=text):
            mask = np.asarray(mask, dtype=bool)
            problems.extend(f"{name}: line {ln}: column {name_!r}: {what} ({val!r})"
                            for ln, val in zip(line[mask], text[mask]))

        if col.name in ds.key:  # other empty cells mean "unknown" (DATASETS.md)
            problems.extend(f"{name}: line {ln}: column {col.name!r}: key value is empty" for ln in line[empty])
        if col.kind == "date":
            ok = text.str.match(_DATE).to_numpy()
            parsed = pd.to_datetime(text.where(ok), format="%Y-%m-%d", errors="coerce")
            where(~empty & parsed.isna().to_numpy(), "not a date YYYY-MM-DD (or no such day)")
            out[col.name] = parsed.dt.date.where(parsed.notna(), None)
        elif col.kind == "timestamp":
            ok = text.str.match(_TIMESTAMP).to_numpy()
            parsed = pd.to_datetime(text.where(ok), utc=True, errors="coerce", format="ISO8601")
            where(~empty & ~ok, "not a UTC timestamp ending in Z (YYYY-MM-DDTHH:MM:SSZ)")
            where(~empty & ok & parsed.isna().to_numpy(), "no such date or time of day")
            out[col.name] = parsed.dt.tz_localize(None)
        elif col.kind in ("float", "int"):
            num = pd.to_numeric(text.where(~empty), errors="coerce").astype("float64")
            infinite = np.isinf(num.to_numpy())
            where(~empty & num.isna().to_numpy(), "not a number")
            where(infinite, "not a finite number")
            if col.kind == "int":
                where(num.notna().to_numpy() & ~infinite & (num != num.round()).to_numpy(), "not a whole number")
            if col.nonnegative:
                where((num < 0).to_numpy() & ~infinite, "negative value not allowed")
            out[col.name] = num
        else:
            out[col.name] = text.where(~empty, None)
        if col.name in ds.allowed:
            bad = ~empty & ~text.isin(ds.allowed[col.name]).to_numpy()
            where(bad, f"not one of {', '.join(ds.allowed[col.name])}")
        if col.name in ds.allowed_with and ds.allowed_with[col.name][0] in raw.columns:
            # a value of the closed set, but not one the row's venue (say) lists
            other, accepted = ds.allowed_with[col.name]
            for ln, o, v in zip(line, raw[other].str.strip(), text):
                if v in ds.allowed.get(col.name, (v,)) and o in accepted and v not in accepted[o]:
                    problems.append(f"{name}: line {ln}: column {col.name!r}: not one of "
                                    f"{', '.join(accepted[o])} for {other} {o} ({v!r})")
    if funds is not None and ds.name == "etf_flows":
        problems.extend(_unknown_fund_problems(name, out["ticker"], line, funds))
    if not problems:
        dup = out.duplicated(list(ds.key), keep="first").to_numpy()
        for ln, (_, row) in zip(line[dup], out.loc[dup, list(ds.key)].iterrows()):
            key = ", ".join(f"{k}={row[k]}" for k in ds.key)
            problems.append(f"{name}: line {ln}: duplicate key ({key}) seen on an earlier line")
    return out[ds.column_names], problems


def _unknown_fund_problems(name: str, tickers: pd.Series, line: np.ndarray, declared: Collection[str]) -> list[str]:
    problems = []
    for ticker in unknown_funds(tickers.dropna(), declared):
        at = line[(tickers == ticker).to_numpy()]
        more = f" (and on {len(at) - 1} later line(s))" if len(at) > 1 else ""
        problems.append(f"{name}: line {at[0]}: column 'ticker': {ticker!r} is not a known US spot bitcoin ETF "
                        f"(pipelines/funds.py){more}; if it is one, declare it: --fund {ticker}")
    return problems


def read_checked(path: Path, ds: Dataset, funds: Collection[str] | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Read one canonical CSV file; return typed canonical rows and every problem found."""
    return check_csv(path.read_bytes(), path.name, ds, funds)


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


def validate_dir(directory: Path, progress: Callable[[str], None] = lambda s: None,
                 funds: Collection[str] = ()) -> ImportSummary:
    """Check every file in `directory` (`funds`: etf_flows tickers declared on top of
    pipelines/funds.py); raise ImportValidationError listing every problem."""
    files, problems = dataset_files(directory)
    summary = ImportSummary(directory)
    for name, path in files.items():
        ds = DATASETS[name]
        rows, found = read_checked(path, ds, funds)
        problems.extend(found)
        if found:
            progress(f"  {path.name}: {len(found)} problem(s)")
            continue
        lineage = add_lineage(rows, ds, source=path.name, mode="real", sha256="")
        first, last = min(lineage["_partition"]), max(lineage["_partition"])
        summary.datasets[name] = DatasetSummary(name, path.name, len(rows), first, last,
                                                non_trading_day_rows(name, lineage))
        progress(f"  checked {path.name}: {len(rows)} rows ({first}..{last})")
    if problems:
        raise ImportValidationError(problems)
    return summary
