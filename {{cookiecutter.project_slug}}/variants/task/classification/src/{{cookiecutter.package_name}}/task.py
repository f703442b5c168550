"""Classification: what the task means for data, estimators, scores, plots and answers.

Every other module asks this one (a regression project's `task.py` has the same names), so no
code branches on the task. scikit-learn's submodules are imported where they are used: the
service imports this module for the shape of its answers and must not pay for estimators,
metrics or baselines it never calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel

from .charts import Chart

if TYPE_CHECKING:
    import pandas as pd

NAME = "classification"

BundledDataset = Literal["breast_cancer", "iris", "wine"]
Estimator = Literal["logistic_regression", "random_forest", "hist_gradient_boosting"]
MetricName = Literal["accuracy", "f1", "precision", "recall", "roc_auc", "log_loss"]

# `module:class` of each estimator: only the configured one is ever imported.
ESTIMATORS: dict[str, str] = {
    "logistic_regression": "sklearn.linear_model:LogisticRegression",
    "random_forest": "sklearn.ensemble:RandomForestClassifier",
    "hist_gradient_boosting": "sklearn.ensemble:HistGradientBoostingClassifier",
}
LOWER_IS_BETTER: frozenset[str] = frozenset({"log_loss"})
# Labels may be text or numbers: the data contract only requires each row to have one.
NUMERIC_TARGET = False
# Minimum functionality: beat always answering with the training set's class shares on this.
BASELINE_METRIC = "accuracy"
# Invariance: at most this share of labels may flip under measurement-level noise.
MAX_NOISE_DISAGREEMENT = 0.02
# What the Arrow endpoint answers (the API description says so).
ARROW_RESPONSE = "one probability column per class, named after the class"
# Plot data stays small whatever the test set's size (it is committed): a curve keeps at most
# this many points. Scores always use every row.
MAX_CURVE_POINTS = 200

CHARTS = (
    Chart(
        image="confusion_matrix.png", data="confusion", kind="confusion",
        x="predicted", y="actual", weight="count", title="Confusion matrix (test set)",
    ),
    Chart(
        image="roc.png", data="roc", kind="line", x="fpr", y="tpr", title="ROC (test set)",
        x_label="False positive rate", y_label="True positive rate",
        reference="diagonal", reference_label="chance", legend="ROC AUC = {roc_auc:.3f}",
    ),
)  # fmt: skip


class Prediction(BaseModel):
    """One row's answer: the most probable class and the probability of every class."""

    label: str | int
    probabilities: dict[str, float]


def classes(model: Any) -> np.ndarray | None:
    """The classes the model knows, in the order of its probability columns."""
    return np.asarray(model.classes_)


def predict(model: Any, X: Any) -> np.ndarray:
    """The model's answer for each row: one probability column per class."""
    return np.asarray(model.predict_proba(X))


def predicted_labels(outputs: np.ndarray, classes: np.ndarray | None) -> np.ndarray:
    """The most probable class of each row (the first one on a tie)."""
    return np.asarray(classes)[outputs.argmax(axis=1)]


def response(outputs: np.ndarray) -> np.ndarray:
    """One number per row that directional expectations refer to: the last class's probability."""
    return outputs[:, -1]


def disagreement(before: np.ndarray, after: np.ndarray, y: Any) -> float:
    """The share of rows whose most probable class changed."""
    return float((before.argmax(axis=1) != after.argmax(axis=1)).mean())


def stratify(y: pd.Series) -> pd.Series | None:
    """Split by class so each keeps its share in both parts (possible when each has 2+ rows)."""
    return y if y.value_counts().min() >= 2 else None


def baseline() -> Any:
    from sklearn.dummy import DummyClassifier

    return DummyClassifier(strategy="prior")


def class_codes(y: Any, classes: np.ndarray | None) -> np.ndarray:
    """Each label's position among the model's classes (-1 for a label it never saw).

    Scores are computed on these codes: scikit-learn's metrics sort and compare text labels
    over and over (28x slower on 800k `yes`/`no` rows here); the scores are the same.
    """
    import pandas as pd

    return np.asarray(pd.Categorical(np.asarray(y), categories=np.asarray(classes)).codes)


def scores(y_true: Any, outputs: np.ndarray, classes: np.ndarray | None) -> dict[str, float]:
    """Test-set scores; multi-class averages are macro (every class counts the same)."""
    from sklearn.metrics import (
        accuracy_score,
        f1_score,
        log_loss,
        precision_score,
        recall_score,
        roc_auc_score,
    )

    codes = list(range(len(np.asarray(classes))))
    truth, predicted = class_codes(y_true, classes), outputs.argmax(axis=1)
    positive_probability = outputs[:, 1] if len(codes) == 2 else outputs
    return {
        "accuracy": float(accuracy_score(truth, predicted)),
        "f1": float(f1_score(truth, predicted, average="macro")),
        "precision": float(precision_score(truth, predicted, average="macro", zero_division=0)),
        "recall": float(recall_score(truth, predicted, average="macro", zero_division=0)),
        "roc_auc": float(
            roc_auc_score(truth, positive_probability, multi_class="ovr", labels=codes)
        ),
        "log_loss": float(log_loss(truth, outputs, labels=codes)),
    }


