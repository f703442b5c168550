"""Unit tests of the feature pipeline and the split."""

from __future__ import annotations

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.config import ParamsError, PrepareParams
from {{ cookiecutter.package_name }}.features import build_pipeline, make_estimator, split


def test_unknown_hyperparameter_is_named(params):
    """A hyperparameter the estimator does not take is reported by name."""
    with pytest.raises(ParamsError, match="n_layers"):
        make_estimator(params.train.estimator, {"n_layers": 3}, seed=0)


def test_seed_reaches_seeded_estimators():
    """Estimators with a random_state get the configured seed."""
    assert make_estimator("random_forest", {}, seed=7).random_state == 7


def test_pipeline_imputes_then_scales_then_predicts(params):
    """The pipeline's steps are imputation, scaling and the configured estimator."""
    pipeline = build_pipeline(params.train)
    assert [name for name, _ in pipeline.steps] == ["impute", "scale", "model"]


def test_split_drops_duplicate_rows():
    """Exact duplicates are dropped before splitting so none can straddle train and test."""
    df = pd.DataFrame({"x": [1.0, 1.0, 2.0, 3.0, 4.0, 5.0] * 2, "y": [0, 0, 1, 0, 1, 1] * 2})
    train, test = split(df, "y", PrepareParams(test_size=0.4, seed=0, drop_duplicates=True))
    assert len(train) + len(test) == df.drop_duplicates().shape[0]
