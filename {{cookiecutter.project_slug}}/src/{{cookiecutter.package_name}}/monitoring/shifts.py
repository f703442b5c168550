"""Synthetic production traffic (`make traffic`): the held-out test split, as it is or shifted.

Pure: tables in, tables out. `traffic` sends the result to a running service.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from .. import task

Shift = Literal["none", "feature", "labels"]
SHIFTS: tuple[Shift, ...] = ("none", "feature", "labels")


def default_feature(directional: Mapping[str, str], features: Sequence[str]) -> str:
    """The feature SHIFT=feature moves unless told: the first behaviour-test feature (one the
    model is known to react to), else the first feature."""
    return next(iter(directional), features[0])


def feature_shift(X: pd.DataFrame, feature: str, size: float) -> pd.DataFrame:
    """Every row's `feature` moved by `size` of its standard deviations (in these rows)."""
    shifted = X.copy()
    values = shifted[feature].astype(float)
    shifted[feature] = values + size * float(np.nanstd(values, ddof=1))
    return shifted


def label_shift(X: pd.DataFrame, y: pd.Series, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    """As many rows as before, drawn (seeded, with replacement) from the rows the task's label
    shift keeps (classification: the last class; regression: target above the median)."""
    kept = np.flatnonzero(task.label_shift_rows(y))
    rows = np.random.default_rng(seed).choice(kept, size=len(X), replace=True)
    return X.iloc[rows].reset_index(drop=True), y.iloc[rows].reset_index(drop=True)


def shifted(
    X: pd.DataFrame, y: pd.Series, shift: Shift, *, feature: str, size: float, seed: int
) -> tuple[pd.DataFrame, pd.Series]:
    if shift == "feature":
        if feature not in X.columns:
            raise ValueError(f"FEATURE={feature!r} is not a feature ({', '.join(X.columns)})")
        return feature_shift(X, feature, size), y
    if shift == "labels":
        return label_shift(X, y, seed)
    return X, y


def batches(rows: int, size: int) -> list[slice]:
    """Consecutive slices of at most `size` rows covering `rows` rows."""
    return [slice(start, min(start + size, rows)) for start in range(0, rows, size)]
