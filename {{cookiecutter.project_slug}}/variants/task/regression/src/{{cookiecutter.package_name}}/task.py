"""Regression: what the task means for data, estimators, scores, plots and answers.

Every other module asks this one (a classification project's `task.py` has the same names), so
no code branches on the task. scikit-learn's submodules are imported where they are used: the
service imports this module for the shape of its answers and must not pay for estimators,
metrics or baselines it never calls.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from .charts import Chart

if TYPE_CHECKING:
    import pandas as pd

NAME = "regression"

BundledDataset = Literal["diabetes"]
Estimator = Literal["ridge", "random_forest", "hist_gradient_boosting"]
MetricName = Literal["rmse", "mae", "r2"]

# `module:class` of each estimator: only the configured one is ever imported.
ESTIMATORS: dict[str, str] = {
    "ridge": "sklearn.linear_model:Ridge",
    "random_forest": "sklearn.ensemble:RandomForestRegressor",
    "hist_gradient_boosting": "sklearn.ensemble:HistGradientBoostingRegressor",
}
LOWER_IS_BETTER: frozenset[str] = frozenset({"rmse", "mae"})
# The target is a finite number in every row (the data contract checks it).
NUMERIC_TARGET = True
# Minimum functionality: beat always answering with the training set's mean on this.
BASELINE_METRIC = "rmse"
# Invariance: under measurement-level noise no prediction may move by more than this share of
# the target's standard deviation.
MAX_NOISE_DISAGREEMENT = 0.01
# What the Arrow endpoint answers (the API description says so).
ARROW_RESPONSE = "one `value` column, the predicted number"
# Plot data stays small whatever the test set's size (it is committed): the scatter plots show a
# seeded sample of at most this many test rows. Scores always use every row.
MAX_PLOTTED_ROWS = 1000

CHARTS = (
    Chart(
        image="predicted_vs_actual.png", data="predictions", kind="scatter",
        x="actual", y="predicted", title="Predicted vs actual (test set)",
        x_label="Actual", y_label="Predicted", reference="diagonal", reference_label="perfect",
    ),
    Chart(
        image="residuals.png", data="predictions", kind="scatter", x="predicted", y="residual",
        title="Residuals (test set)", x_label="Predicted", y_label="Actual - predicted",
        reference="zero",
    ),
)  # fmt: skip


class Prediction(BaseModel):
    """One row's answer: the predicted value."""

    value: float


def classes(model: Any) -> np.ndarray | None:
    """None: a regressor has no classes."""
    return None


def predict(model: Any, X: Any) -> np.ndarray:
    """The model's answer for each row: the predicted value."""
    return np.asarray(model.predict(X))


def response(outputs: np.ndarray) -> np.ndarray:
    """One number per row that directional expectations refer to: the predicted value."""
    return outputs


def disagreement(before: np.ndarray, after: np.ndarray, y: Any) -> float:
    """The largest change of a prediction, as a share of the target's standard deviation."""
    return float(np.abs(after - before).max() / np.asarray(y, dtype=float).std(ddof=1))


def stratify(y: pd.Series) -> pd.Series | None:
    """None: a continuous target is split at random."""
    return None


def baseline() -> Any:
    from sklearn.dummy import DummyRegressor

    return DummyRegressor(strategy="mean")


def scores(y_true: Any, outputs: np.ndarray, classes: np.ndarray | None) -> dict[str, float]:
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    return {
        "rmse": float(math.sqrt(mean_squared_error(y_true, outputs))),
        "mae": float(mean_absolute_error(y_true, outputs)),
        "r2": float(r2_score(y_true, outputs)),
    }


def prediction_rows(y_true: Any, y_pred: Any) -> list[dict[str, float]]:
    """Actual, predicted and residual of every test row, or of a seeded sample of
    MAX_PLOTTED_ROWS of them (for `dvc plots` and the images)."""
    actual, predicted = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    rows = np.arange(len(actual))
    if len(rows) > MAX_PLOTTED_ROWS:
        rows = np.sort(np.random.default_rng(0).choice(rows, MAX_PLOTTED_ROWS, replace=False))
    return [
        {"actual": float(a), "predicted": float(p), "residual": float(a) - float(p)}
        for a, p in zip(actual[rows], predicted[rows], strict=True)
    ]


def plot_data(
    y_true: Any, outputs: np.ndarray, classes: np.ndarray | None
) -> dict[str, list[dict[str, Any]]]:
    """The tables behind the charts, by name (`plots/<name>.json`)."""
    return {"predictions": prediction_rows(y_true, outputs)}


def records(outputs: np.ndarray, classes: np.ndarray | None) -> list[dict[str, Any]]:
    """The answer for each row as plain values, ready for `Prediction` and JSON."""
    return [{"value": value} for value in outputs.tolist()]


def columns(outputs: np.ndarray, classes: np.ndarray | None) -> dict[str, np.ndarray]:
    """The answers as columns (the Arrow endpoint): one `value` column."""
    return {"value": outputs}


def answer_columns(outputs: np.ndarray, classes: np.ndarray | None) -> dict[str, np.ndarray]:
    """The answers as the columns of a scored table (`make score`): one `value` column."""
    return columns(outputs, classes)


def answer_values(answer: Mapping[str, Any]) -> list[float]:
    """The numbers one answer carries, in the model's output order (for comparisons)."""
    return [answer["value"]]


# Monitoring (`make monitor`, `make traffic`): what "the prediction" is and how truth compares.

# The prediction the monitor tests for drift is a number: its distribution is compared (KS).
CATEGORICAL_PREDICTION = False


def outputs_of(columns: Mapping[str, Any]) -> np.ndarray:
    """The outputs back from their columns (`columns` in reverse): the `value` column."""
    return np.asarray(columns["value"], dtype=float)


def monitored_prediction(outputs: np.ndarray, classes: np.ndarray | None) -> np.ndarray:
    """What the monitor tests as "the prediction": the predicted value."""
    return np.asarray(outputs, dtype=float)


def truth_values(values: Any, classes: np.ndarray | None) -> np.ndarray:
    """Ground truth as numbers (JSON feedback and CSV labels may carry text)."""
    return np.asarray(values, dtype=float)


def label_shift_rows(y: pd.Series) -> np.ndarray:
    """Rows kept by a label-balance shift (`make traffic SHIFT=labels`): target above the
    median."""
    values = y.astype(float)
    return np.asarray(values > values.median())


# The service (`/feedback`, `/metrics`): what ground truth may be and what is counted live.


def actual_type(classes: Any) -> Any:
    """What `/feedback` accepts as the actual outcome: a finite number."""
    return Annotated[float, Field(strict=True, allow_inf_nan=False)]


def live_counts(outputs: np.ndarray, classes: np.ndarray | None) -> dict[str, int]:
    """Rows predicted (`predictions_total{label="value"}` on /metrics)."""
    return {"value": len(outputs)}


def live_values(outputs: np.ndarray) -> np.ndarray:
    """The predicted values (the `predicted_value` histogram on /metrics)."""
    return outputs
