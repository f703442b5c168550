"""Evaluation images for people (PNG); the same data goes to JSON for `dvc plots`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display on CI runners or servers

import matplotlib.pyplot as plt
{%- if cookiecutter.task == "classification" %}
from sklearn.metrics import ConfusionMatrixDisplay


def save_confusion_matrix(y_true: Any, y_pred: Any, path: Path) -> None:
    figure, axes = plt.subplots(figsize=(5, 4.5))
    ConfusionMatrixDisplay.from_predictions(y_true, y_pred, ax=axes, colorbar=False)
    axes.set_title("Confusion matrix (test set)")
    _save(figure, path)


def save_roc(rows: list[dict[str, float]], auc: float, path: Path) -> None:
    figure, axes = plt.subplots(figsize=(5, 4.5))
    axes.plot([r["fpr"] for r in rows], [r["tpr"] for r in rows], label=f"ROC AUC = {auc:.3f}")
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
    axes.set(xlabel="False positive rate", ylabel="True positive rate", title="ROC (test set)")
    axes.legend(loc="lower right")
    _save(figure, path)
{%- else %}
import numpy as np


def save_predicted_vs_actual(rows: list[dict[str, float]], path: Path) -> None:
    actual = np.array([r["actual"] for r in rows])
    predicted = np.array([r["predicted"] for r in rows])
    low, high = float(min(actual.min(), predicted.min())), float(max(actual.max(), predicted.max()))
    figure, axes = plt.subplots(figsize=(5, 4.5))
    axes.scatter(actual, predicted, s=12, alpha=0.7)
    axes.plot([low, high], [low, high], linestyle="--", color="grey", label="perfect")
    axes.set(xlabel="Actual", ylabel="Predicted", title="Predicted vs actual (test set)")
    axes.legend(loc="upper left")
    _save(figure, path)


def save_residuals(rows: list[dict[str, float]], path: Path) -> None:
    predicted = np.array([r["predicted"] for r in rows])
    residual = np.array([r["residual"] for r in rows])
    figure, axes = plt.subplots(figsize=(5, 4.5))
    axes.scatter(predicted, residual, s=12, alpha=0.7)
    axes.axhline(0, linestyle="--", color="grey")
    axes.set(xlabel="Predicted", ylabel="Actual - predicted", title="Residuals (test set)")
    _save(figure, path)
{%- endif %}


def _save(figure: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
