"""bento-model: import the registry's champion into the BentoML model store.

`models:/<name>@champion` is resolved to its version number first, so the bento records exactly
which version it serves; the MLflow version, run id, git commit and data hash become labels.
"""

from __future__ import annotations

import json
import tempfile

from .. import TASK, tracking
from ..config import Params, PipelineError

CHAMPION = "champion"
RAW_DATA_TAG = "dvc.ingest.data/raw/dataset.parquet"


def run(model_name: str) -> str:
    import bentoml
    import mlflow
    from mlflow import MlflowClient

    tracking.configure()
    version = tracking.version_with_alias(model_name, CHAMPION)
    if version is None:
        raise PipelineError(f"no @{CHAMPION} for model {model_name!r}: run `make register` first")
    model_version = MlflowClient().get_model_version(model_name, version)
    run = MlflowClient().get_run(model_version.run_id)
    labels = {
        "mlflow_model": model_name,
        "mlflow_version": version,
        "mlflow_alias": CHAMPION,
        "mlflow_run_id": model_version.run_id,
        "git_commit": run.data.tags.get("git.commit", "none"),
        "data_md5": run.data.tags.get(RAW_DATA_TAG, "none"),
        "task": TASK,
    }
    with tempfile.TemporaryDirectory() as scratch:
        uri = f"models:/{model_name}/{version}"
        local = mlflow.artifacts.download_artifacts(uri, dst_path=scratch)
        mlflow_model = mlflow.models.Model.load(local)
        example = mlflow_model.load_input_example(local)
        metadata = {
            "features": [spec.name for spec in mlflow_model.signature.inputs.inputs],
            "input_example": json.loads(example.to_json(orient="records")),
        }
        stored = bentoml.mlflow.import_model(model_name, local, labels=labels, metadata=metadata)
    print(f"bento-model: {stored.tag} <- models:/{model_name}/{version} (@{CHAMPION})")
    return str(stored.tag)


def main(params: Params) -> None:
    run(params.registry.model_name)
