"""Unit tests of scores and of the promotion rule."""

from __future__ import annotations

import math

import numpy as np
{%- if cookiecutter.task == "regression" %}
import pytest
{%- endif %}

from {{ cookiecutter.package_name }} import metrics
{%- if cookiecutter.task == "classification" %}


def test_perfect_predictions_score_perfectly():
    """Perfect labels and confident probabilities give accuracy 1 and ROC AUC 1."""
    y = np.array([0, 1, 1, 0])
    probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.1, 0.9], [0.7, 0.3]])
    result = metrics.scores(y, y, probabilities, [0, 1])
    assert (result["accuracy"], result["roc_auc"]) == (1.0, 1.0)


def test_roc_rows_run_from_origin_to_corner():
    """ROC points start at (0, 0) and end at (1, 1)."""
    probabilities = np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.1, 0.9]])
    rows = metrics.roc_rows(np.array([0, 1, 0, 1]), probabilities, [0, 1])
    assert (rows[0]["fpr"], rows[0]["tpr"], rows[-1]["fpr"], rows[-1]["tpr"]) == (0, 0, 1, 1)


def test_confusion_rows_pair_actual_with_predicted():
    """One row per sample, labels as text for `dvc plots`."""
    assert metrics.confusion_rows([0, 1], [1, 1]) == [
        {"actual": "0", "predicted": "1"},
        {"actual": "1", "predicted": "1"},
    ]


HIGHER, LOWER = "roc_auc", "log_loss"
{%- else %}


def test_perfect_predictions_score_perfectly():
    """Exact predictions give zero error and R² of 1."""
    y = np.array([1.0, 2.0, 3.0])
    assert metrics.scores(y, y) == {"rmse": 0.0, "mae": 0.0, "r2": 1.0}


def test_rmse_is_root_of_mean_squared_error():
    """RMSE of errors 3 and 4 is the root of their mean square."""
    rmse = metrics.scores(np.array([0.0, 0.0]), np.array([3.0, 4.0]))["rmse"]
    assert rmse == pytest.approx(math.sqrt(12.5))


def test_prediction_rows_carry_residuals():
    """Each row holds actual, predicted and actual minus predicted."""
    rows = metrics.prediction_rows([3.0], [1.0])
    assert rows == [{"actual": 3.0, "predicted": 1.0, "residual": 2.0}]


HIGHER, LOWER = "r2", "rmse"
{%- endif %}


def test_threshold_is_a_floor_for_scores():
    """A score below its threshold fails."""
    assert not metrics.meets_threshold(HIGHER, 0.5, 0.6)


def test_threshold_is_a_ceiling_for_errors():
    """An error above its threshold fails."""
    assert not metrics.meets_threshold(LOWER, 0.7, 0.6)


def test_first_model_becomes_champion():
    """With no champion yet, the candidate is promoted."""
    assert metrics.promotion_alias(HIGHER, 0.5, None, margin=0.01) == "champion"


def test_candidate_beating_champion_by_margin_is_promoted():
    """A score better than the champion's by more than the margin wins."""
    assert metrics.promotion_alias(HIGHER, 0.90, 0.85, margin=0.01) == "champion"


def test_tie_stays_challenger():
    """An equal score is not an improvement."""
    assert metrics.promotion_alias(HIGHER, 0.90, 0.90, margin=0.0) == "challenger"


def test_improvement_within_margin_stays_challenger():
    """A gain smaller than the margin does not move the champion alias."""
    assert metrics.promotion_alias(HIGHER, 0.905, 0.90, margin=0.01) == "challenger"


def test_lower_error_is_an_improvement():
    """For error metrics a smaller value beats the champion."""
    assert metrics.promotion_alias(LOWER, 0.2, 0.5, margin=0.01) == "champion"


def test_nan_champion_score_is_replaced():
    """A champion without a usable score does not block promotion."""
    assert metrics.promotion_alias(HIGHER, 0.5, math.nan, margin=0.0) == "champion"
