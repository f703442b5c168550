"""Data tests: the configured source honours the data contract and splits without leakage."""

from __future__ import annotations

import numpy as np
import pandas as pd

from {{ cookiecutter.package_name }}.data_contract import MIN_ROWS, feature_names
from {{ cookiecutter.package_name }}.split import split

MAX_MISSING_SHARE = 0.5


def test_source_has_enough_rows(dataset: pd.DataFrame):
    """The table has at least the contract's minimum number of rows."""
    assert len(dataset) >= MIN_ROWS


def test_target_has_no_missing_values(dataset: pd.DataFrame, target: str):
    """Every row has a target value."""
    assert dataset[target].notna().all()


def test_no_feature_is_mostly_missing(dataset: pd.DataFrame, target: str):
    """Each feature is present in at least half of the rows (imputation cannot invent the rest)."""
    missing = dataset[feature_names(dataset, target)].isna().mean()
    assert (missing <= MAX_MISSING_SHARE).all(), missing[missing > MAX_MISSING_SHARE].to_dict()


def test_features_are_finite_numbers(dataset: pd.DataFrame, target: str):
    """No feature holds an infinity (NaN means missing and is imputed)."""
    values = dataset[feature_names(dataset, target)].to_numpy(dtype=float)
    assert np.isfinite(values[~np.isnan(values)]).all()


def test_no_feature_is_constant(dataset: pd.DataFrame, target: str):
    """A feature with a single value carries no information and hints at a broken export."""
    unique = dataset[feature_names(dataset, target)].nunique()
    assert (unique > 1).all(), unique[unique <= 1].index.tolist()


def test_target_has_at_least_two_values(dataset: pd.DataFrame, target: str):
    """A target with a single value (one class, or a constant) leaves nothing to learn."""
    assert dataset[target].nunique() >= 2


def test_split_sizes_follow_params(train_test, params):
    """The test share is the one set in params.yaml (within one row)."""
    train, test = train_test
    expected = params.prepare.test_size * (len(train) + len(test))
    assert abs(len(test) - expected) <= 1


def test_no_row_is_in_both_train_and_test(train_test, target: str):
    """Leakage: no feature row of the test set also appears in the training set."""
    train, test = train_test
    columns = feature_names(train, target)
    shared = train[columns].merge(test[columns].drop_duplicates(), how="inner")
    assert shared.empty, f"{len(shared)} test rows also appear in training"


def test_split_is_reproducible(dataset: pd.DataFrame, target: str, params):
    """The same seed gives the same split."""
    first_train, _ = split(dataset, target, params.prepare)
    second_train, _ = split(dataset, target, params.prepare)
    pd.testing.assert_frame_equal(first_train, second_train)
