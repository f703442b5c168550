"""Data tests of a regression target: a finite number that varies."""

from __future__ import annotations

import numpy as np
import pandas as pd


def test_target_is_finite(dataset: pd.DataFrame, target: str):
    """The regression target is a finite number everywhere."""
    assert np.isfinite(dataset[target].to_numpy(dtype=float)).all()


def test_target_varies(dataset: pd.DataFrame, target: str):
    """A constant target leaves nothing to predict."""
    assert dataset[target].std() > 0
