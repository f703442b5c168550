"""Data tests of a classification target: classes enough to learn from and to test on."""

from __future__ import annotations

import pandas as pd

MIN_CLASS_SHARE = 0.05


def test_every_class_is_represented(dataset: pd.DataFrame, target: str):
    """No class is so rare that the test set could miss it."""
    shares = dataset[target].value_counts(normalize=True)
    assert shares.min() >= MIN_CLASS_SHARE, shares.to_dict()


def test_split_keeps_class_shares(train_test, target: str):
    """The stratified split keeps each class's share within two points in both parts."""
    train, test = train_test
    train_shares = train[target].value_counts(normalize=True)
    test_shares = test[target].value_counts(normalize=True)
    assert (train_shares - test_shares).abs().max() <= 0.02
