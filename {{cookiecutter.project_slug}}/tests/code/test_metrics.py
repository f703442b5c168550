"""Unit tests of model scoring, thresholds and the promotion rule, for this project's task."""

from __future__ import annotations

import math
from typing import get_args

from {{ cookiecutter.package_name }} import metrics, task
from {{ cookiecutter.package_name }}.vocabulary import CHALLENGER, CHAMPION
from tests.helpers import HIGHER, LOWER


def test_a_fitted_model_gets_every_metric_of_its_task(model, holdout):
    """evaluate_model scores every metric name params.yaml may use, each a finite number."""
    scores = metrics.evaluate_model(model, *holdout)
    assert set(scores) == set(get_args(task.MetricName))
    assert all(math.isfinite(value) for value in scores.values())


def test_threshold_is_a_floor_for_scores():
    """A score below its threshold fails."""
    assert not metrics.meets_threshold(HIGHER, 0.5, 0.6)


def test_threshold_is_a_ceiling_for_errors():
    """An error above its threshold fails."""
    assert not metrics.meets_threshold(LOWER, 0.7, 0.6)


def test_first_model_becomes_champion():
    """With no champion yet, the candidate is promoted."""
    assert metrics.promotion_alias(HIGHER, 0.5, None, margin=0.01) == CHAMPION


def test_candidate_beating_champion_by_margin_is_promoted():
    """A score better than the champion's by more than the margin wins."""
    assert metrics.promotion_alias(HIGHER, 0.90, 0.85, margin=0.01) == CHAMPION


def test_tie_stays_challenger():
    """An equal score is not an improvement."""
    assert metrics.promotion_alias(HIGHER, 0.90, 0.90, margin=0.0) == CHALLENGER


def test_improvement_within_margin_stays_challenger():
    """A gain smaller than the margin does not move the champion alias."""
    assert metrics.promotion_alias(HIGHER, 0.905, 0.90, margin=0.01) == CHALLENGER


def test_lower_error_is_an_improvement():
    """For error metrics a smaller value beats the champion."""
    assert metrics.promotion_alias(LOWER, 0.2, 0.5, margin=0.01) == CHAMPION


def test_nan_champion_score_is_replaced():
    """A champion without a usable score does not block promotion."""
    assert metrics.promotion_alias(HIGHER, 0.5, math.nan, margin=0.0) == CHAMPION
