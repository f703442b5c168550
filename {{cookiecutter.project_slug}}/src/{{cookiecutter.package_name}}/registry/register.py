"""register: add the trained model to the MLflow registry and decide its alias.

The candidate becomes `champion` only when it beats the current champion, re-scored on the same
test set, by more than `registry.min_improvement`; otherwise it becomes `challenger`.
Registry stages are deprecated in MLflow 3: aliases only.
"""

from __future__ import annotations

import json
from typing import Any

from .. import metrics, tracking
from ..config import Params, RegistryParams
from ..data_io import TEST_DATA, md5, read_table
from ..schema import split_features_target
from . import INPUT_EXAMPLE_ROWS, METRICS_FILE, MODEL_FILE


def champion_score(name: str, version: str, target: str, metric: str) -> float | None:
    """The champion's score on today's test set, or None when it cannot score it."""
    import mlflow

    X, y = split_features_target(read_table(TEST_DATA), target)
    champion = mlflow.sklearn.load_model(f"models:/{name}/{version}")
    try:
        return metrics.evaluate_model(champion, X, y)[metric]
    except (KeyError, ValueError) as error:  # e.g. the features changed since it was trained
        print(f"register: champion v{version} cannot score the current test set ({error})")
        return None


def log_pipeline_model(model_md5: str, target: str, experiment: str) -> Any:
    """Log the DVC-tracked model as a run when this store never saw it trained.

    This happens when DVC restored the model (from its run cache or a remote) instead of training
    it here, as in CI: the file is the exact pipeline output recorded in dvc.lock, so it is
    logged with the same lineage tags and its test scores, marked `source=dvc`.
    """
    import joblib
    import mlflow

    print(f"register: no run in this store trained {MODEL_FILE}; logging it from the DVC output")
    X, _ = split_features_target(read_table(TEST_DATA), target)
    model = joblib.load(MODEL_FILE)
    scores = json.loads(METRICS_FILE.read_text(encoding="utf-8"))
    with mlflow.start_run(experiment_id=tracking.experiment_id(experiment)) as run:
        mlflow.set_tags({**tracking.lineage_tags([MODEL_FILE]), "source": "dvc"})
        mlflow.set_tag(tracking.MODEL_MD5_TAG, model_md5)
        mlflow.log_metrics({f"test_{name}": value for name, value in scores.items()})
        model_uri = tracking.log_model(model, X.head(INPUT_EXAMPLE_ROWS))
        mlflow.set_tag(tracking.MODEL_URI_TAG, model_uri)
    return mlflow.get_run(run.info.run_id)


def run(params: RegistryParams, target: str) -> tuple[str, str]:
    tracking.configure()
    model_md5 = md5(MODEL_FILE)
    trained = tracking.training_run(model_md5) or log_pipeline_model(
        model_md5, target, params.model_name
    )
    run_id = trained.info.run_id
    candidate = json.loads(METRICS_FILE.read_text(encoding="utf-8"))[params.metric]
    name = params.model_name
    current = tracking.version_with_alias(name, "champion")
    incumbent = None if current is None else champion_score(name, current, target, params.metric)
    alias = metrics.promotion_alias(params.metric, candidate, incumbent, params.min_improvement)

    version = tracking.register(
        trained.data.tags[tracking.MODEL_URI_TAG],
        name,
        tags={f"test_{params.metric}": candidate, "run_id": run_id, "verdict": alias},
    )
    tracking.set_alias(name, alias, version)
    if incumbent is None:
        reason = "no champion could be compared"
    else:
        reason = (
            f"{params.metric} {candidate:.4f} vs champion v{current} {incumbent:.4f}, "
            f"margin {params.min_improvement}"
        )
    print(f"register: {name} version {version} -> @{alias} ({reason})")
    return version, alias


def main(params: Params) -> None:
    run(params.registry, params.ingest.target)
