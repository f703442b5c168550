"""Unit tests of the regression task: scores, plot data and the shape of answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from {{ cookiecutter.package_name }} import task


def test_perfect_predictions_score_perfectly():
    """Exact predictions give zero error and R² of 1."""
    y = np.array([1.0, 2.0, 3.0])
    assert task.scores(y, y, None) == {"rmse": 0.0, "mae": 0.0, "r2": 1.0}


def test_rmse_is_root_of_mean_squared_error():
    """RMSE of errors 3 and 4 is the root of their mean square."""
    rmse = task.scores(np.array([0.0, 0.0]), np.array([3.0, 4.0]), None)["rmse"]
    assert rmse == pytest.approx(math.sqrt(12.5))


def test_prediction_rows_carry_residuals():
    """Each row holds actual, predicted and actual minus predicted."""
    rows = task.prediction_rows([3.0], [1.0])
    assert rows == [{"actual": 3.0, "predicted": 1.0, "residual": 2.0}]


def test_prediction_rows_of_a_large_test_set_are_a_bounded_seeded_sample():
    """At most MAX_PLOTTED_ROWS rows are plotted, the same ones every run."""
    actual = np.arange(50_000, dtype=float)
    rows = task.prediction_rows(actual, actual + 1)
    assert len(rows) == task.MAX_PLOTTED_ROWS
    assert rows == task.prediction_rows(actual, actual + 1)
    assert {row["residual"] for row in rows} == {-1.0}


def test_answer_is_the_predicted_value():
    """Each record holds the predicted value as a plain float."""
    answers = task.records(np.array([1.5, -2.0]), None)
    assert answers == [{"value": 1.5}, {"value": -2.0}]
    assert task.answer_values(answers[0]) == [1.5]


def test_arrow_columns_hold_one_value_column():
    """The columnar answer is a single `value` column."""
    outputs = np.array([1.5, -2.0])
    np.testing.assert_array_equal(task.columns(outputs, None)["value"], outputs)


def test_disagreement_is_the_largest_move_in_target_deviations():
    """The largest change of a prediction, relative to the target's standard deviation."""
    y = np.array([0.0, 2.0])  # standard deviation sqrt(2)
    moved = task.disagreement(np.array([1.0, 1.0]), np.array([1.0, 1.0 + math.sqrt(2)]), y)
    assert moved == pytest.approx(1.0)
