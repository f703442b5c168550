"""Unit tests of the train/test split."""

from __future__ import annotations

import pandas as pd

from {{ cookiecutter.package_name }}.config import PrepareParams
from {{ cookiecutter.package_name }}.split import split


def test_split_drops_duplicate_rows():
    """Exact duplicates are dropped before splitting so none can straddle train and test."""
    df = pd.DataFrame({"x": [1.0, 1.0, 2.0, 3.0, 4.0, 5.0] * 2, "y": [0, 0, 1, 0, 1, 1] * 2})
    train, test = split(df, "y", PrepareParams(test_size=0.4, seed=0, drop_duplicates=True))
    assert len(train) + len(test) == df.drop_duplicates().shape[0]
