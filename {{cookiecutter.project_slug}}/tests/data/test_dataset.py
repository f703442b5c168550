"""Data tests: the configured source honours the data contract and splits without leakage."""

from __future__ import annotations

import numpy as np
import pandas as pd

from {{ cookiecutter.package_name }}.features import split
from {{ cookiecutter.package_name }}.schema import MIN_ROWS, feature_names

MAX_MISSING_SHARE = 0.5
{%- if cookiecutter.task == "classification" %}
MIN_CLASS_SHARE = 0.05
{%- endif %}


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
{%- if cookiecutter.task == "classification" %}


def test_target_has_at_least_two_classes(dataset: pd.DataFrame, target: str):
    """A classifier needs two or more classes to learn from."""
    assert dataset[target].nunique() >= 2


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
{%- else %}


def test_target_is_finite(dataset: pd.DataFrame, target: str):
    """The regression target is a finite number everywhere."""
    assert np.isfinite(dataset[target].to_numpy(dtype=float)).all()


def test_target_varies(dataset: pd.DataFrame, target: str):
    """A constant target leaves nothing to predict."""
    assert dataset[target].std() > 0
{%- endif %}


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
