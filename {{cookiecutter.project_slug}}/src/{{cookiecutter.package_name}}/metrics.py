"""Scores of a fitted model, thresholds and the promotion rule (pure)."""

from __future__ import annotations

import math
from typing import Any

from . import task
from .vocabulary import CHALLENGER, CHAMPION


def evaluate_model(model: Any, X: Any, y: Any) -> dict[str, float]:
    """Score any fitted scikit-learn estimator (or pipeline) on a labelled table."""
    return task.scores(y, task.predict(model, X), task.classes(model))


def meets_threshold(metric: str, value: float, threshold: float) -> bool:
    """A threshold is a floor for scores and a ceiling for errors."""
    return value <= threshold if metric in task.LOWER_IS_BETTER else value >= threshold


def improvement(metric: str, candidate: float, champion: float) -> float:
    """How much better the candidate is (positive) or worse (negative), whatever the direction."""
    return champion - candidate if metric in task.LOWER_IS_BETTER else candidate - champion


def promotion_alias(metric: str, candidate: float, champion: float | None, margin: float) -> str:
    """`champion` when there is none yet or the candidate beats it by more than `margin`."""
    if champion is None or math.isnan(champion):
        return CHAMPION
    return CHAMPION if improvement(metric, candidate, champion) > margin else CHALLENGER
