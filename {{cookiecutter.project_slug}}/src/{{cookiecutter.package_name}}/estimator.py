"""The estimator pipeline: raw numeric features in, the task's prediction out (pure)."""

from __future__ import annotations

import importlib
from typing import Any

from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from . import task
from .config import ParamsError, TrainParams


def estimator_class(name: str) -> type:
    """The class behind an estimator name of `params.yaml` (see `task.ESTIMATORS`)."""
    module, _, attribute = task.ESTIMATORS[name].partition(":")
    estimator: type = getattr(importlib.import_module(module), attribute)
    return estimator


def make_estimator(name: str, hyperparameters: dict[str, Any], seed: int) -> Any:
    estimator = estimator_class(name)
    accepted = estimator().get_params()
    unknown = sorted(set(hyperparameters) - set(accepted))
    if unknown:
        rejected = ", ".join(unknown)
        raise ParamsError(f"train.hyperparameters: {rejected} not accepted by {estimator.__name__}")
    for key, value in hyperparameters.items():
        check_hyperparameter(estimator, key, value)
    seeded = {"random_state": seed} if "random_state" in accepted else {}
    return estimator(**{**seeded, **hyperparameters})


def check_hyperparameter(estimator: type, key: str, value: Any) -> None:
    """A value of the wrong type or range fails here, naming its params.yaml key, instead of
    deep inside `fit`. scikit-learn's own declared constraints decide (`_validate_params`)."""
    try:
        estimator(**{key: value})._validate_params()
    except (TypeError, ValueError) as error:  # scikit-learn's InvalidParameterError is both
        raise ParamsError(f"train.hyperparameters.{key}: {error}") from None


def build_pipeline(params: TrainParams) -> Pipeline:
    """Impute and scale in front of the estimator, so serving needs raw features only.

    The scaler works in place on the imputer's output, which is always a fresh copy of the
    input: one copy of the data fewer when fitting and predicting, the same numbers.
    """
    return Pipeline(
        [
            ("impute", SimpleImputer(strategy="median")),
            ("scale", StandardScaler(copy=False)),
            ("model", make_estimator(params.estimator, params.hyperparameters, params.seed)),
        ]
    )
