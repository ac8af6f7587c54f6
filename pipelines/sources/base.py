"""What every source module shares: the parse result, the parse error, helpers for numbers."""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd

from pipelines.archive import PayloadMeta
from pipelines.datasets import DATASETS


class ParseError(Exception):
    """A payload that cannot be read. The message names the source, the file and what is wrong."""

    def __init__(self, source: str, what: str, file: str | None = None, field: str | None = None):
        self.source, self.what, self.file, self.field = source, what, file, field
        super().__init__(self._message())

    def _message(self) -> str:
        where = f" in {self.file}" if self.file else ""
        fld = f" (field {self.field!r})" if self.field else ""
        return f"{self.source}: cannot parse payload{where}{fld}: {self.what}"

    def with_file(self, file: str) -> ParseError:
        return ParseError(self.source, self.what, file=file, field=self.field)


@dataclass(frozen=True)
class Parsed:
    """Rows of one canonical dataset read from one payload."""

    dataset: str
    rows: pd.DataFrame

    def __post_init__(self):
        expected = DATASETS[self.dataset].column_names
        if list(self.rows.columns) != expected:
            raise ValueError(
                f"parser returned columns {list(self.rows.columns)} for {self.dataset}, expected {expected}"
            )


def frame(dataset: str, records: list[dict]) -> pd.DataFrame:
    """A frame with exactly the dataset's columns, in order (missing values -> None, NaN in float columns,
    <NA> in int columns). Built column by column: parsers call this once per payload, thousands of times a run."""
    ds = DATASETS[dataset]
    data = {}
    for col in ds.columns:
        values = [r.get(col.name) for r in records]
        if col.kind == "int":
            data[col.name] = pd.array([None if v is None or v is pd.NA else int(v) for v in values], dtype="Int64")
        elif col.kind == "float":
            data[col.name] = np.array([np.nan if v is None or v is pd.NA else v for v in values], dtype="float64")
        else:
            data[col.name] = values
    return pd.DataFrame(data, columns=ds.column_names)


def load_json(source: str, payload: bytes):
    """The decoded JSON body of a payload, or ParseError saying it is not JSON."""
    try:
        return json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(source, f"not JSON: {exc}") from None


def load_jsonrpc(source: str, payload: bytes) -> dict:
    """A JSON-RPC envelope (Deribit): the body, or ParseError naming its `error` object."""
    body = load_json(source, payload)
    if not isinstance(body, dict):
        raise ParseError(source, f"expected a JSON-RPC object, got {type(body).__name__}")
    if "error" in body:
        err = body["error"] if isinstance(body["error"], dict) else {"message": body["error"]}
        raise ParseError(source, f"Deribit error {err.get('code')}: {err.get('message')}", field="error")
    return body


DERIBIT_OUT_OF_CREDITS = 10028  # `too_many_requests`: the credit pool is empty for a moment


def deribit_out_of_credits(response) -> bool:
    """A Deribit answer saying it is out of credits (code 10028, with HTTP 400, 429 or even 200):
    a transient refusal, retried with backoff (the source modules' RETRY_WHEN)."""
    if b"10028" not in response.content[:4096]:
        return False
    try:
        body = json.loads(response.content)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return False
    error = body.get("error") if isinstance(body, dict) else None
    return isinstance(error, dict) and error.get("code") == DERIBIT_OUT_OF_CREDITS


_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")


def to_float(source: str, value, field: str, none_values=("-", "--", "", None)) -> float | None:
    """Parse numbers as sources write them: strings with thousands commas, '(x)' negatives, '-' = none.
    Infinities and NaN (JSON's `Infinity`/`NaN`, or `1e400`, which overflows) are refused."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ParseError(source, f"expected a number, got {value!r}", field=field)
    if isinstance(value, (int, float)):
        number = float(value) if isinstance(value, float) or abs(value) < 2**1023 else math.inf
    else:
        text = str(value).strip()
        if text in none_values:
            return None
        negative = text.startswith("(") and text.endswith(")")
        if negative:
            text = text[1:-1]
        text = text.replace(",", "").replace("$", "")
        if not _NUMBER.match(text):
            raise ParseError(source, f"not a number: {value!r}", field=field)
        number = -float(text) if negative else float(text)
    if not math.isfinite(number):
        raise ParseError(source, f"not a finite number: {value!r}", field=field)
    return number


def ms_to_utc(source: str, value, field: str) -> datetime:
    """Millisecond epoch (int or numeric string) -> naive UTC datetime."""
    try:
        ms = int(str(value).strip())
    except (TypeError, ValueError):
        raise ParseError(source, f"not a millisecond timestamp: {value!r}", field=field) from None
    return datetime.fromtimestamp(ms / 1000, tz=UTC).replace(tzinfo=None)


def s_to_utc(source: str, value, field: str) -> datetime:
    try:
        s = int(value)
    except (TypeError, ValueError):
        raise ParseError(source, f"not a second timestamp: {value!r}", field=field) from None
    return datetime.fromtimestamp(s, tz=UTC).replace(tzinfo=None)


def partition_date(meta: PayloadMeta) -> date | None:
    return date.fromisoformat(meta.partition) if meta.partition else None


@dataclass(frozen=True)
class Fetched:
    """One HTTP response body, before it is archived (and only then parsed)."""

    data: bytes
    endpoint: str
    url: str
    params: dict
    content_type: str
    ext: str