def confusion_rows(y_true: Any, y_pred: Any, classes: np.ndarray | None) -> list[dict[str, Any]]:
    """One row per (actual, predicted) pair of classes with its count: the matrix's cells, however
    many test rows there are (`.dvc/plots/confusion_counts.json` draws them)."""
    from sklearn.metrics import confusion_matrix

    labels = np.asarray(classes)
    truth, predicted = class_codes(y_true, classes), class_codes(y_pred, classes)
    matrix = confusion_matrix(truth, predicted, labels=list(range(len(labels))))
    return [
        {"actual": str(actual), "predicted": str(predicted), "count": int(matrix[i, j])}
        for i, actual in enumerate(labels)
        for j, predicted in enumerate(labels)
    ]


def thinned(points: int, most: int) -> np.ndarray:
    """Indices of at most `most` points spread evenly over `points`, first and last kept."""
    return np.unique(np.linspace(0, points - 1, num=min(points, most)).round().astype(int))


def roc_rows(
    y_true: Any, outputs: np.ndarray, classes: np.ndarray | None
) -> list[dict[str, float]]:
    """ROC points (at most MAX_CURVE_POINTS); for more than two classes, the micro-average over
    one-vs-rest curves."""
    from sklearn.metrics import roc_curve
    from sklearn.preprocessing import label_binarize

    codes = class_codes(y_true, classes)
    if outputs.shape[1] == 2:
        truth, score = (codes == 1).astype(int), outputs[:, 1]
    else:
        truth = label_binarize(codes, classes=list(range(outputs.shape[1]))).ravel()
        score = outputs.ravel()
    fpr, tpr, thresholds = roc_curve(truth, score)
    keep = thinned(len(fpr), MAX_CURVE_POINTS)
    return [
        {"fpr": float(f), "tpr": float(t), "threshold": float(min(h, 1.0))}
        for f, t, h in zip(fpr[keep], tpr[keep], thresholds[keep], strict=True)
    ]


def plot_data(
    y_true: Any, outputs: np.ndarray, classes: np.ndarray | None
) -> dict[str, list[dict[str, Any]]]:
    """The tables behind the charts, by name (`plots/<name>.json`)."""
    return {
        "confusion": confusion_rows(y_true, predicted_labels(outputs, classes), classes),
        "roc": roc_rows(y_true, outputs, classes),
    }


def records(outputs: np.ndarray, classes: np.ndarray | None) -> list[dict[str, Any]]:
    """The answer for each row as plain values, ready for `Prediction` and JSON."""
    known = np.asarray(classes)
    names = [str(c) for c in known]
    values = known.tolist()  # NumPy scalars become Python ones
    best = outputs.argmax(axis=1).tolist()
    return [
        {"label": values[i], "probabilities": dict(zip(names, row, strict=True))}
        for i, row in zip(best, outputs.tolist(), strict=True)
    ]


def columns(outputs: np.ndarray, classes: np.ndarray | None) -> dict[str, np.ndarray]:
    """The answers as columns (the Arrow endpoint): one probability column per class."""
    return {str(c): outputs[:, i] for i, c in enumerate(np.asarray(classes))}


def answer_columns(outputs: np.ndarray, classes: np.ndarray | None) -> dict[str, np.ndarray]:
    """The answers as the columns of a scored table (`make score`): the most probable class
    (`label`) and one `probability_<class>` column per class."""
    probabilities = {
        f"probability_{name}": values for name, values in columns(outputs, classes).items()
    }
    return {"label": predicted_labels(outputs, classes), **probabilities}


def answer_values(answer: Mapping[str, Any]) -> list[float]:
    """The numbers one answer carries, in the model's output order (for comparisons)."""
    return list(answer["probabilities"].values())


# Monitoring (`make monitor`, `make traffic`): what "the prediction" is and how truth compares.

# The prediction the monitor tests for drift is a class: its counts are compared (chi-square).
CATEGORICAL_PREDICTION = True


def outputs_of(columns: Mapping[str, Any]) -> np.ndarray:
    """The outputs matrix back from its columns (`columns` in reverse), in the given order."""
    return np.column_stack([np.asarray(values, dtype=float) for values in columns.values()])


def monitored_prediction(outputs: np.ndarray, classes: np.ndarray | None) -> np.ndarray:
    """What the monitor tests as "the prediction": the predicted class, as text."""
    return predicted_labels(outputs, classes).astype(str)


def truth_values(values: Any, classes: np.ndarray | None) -> np.ndarray:
    """Ground truth as the model's classes: JSON feedback and CSV labels may spell a class 1
    as "1" (or the other way round); a label the model never saw stays as it is."""
    by_text = {str(known): known for known in np.asarray(classes).tolist()}
    return np.asarray([by_text.get(str(value), value) for value in values], dtype=object)


def label_shift_rows(y: pd.Series) -> np.ndarray:
    """Rows kept by a label-balance shift (`make traffic SHIFT=labels`): the last class only."""
    return np.asarray(y.astype(str) == sorted(y.astype(str).unique())[-1])


# The service (`/feedback`, `/metrics`): what ground truth may be and what is counted live.


def actual_type(classes: Any) -> Any:
    """What `/feedback` accepts as the actual outcome: one of the model's classes."""
    return Literal[tuple(np.asarray(classes).tolist())]


def live_counts(outputs: np.ndarray, classes: np.ndarray | None) -> dict[str, int]:
    """Rows per predicted class, as text (`predictions_total{label}` on /metrics)."""
    counts = np.bincount(outputs.argmax(axis=1), minlength=outputs.shape[1])
    names = np.asarray(classes).astype(str)
    return {str(names[i]): int(counts[i]) for i in np.flatnonzero(counts)}


def live_values(outputs: np.ndarray) -> np.ndarray:
    """None to observe: a classifier's answer is a class (`live_counts`), not one number."""
    return np.empty(0)
