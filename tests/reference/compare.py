"""Marts against the reference: the same keys, the same nulls, the same values within a tolerance."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Check:
    """Columns of a mart compared with the reference's (mart column -> reference column)."""

    mart: str
    keys: tuple[str, ...]
    columns: dict[str, str]
    reference: str | None = None  # the reference frame's name when it is not the mart's
    where: str = "true"  # rows of the mart compared
    query: str | None = None  # instead of the mart's rows: this query's (for aggregates)
    rtol: float = 1e-9
    atol: float = 1e-9


def _typed(values: pd.Series) -> pd.Series:
    """Numbers as float (nulls NaN); anything else (text, booleans, instants) as objects (nulls None)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype(float)
    return values.astype(object).where(values.notna(), None)


def _equal(x, y) -> bool:
    if isinstance(x, (bool, np.bool_)) or isinstance(y, (bool, np.bool_)):
        return bool(x) == bool(y)
    return x == y or str(x) == str(y)


@dataclass
class Comparison:
    problems: list[str]  # one line per disagreement (at most `limit` per column)
    compared: dict[str, int]  # column -> rows where both sides have a value (and were compared)


def compare(con, reference: dict[str, pd.DataFrame], check: Check, limit: int = 8) -> Comparison:
    """A key on one side only, a null on one side only, or values further apart than the tolerance."""
    cols = ", ".join(dict.fromkeys([*check.keys, *check.columns]))
    got = con.execute(check.query or f"select {cols} from marts.{check.mart} where {check.where}").df()
    ref_columns = list(dict.fromkeys(check.columns.values()))
    want = reference[check.reference or check.mart][[*check.keys, *ref_columns]]
    want = want.rename(columns={c: f"ref__{c}" for c in ref_columns})
    for key in check.keys:
        if key in ("trade_date", "snapshot_utc"):
            got[key], want[key] = pd.to_datetime(got[key]), pd.to_datetime(want[key])
    merged = got.merge(want, on=list(check.keys), how="outer", indicator=True)
    problems = [f"{check.mart}: {dict(zip(check.keys, row))} only in the {'mart' if side == 'left_only' else 'reference'}"
                for *row, side in merged.loc[merged["_merge"] != "both", [*check.keys, "_merge"]].itertuples(index=False)]
    both = merged[merged["_merge"] == "both"]
    compared = {}
    for column, ref_column in check.columns.items():
        a, b = _typed(both[column]), _typed(both[f"ref__{ref_column}"])
        null_a, null_b = a.isna().to_numpy(), b.isna().to_numpy()
        bad = null_a != null_b
        values = ~null_a & ~null_b
        compared[column] = int(values.sum())
        if a.dtype == float and b.dtype == float:  # else compared as objects: a number beside text differs
            bad |= values & ~np.isclose(a.to_numpy(float), b.to_numpy(float), rtol=check.rtol, atol=check.atol)
        else:
            differs = [values[i] and not _equal(x, y) for i, (x, y) in enumerate(zip(a, b))]
            bad |= np.array(differs, dtype=bool)
        for i in np.flatnonzero(bad)[:limit]:
            row = both.iloc[i]
            problems.append(f"{check.mart}.{column} at { {k: str(row[k]) for k in check.keys} }: "
                            f"mart {row[column]!r}, reference {row[f'ref__{ref_column}']!r}")
    return Comparison(problems, compared)
