"""Canonical rows -> the CSV layout `btcflows import` reads (DATASETS.md): a header row, dates
`YYYY-MM-DD`, timestamps ISO 8601 in UTC with a `Z` (fractional seconds only when there are some),
numbers as Python writes them (exact round trip), an empty cell for unknown."""
from __future__ import annotations

import math
import numbers
from datetime import date, datetime
from typing import TextIO

import pandas as pd

from pipelines.datasets import DATASETS


def _date(value) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    return pd.Timestamp(value).date().isoformat()


def _timestamp(value) -> str:
    """A naive UTC instant (the warehouse's convention) as `2026-02-07T18:39:23Z`."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    text = ts.strftime("%Y-%m-%dT%H:%M:%S")
    if ts.microsecond or ts.nanosecond:
        text += f".{ts.microsecond:06d}{ts.nanosecond:03d}".rstrip("0")
    return text + "Z"


def _number(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(int(value)) if isinstance(value, numbers.Integral) else repr(float(value))


def _text(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


FORMATTERS = {"date": _date, "timestamp": _timestamp, "float": _number, "int": _number, "text": _text}


def canonical_frame(dataset: str, rows: pd.DataFrame) -> pd.DataFrame:
    """The dataset's columns, in order, each cell as the text the canonical CSV holds."""
    ds = DATASETS[dataset]
    return pd.DataFrame({col.name: [FORMATTERS[col.kind](v) for v in rows[col.name]] for col in ds.columns},
                        columns=ds.column_names)


def write_canonical_csv(dataset: str, rows: pd.DataFrame, out: TextIO) -> None:
    canonical_frame(dataset, rows).to_csv(out, index=False, lineterminator="\n")
