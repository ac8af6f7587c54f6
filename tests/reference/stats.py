"""z-scores, normal tail probabilities, rolling correlations and Fisher's test of a correlation change."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd


def two_sided_tail(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2)) if np.isfinite(z) else np.nan


def prior_window_z(values: pd.Series, window: int, min_count: int) -> pd.Series:
    """(x - mean) / sample sd over up to `window` previous rows (needs `min_count` of them with a value)."""
    out = []
    x = values.to_numpy(float)
    for i in range(len(x)):
        prior = x[max(0, i - window):i]
        prior = prior[~np.isnan(prior)]
        sd = prior.std(ddof=1) if len(prior) > 1 else np.nan
        out.append((x[i] - prior.mean()) / sd if len(prior) >= min_count and sd > 0 else np.nan)
    return pd.Series(out, index=values.index)


def rolling_corr(x: np.ndarray, y: np.ndarray, n: int) -> np.ndarray:
    """Pearson correlation over the n rows ending on each row; null unless all n pairs are present."""
    out = np.full(len(x), np.nan)
    for i in range(n - 1, len(x)):
        a, b = x[i - n + 1:i + 1], y[i - n + 1:i + 1]
        if np.isnan(a).any() or np.isnan(b).any() or a.std() == 0 or b.std() == 0:
            continue
        out[i] = np.corrcoef(a, b)[0, 1]
    return out


def fisher_change_z(r_new, n_new: int, r_old, n_old: int):
    def atanh(r):
        r = np.asarray(r, float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(np.abs(r) < 1, np.arctanh(r), np.nan)

    return (atanh(r_new) - atanh(r_old)) / math.sqrt(1 / (n_new - 3) + 1 / (n_old - 3))
