"""Two builds of one mart compared row by row: the DuckDB build and the Spark build of the same raw
data must have the same keys, the same row count, nulls in the same places and numbers equal within
a relative tolerance. Every difference is one line naming the mart, the column and the key.

The models and their keys come from the dbt manifest (`models_to_compare`), so a new mart is
compared with no change here."""
from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass

import numpy as np
import pandas as pd

RTOL = 1e-9


@dataclass(frozen=True)
class Mart:
    name: str
    keys: tuple[str, ...]
    schema: str = "marts"
    incremental: bool = False


def models_to_compare(manifest: dict) -> list[Mart]:
    """Every model of the `marts` schema and every incremental model (whose rows a run replaces in
    place: the way each engine does it is compared too), keyed by the grain (else the first unique
    column) of its column_rules test. A model without one cannot be paired row by row: an error."""
    models = {uid: n for uid, n in manifest["nodes"].items()
              if n["resource_type"] == "model"
              and (n["config"].get("schema") == "marts" or n["config"].get("materialized") == "incremental")}
    keys: dict[str, tuple[str, ...]] = {}
    for node in manifest["nodes"].values():
        meta = node.get("test_metadata") or {}
        if node["resource_type"] != "test" or meta.get("name") != "column_rules":
            continue
        kwargs = meta.get("kwargs", {})
        key = tuple(kwargs.get("grain") or kwargs.get("unique", [])[:1])
        if key and node.get("attached_node") in models:
            keys[node["attached_node"]] = key
    missing = sorted(models[uid]["name"] for uid in models if uid not in keys)
    if missing:
        raise ValueError(f"model(s) {', '.join(missing)} declare no grain (nor a unique column) in a column_rules "
                         "test: their rows cannot be paired between two builds")
    return sorted((Mart(n["name"], keys[uid], n["config"]["schema"], n["config"].get("materialized") == "incremental")
                   for uid, n in models.items()), key=lambda m: (m.schema, m.name))


def _kind(values: pd.Series) -> str:
    present = values.dropna()
    if pd.api.types.is_bool_dtype(values) or (len(present) and all(isinstance(v, (bool, np.bool_)) for v in present)):
        return "bool"
    if pd.api.types.is_datetime64_any_dtype(values) or (
            len(present) and all(isinstance(v, (dt.date, pd.Timestamp)) for v in present)):
        return "time"
    if pd.api.types.is_numeric_dtype(values) or (
            len(present) and all(isinstance(v, (int, float, decimal.Decimal, np.number)) for v in present)):
        return "number"
    return "text"


def _normalised(values: pd.Series, kind: str) -> pd.Series:
    if kind == "number":
        return pd.Series([float(v) if v is not None and not pd.isna(v) else np.nan for v in values],
                         index=values.index, dtype="float64")
    if kind == "time":
        return pd.to_datetime(pd.Series(list(values), index=values.index, dtype=object))
    out = values.astype(object)
    return out.where(values.notna(), None)


def _text(value) -> str:
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.date().isoformat()
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "null"
    return str(value)


def _key_text(row: pd.Series, keys: tuple[str, ...]) -> str:
    return ", ".join(f"{k}={_text(row[k])}" for k in keys)


def compare_mart(mart: Mart, left: pd.DataFrame, right: pd.DataFrame, left_name: str = "duckdb",
                 right_name: str = "spark", rtol: float = RTOL, limit: int = 5) -> list[str]:
    """Every difference between two builds of `mart`, one line each (at most `limit` per column)."""
    problems: list[str] = []
    for side, frame, other in ((left_name, left, right), (right_name, right, left)):
        extra = [c for c in frame.columns if c not in other.columns]
        if extra:
            problems.append(f"{mart.name}: column(s) {', '.join(extra)} only in the {side} build")
    if len(left) != len(right):
        problems.append(f"{mart.name}: {len(left)} rows in the {left_name} build, {len(right)} in the {right_name} build")
    columns = [c for c in left.columns if c in right.columns]
    kinds = {c: _kind(left[c]) if left[c].notna().any() else _kind(right[c]) for c in columns}
    left = pd.DataFrame({c: _normalised(left[c], kinds[c]) for c in columns})
    right = pd.DataFrame({c: _normalised(right[c], kinds[c]) for c in columns})
    for side, frame in ((left_name, left), (right_name, right)):
        repeated = frame[frame.duplicated(list(mart.keys), keep=False)]
        if len(repeated):
            problems.append(f"{mart.name}: key ({', '.join(mart.keys)}) repeated in the {side} build, e.g. "
                            + _key_text(repeated.iloc[0], mart.keys))
    merged = left.merge(right, on=list(mart.keys), how="outer", suffixes=("__left", "__right"), indicator=True)
    for side, label in (("left_only", left_name), ("right_only", right_name)):
        only = merged[merged["_merge"] == side]
        for _, row in only.head(limit).iterrows():
            problems.append(f"{mart.name}: key {_key_text(row, mart.keys)} only in the {label} build")
        if len(only) > limit:
            problems.append(f"{mart.name}: ... {len(only) - limit} more keys only in the {label} build")
    both = merged[merged["_merge"] == "both"]
    for column in columns:
        if column in mart.keys:
            continue
        a, b = both[f"{column}__left"], both[f"{column}__right"]
        null_a, null_b = a.isna().to_numpy(), b.isna().to_numpy()
        bad = null_a != null_b
        valued = ~null_a & ~null_b
        if kinds[column] == "number":
            x, y = a.to_numpy(float), b.to_numpy(float)
            with np.errstate(invalid="ignore"):
                bad |= valued & ~(np.abs(x - y) <= rtol * np.maximum(np.abs(x), np.abs(y)))
        else:
            bad |= valued & np.array([x != y for x, y in zip(a, b)], dtype=bool)
        rows = np.flatnonzero(bad)
        for i in rows[:limit]:
            row = both.iloc[i]
            problems.append(f"{mart.name}.{column} at {_key_text(row, mart.keys)}: {left_name} "
                            f"{_text(row[f'{column}__left'])}, {right_name} {_text(row[f'{column}__right'])}")
        if len(rows) > limit:
            problems.append(f"{mart.name}.{column}: ... {len(rows) - limit} more rows differ")
    return problems
