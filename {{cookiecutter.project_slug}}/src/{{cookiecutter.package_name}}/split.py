"""The seeded train/test split (pure)."""

from __future__ import annotations

import pandas as pd
from sklearn.model_selection import train_test_split

from . import task
from .config import PrepareParams


def split(
    df: pd.DataFrame, target: str, params: PrepareParams
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Exact duplicates are dropped first so none straddles the split; the task says whether to
    stratify."""
    if params.drop_duplicates:
        df = df.drop_duplicates(ignore_index=True)
    train, test = train_test_split(
        df,
        test_size=params.test_size,
        random_state=params.seed,
        stratify=task.stratify(df[target]),
    )
    return train.reset_index(drop=True), test.reset_index(drop=True)
