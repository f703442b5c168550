"""train: fit the pipeline, save it for DVC and log it, with lineage, to MLflow."""

from __future__ import annotations

import sys
from typing import Any

import joblib

from .. import metrics, tracking
from ..config import Params, TrainParams
from ..data_contract import split_features_target
from ..data_io import read_table
from ..estimator import build_pipeline
from ..paths import MODEL_FILE, TRAIN_DATA
from ..vocabulary import TRAIN_PREFIX
from . import run_stage


def run_params(params: TrainParams, target: str) -> dict[str, Any]:
    """What a run records of the training settings (also for a model DVC restored)."""
    return {
        "estimator": params.estimator,
        "seed": params.seed,
        "target": target,
        **{f"hyperparameters.{k}": v for k, v in params.hyperparameters.items()},
    }


def run(params: TrainParams, target: str) -> None:
    X, y = split_features_target(read_table(TRAIN_DATA), target)
    pipeline = build_pipeline(params).fit(X, y)
    MODEL_FILE.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(pipeline, MODEL_FILE)

    tracking.configure()
    # In-sample scores: compared with evaluate's test scores they reveal overfitting.
    scores = metrics.evaluate_model(pipeline, X, y)
    run = tracking.log_model_run(
        params.experiment, pipeline, MODEL_FILE, X,
        params=run_params(params, target),
        tags=tracking.lineage_tags([TRAIN_DATA]),
        metrics={f"{TRAIN_PREFIX}{name}": value for name, value in scores.items()},
    )  # fmt: skip
    print(f"train: {params.estimator} on {len(X)} rows, MLflow run {run.run_id}")


def main(params: Params) -> None:
    run(params.train, params.ingest.target)


if __name__ == "__main__":
    sys.exit(run_stage("train", main))
