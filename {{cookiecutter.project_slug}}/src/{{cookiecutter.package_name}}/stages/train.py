"""train: fit the pipeline, save it for DVC and log it, with lineage, to MLflow."""

from __future__ import annotations

import joblib
import mlflow

from .. import metrics, tracking
from ..config import Params, TrainParams
from ..data_io import TRAIN_DATA, md5, read_table
from ..features import build_pipeline
from ..schema import split_features_target
from . import INPUT_EXAMPLE_ROWS, MODEL_FILE


def run(params: TrainParams, target: str) -> None:
    X, y = split_features_target(read_table(TRAIN_DATA), target)
    pipeline = build_pipeline(params).fit(X, y)
    MODEL_FILE.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(pipeline, MODEL_FILE)

    tracking.configure()
    with mlflow.start_run(experiment_id=tracking.experiment_id(params.experiment)) as run:
        mlflow.log_params(
            {
                "estimator": params.estimator,
                "seed": params.seed,
                "target": target,
                **{f"hyperparameters.{k}": v for k, v in params.hyperparameters.items()},
            }
        )
        mlflow.set_tags(tracking.lineage_tags([TRAIN_DATA]))
        mlflow.set_tag(tracking.MODEL_MD5_TAG, md5(MODEL_FILE))
        # In-sample scores: compared with evaluate's test_* scores they reveal overfitting.
        scores = metrics.evaluate_model(pipeline, X, y)
        mlflow.log_metrics({f"train_{name}": value for name, value in scores.items()})
        model_uri = tracking.log_model(pipeline, X.head(INPUT_EXAMPLE_ROWS))
        mlflow.set_tag(tracking.MODEL_URI_TAG, model_uri)
    print(f"train: {params.estimator} on {len(X)} rows, MLflow run {run.info.run_id}")


def main(params: Params) -> None:
    run(params.train, params.ingest.target)
