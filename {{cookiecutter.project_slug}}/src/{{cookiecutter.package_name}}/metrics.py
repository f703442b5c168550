"""Scores, plot data and the promotion rule (pure functions of predictions)."""

from __future__ import annotations

import math
from typing import Any
{% if cookiecutter.task == "classification" %}
import numpy as np
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    log_loss,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)
from sklearn.preprocessing import label_binarize

LOWER_IS_BETTER = frozenset({"log_loss"})


def scores(y_true: Any, y_pred: Any, probabilities: np.ndarray, classes: Any) -> dict[str, float]:
    """Test-set scores; multi-class averages are macro (every class counts the same)."""
    binary = len(classes) == 2
    positive_probability = probabilities[:, 1] if binary else probabilities
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "f1": float(f1_score(y_true, y_pred, average="macro")),
        "precision": float(precision_score(y_true, y_pred, average="macro", zero_division=0)),
        "recall": float(recall_score(y_true, y_pred, average="macro", zero_division=0)),
        "roc_auc": float(
            roc_auc_score(y_true, positive_probability, multi_class="ovr", labels=classes)
        ),
        "log_loss": float(log_loss(y_true, probabilities, labels=classes)),
    }


def confusion_rows(y_true: Any, y_pred: Any) -> list[dict[str, str]]:
    """One row per test sample, the shape `dvc plots` expects for its confusion template."""
    return [{"actual": str(a), "predicted": str(p)} for a, p in zip(y_true, y_pred, strict=True)]


def roc_rows(y_true: Any, probabilities: np.ndarray, classes: Any) -> list[dict[str, float]]:
    """ROC points; for more than two classes, the micro-average over one-vs-rest curves."""
    if len(classes) == 2:
        truth, score = (np.asarray(y_true) == classes[1]).astype(int), probabilities[:, 1]
    else:
        truth, score = label_binarize(y_true, classes=classes).ravel(), probabilities.ravel()
    fpr, tpr, thresholds = roc_curve(truth, score)
    return [
        {"fpr": float(f), "tpr": float(t), "threshold": float(min(h, 1.0))}
        for f, t, h in zip(fpr, tpr, thresholds, strict=True)
    ]
{%- else %}
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

LOWER_IS_BETTER = frozenset({"rmse", "mae"})


def scores(y_true: Any, y_pred: Any) -> dict[str, float]:
    return {
        "rmse": float(math.sqrt(mean_squared_error(y_true, y_pred))),
        "mae": float(mean_absolute_error(y_true, y_pred)),
        "r2": float(r2_score(y_true, y_pred)),
    }


def prediction_rows(y_true: Any, y_pred: Any) -> list[dict[str, float]]:
    """One row per test sample: actual, predicted and residual (for `dvc plots`)."""
    return [
        {"actual": float(a), "predicted": float(p), "residual": float(a) - float(p)}
        for a, p in zip(y_true, y_pred, strict=True)
    ]
{%- endif %}


def evaluate_model(model: Any, X: Any, y: Any) -> dict[str, float]:
    """Score any fitted scikit-learn estimator (or pipeline) on a labelled table."""
{%- if cookiecutter.task == "classification" %}
    return scores(y, model.predict(X), model.predict_proba(X), list(model.classes_))
{%- else %}
    return scores(y, model.predict(X))
{%- endif %}


def meets_threshold(metric: str, value: float, threshold: float) -> bool:
    """A threshold is a floor for scores and a ceiling for errors."""
    return value <= threshold if metric in LOWER_IS_BETTER else value >= threshold


def improvement(metric: str, candidate: float, champion: float) -> float:
    """How much better the candidate is (positive) or worse (negative), whatever the direction."""
    return champion - candidate if metric in LOWER_IS_BETTER else candidate - champion


def promotion_alias(metric: str, candidate: float, champion: float | None, margin: float) -> str:
    """`champion` when there is none yet or the candidate beats it by more than `margin`."""
    if champion is None or math.isnan(champion):
        return "champion"
    return "champion" if improvement(metric, candidate, champion) > margin else "challenger"
