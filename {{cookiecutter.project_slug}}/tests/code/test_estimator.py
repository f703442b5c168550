"""Unit tests of the estimator pipeline."""

from __future__ import annotations

from typing import get_args

import pytest

from {{ cookiecutter.package_name }} import task
from {{ cookiecutter.package_name }}.config import ParamsError
from {{ cookiecutter.package_name }}.estimator import (
    build_pipeline,
    estimator_class,
    make_estimator,
)


def test_every_estimator_name_has_a_class():
    """Each estimator params.yaml may name resolves to a scikit-learn class, and only those."""
    assert set(task.ESTIMATORS) == set(get_args(task.Estimator))
    for name in task.ESTIMATORS:
        assert callable(estimator_class(name)().fit), name


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


def test_hyperparameter_of_the_wrong_type_is_named_with_its_key():
    """A value scikit-learn's own constraints reject fails before training, naming the key."""
    with pytest.raises(ParamsError, match=r"^train\.hyperparameters\.n_estimators: .*'abc'"):
        make_estimator("random_forest", {"n_estimators": "abc"}, seed=0)


def test_configured_hyperparameters_pass_the_estimators_constraints(params):
    """The configured hyperparameters are accepted and reach the estimator unchanged."""
    chosen = params.train.hyperparameters
    estimator = make_estimator(params.train.estimator, chosen, seed=0)
    assert {key: estimator.get_params()[key] for key in chosen} == chosen
