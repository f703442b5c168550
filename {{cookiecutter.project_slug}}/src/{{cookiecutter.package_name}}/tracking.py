"""MLflow edge: where runs go, what lineage they carry, and the registry's aliases."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
import yaml
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature

from .data_io import md5

# A local SQLite store by default (MLflow's file store is deprecated); MLFLOW_TRACKING_URI points
# the same code at a tracking server.
DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
# Artifacts of a local SQLite store live in one folder beside the database (git-ignored in the
# project) instead of ./mlruns.
LOCAL_ARTIFACTS = "mlartifacts"
SQLITE_PREFIX = "sqlite:///"
DVC_LOCK = Path("dvc.lock")


def configure() -> str:
    uri = os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI
    mlflow.set_tracking_uri(uri)
    return uri


def experiment_id(name: str) -> str:
    existing = mlflow.get_experiment_by_name(name)
    if existing is not None:
        return existing.experiment_id
    # A tracking server chooses (and proxies) its own artifact store.
    uri = mlflow.get_tracking_uri()
    location = None
    if uri.startswith(SQLITE_PREFIX):
        database = Path(uri.removeprefix(SQLITE_PREFIX)).resolve()
        location = (database.parent / LOCAL_ARTIFACTS).as_uri()
    return mlflow.create_experiment(name, artifact_location=location)


def _git(*args: str) -> str | None:
    try:
        result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            ["git", *args],  # noqa: S607 - git is found on PATH like every developer tool
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return result.stdout.strip()


def dvc_lock_hashes(lock_file: Path = DVC_LOCK) -> dict[str, str]:
    """md5 of every output recorded in dvc.lock, keyed `dvc.<stage>.<path>`."""
    if not lock_file.is_file():
        return {}
    stages = (yaml.safe_load(lock_file.read_text(encoding="utf-8")) or {}).get("stages", {})
    return {
        f"dvc.{stage}.{out['path']}": out["md5"]
        for stage, entry in stages.items()
        for out in entry.get("outs", [])
        if "md5" in out
    }


def lineage_tags(inputs: list[Path]) -> dict[str, str]:
    """What this run was made from: the commit, whether the tree was dirty, and data hashes."""
    commit = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain", "--untracked-files=no")
    tags = {
        "git.commit": commit or "none",
        "git.dirty": "unknown" if status is None else str(bool(status)).lower(),
    }
    tags.update(dvc_lock_hashes())
    tags.update({f"data.{path.as_posix()}.md5": md5(path) for path in inputs})
    return tags


# MLflow stores scikit-learn models with skops, which loads only types its caller trusts.
TRUSTED_TYPE_PREFIXES = ("numpy.", "scipy.", "sklearn.")


def skops_trusted_types(model: Any) -> list[str]:
    """The types `model` needs trusted; only NumPy, SciPy and scikit-learn types qualify."""
    import skops.io

    needed = skops.io.get_untrusted_types(data=skops.io.dumps(model))
    foreign = [name for name in needed if not name.startswith(TRUSTED_TYPE_PREFIXES)]
    if foreign:
        raise TypeError(f"model holds types outside NumPy/SciPy/scikit-learn: {foreign}")
    return needed


def log_model(model: Any, example: pd.DataFrame) -> str:
    """Log a fitted model with its signature and input example; return its model URI."""
    logged = mlflow.sklearn.log_model(
        model,
        name="model",
        signature=infer_signature(example, model.predict(example)),
        input_example=example,
        skops_trusted_types=skops_trusted_types(model),
    )
    return logged.model_uri


# The training run is found by the md5 of the model file it produced: the pipeline's outputs stay
# byte-reproducible (no run id in a DVC output) and any store that saw the training knows the run.
MODEL_MD5_TAG = "model_md5"
MODEL_URI_TAG = "model_uri"


def training_run(model_md5: str) -> mlflow.entities.Run | None:
    """The latest run, in any experiment, that logged the model file with this md5."""
    runs = mlflow.search_runs(
        search_all_experiments=True,
        filter_string=f"tags.{MODEL_MD5_TAG} = '{model_md5}'",
        order_by=["attributes.start_time DESC"],
        max_results=1,
        output_format="list",
    )
    return runs[0] if runs else None


def register(model_uri: str, name: str, tags: dict[str, Any]) -> str:
    """Register `model_uri` as a new version of `name`; return the version number."""
    version = mlflow.register_model(model_uri, name, tags={k: str(v) for k, v in tags.items()})
    return str(version.version)


def version_with_alias(name: str, alias: str) -> str | None:
    try:
        return str(MlflowClient().get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


def set_alias(name: str, alias: str, version: str) -> None:
    MlflowClient().set_registered_model_alias(name, alias, version)


def tag_version(name: str, version: str, tags: dict[str, Any]) -> None:
    client = MlflowClient()
    for key, value in tags.items():
        client.set_model_version_tag(name, version, key, str(value))
