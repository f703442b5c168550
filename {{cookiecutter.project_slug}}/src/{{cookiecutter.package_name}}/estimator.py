"""Feature pipeline: one scikit-learn Pipeline from raw numeric features to a prediction (pure)."""

from __future__ import annotations

from typing import Any

import pandas as pd
{%- if cookiecutter.task == "classification" %}
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
{%- else %}
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
{%- endif %}
from sklearn.impute import SimpleImputer
{%- if cookiecutter.task == "classification" %}
from sklearn.linear_model import LogisticRegression
{%- else %}
from sklearn.linear_model import Ridge
{%- endif %}
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from .config import ParamsError, PrepareParams, TrainParams

ESTIMATORS: dict[str, type] = {
{%- if cookiecutter.task == "classification" %}
    "logistic_regression": LogisticRegression,
    "random_forest": RandomForestClassifier,
    "hist_gradient_boosting": HistGradientBoostingClassifier,
{%- else %}
    "ridge": Ridge,
    "random_forest": RandomForestRegressor,
    "hist_gradient_boosting": HistGradientBoostingRegressor,
{%- endif %}
}


def make_estimator(name: str, hyperparameters: dict[str, Any], seed: int) -> Any:
    estimator_class = ESTIMATORS[name]
    accepted = estimator_class().get_params()
    unknown = sorted(set(hyperparameters) - set(accepted))
    if unknown:
        rejected, name = ", ".join(unknown), estimator_class.__name__
        raise ParamsError(f"train.hyperparameters: {rejected} not accepted by {name}")
    seeded = {"random_state": seed} if "random_state" in accepted else {}
    return estimator_class(**{**seeded, **hyperparameters})


def build_pipeline(params: TrainParams) -> Pipeline:
    """Impute and scale in front of the estimator, so serving needs raw features only."""
    return Pipeline(
        [
            ("impute", SimpleImputer(strategy="median")),
            ("scale", StandardScaler()),
            ("model", make_estimator(params.estimator, params.hyperparameters, params.seed)),
        ]
    )


def split(
    df: pd.DataFrame, target: str, params: PrepareParams
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Seeded train/test split; exact duplicates are dropped first so none straddles the split."""
    if params.drop_duplicates:
        df = df.drop_duplicates(ignore_index=True)
{%- if cookiecutter.task == "classification" %}
    # Stratify so every class keeps its share in both parts (possible when each has 2+ rows).
    counts = df[target].value_counts()
    stratify = df[target] if counts.min() >= 2 else None
{%- else %}
    stratify = None
{%- endif %}
    train, test = train_test_split(
        df, test_size=params.test_size, random_state=params.seed, stratify=stratify
    )
    return train.reset_index(drop=True), test.reset_index(drop=True)
