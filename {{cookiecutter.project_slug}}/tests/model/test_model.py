"""Model tests: quality thresholds from params.yaml, determinism and behaviour.

Behaviour tests follow the checklist idea (invariance, direction, minimum functionality): they
catch a model that scores well but reacts to its inputs in ways nobody would accept. What a
prediction and its direction mean comes from the task (`task.py`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }} import metrics, task
from {{ cookiecutter.package_name }}.data_contract import split_features_target
from {{ cookiecutter.package_name }}.estimator import build_pipeline
from tests.helpers import PARAMS

NOISE_SCALE = 1e-4  # of each feature's standard deviation


def response(model, X: pd.DataFrame) -> np.ndarray:
    return task.response(task.predict(model, X))


@pytest.mark.parametrize(
    ("metric", "threshold"), sorted(PARAMS.evaluate.thresholds.items()), ids=lambda v: str(v)
)
def test_score_meets_threshold(model, holdout, metric: str, threshold: float):
    """The test-set score is at least as good as the threshold in params.yaml."""
    value = metrics.evaluate_model(model, *holdout)[metric]
    limit = "a ceiling" if metric in task.LOWER_IS_BETTER else "a floor"
    assert metrics.meets_threshold(metric, value, threshold), (
        f"evaluate.thresholds.{metric} ({limit}) is {threshold}; the model scores {value:.4f}"
    )


def test_training_is_deterministic(train_test, holdout, params, target: str):
    """Training twice with the same seed gives identical predictions."""
    X, y = split_features_target(train_test[0], target)
    first = build_pipeline(params.train).fit(X, y)
    second = build_pipeline(params.train).fit(X, y)
    np.testing.assert_array_equal(response(first, holdout[0]), response(second, holdout[0]))


def test_beats_a_constant_baseline(model, train_test, holdout, target: str):
    """Minimum functionality: the model does better than the task's constant baseline."""
    X, y = split_features_target(train_test[0], target)
    baseline = task.baseline().fit(X, y)
    metric = task.BASELINE_METRIC
    ours = metrics.evaluate_model(model, *holdout)[metric]
    theirs = metrics.evaluate_model(baseline, *holdout)[metric]
    assert metrics.improvement(metric, ours, theirs) > 0, f"{metric}: {ours:.4f} vs {theirs:.4f}"


def test_row_order_does_not_change_predictions(model, holdout):
    """Invariance: each row's prediction depends on that row only."""
    X = holdout[0]
    shuffled = X.sample(frac=1.0, random_state=0)
    np.testing.assert_allclose(
        pd.Series(response(model, shuffled), index=shuffled.index).sort_index(),
        response(model, X),
    )


def test_tiny_noise_does_not_change_predictions(model, holdout):
    """Invariance: measurement-level noise leaves predictions practically unchanged."""
    X, y = holdout
    rng = np.random.default_rng(0)
    noisy = X + rng.normal(0, NOISE_SCALE, X.shape) * X.std().to_numpy()
    moved = task.disagreement(task.predict(model, X), task.predict(model, noisy), y)
    assert moved <= task.MAX_NOISE_DISAGREEMENT


@pytest.mark.parametrize(
    ("feature", "direction"), sorted(PARAMS.evaluate.directional.items()), ids=lambda v: str(v)
)
def test_feature_moves_prediction_in_expected_direction(model, holdout, feature, direction):
    """Directional: raising the feature by one std moves the prediction the declared way."""
    X = holdout[0]
    assert feature in X.columns, f"evaluate.directional.{feature}: not a feature of the data"
    raised = X.copy()
    raised[feature] = raised[feature] + X[feature].std()
    change = float(np.mean(response(model, raised) - response(model, X)))
    assert change > 0 if direction == "increase" else change < 0, (
        f"evaluate.directional.{feature} says {direction}; the mean change is {change:+.4f}"
    )
