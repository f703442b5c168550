"""MLflow edge: the only module that talks to MLflow (runs, lineage, the registry, models).

Everything else calls these functions and gets plain values back, never MLflow objects.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import mlflow
import pandas as pd
import yaml
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature

from . import git
from .api import feature_bounds
from .data_io import md5
from .errors import PipelineError, Terminated
from .paths import DVC_LOCK
from .vocabulary import (
    GIT_COMMIT_TAG,
    GIT_DIRTY_TAG,
    METADATA_FEATURE_BOUNDS,
    MODEL_MD5_TAG,
    MODEL_URI_TAG,
    data_md5_tag,
    dvc_output_tag,
)

# A local SQLite store by default (MLflow's file store is deprecated); MLFLOW_TRACKING_URI points
# the same code at a tracking server.
DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
# Artifacts of a local SQLite store live in one folder beside the database (git-ignored in the
# project) instead of ./mlruns.
LOCAL_ARTIFACTS = "mlartifacts"
SQLITE_PREFIX = "sqlite:///"
# Rows of training data logged with the model: its input example and the service's golden payload.
INPUT_EXAMPLE_ROWS = 5
# MLflow stores scikit-learn models with skops, which loads only types its caller trusts.
TRUSTED_TYPE_PREFIXES = ("numpy.", "scipy.", "sklearn.")
# MLflow retries a request to a tracking server for minutes (MLFLOW_HTTP_REQUEST_MAX_RETRIES,
# MLFLOW_HTTP_REQUEST_TIMEOUT: right for a rate-limited server, silent for one that is down), so
# one request without retries asks first whether anything answers at all.
SERVER_TIMEOUT_ENV = "TRACKING_SERVER_TIMEOUT"
DEFAULT_SERVER_TIMEOUT = 5.0
# What a run holds when it was interrupted, as opposed to failed.
KILLED, FAILED, FINISHED = "KILLED", "FAILED", "FINISHED"


@dataclass(frozen=True)
class Run:
    run_id: str
    experiment: str  # its name
    tags: dict[str, str]


def configure(*, create: bool = True) -> str:
    """Point MLflow at the configured store once it is known to answer.

    `create=False` is for commands that only read the registry: a local store that does not
    exist is then an error, not an empty database left behind.
    """
    uri = os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI
    if uri.startswith(SQLITE_PREFIX):
        check_sqlite_store(Path(uri.removeprefix(SQLITE_PREFIX)), create=create)
    elif uri.startswith(("http://", "https://")):
        check_server(uri, server_timeout(os.environ.get(SERVER_TIMEOUT_ENV)))
    mlflow.set_tracking_uri(uri)
    return uri


def server_timeout(setting: str | None) -> float:
    """Seconds to wait for a tracking server's first answer (TRACKING_SERVER_TIMEOUT)."""
    if not setting:
        return DEFAULT_SERVER_TIMEOUT
    try:
        seconds = float(setting)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise PipelineError(f"{SERVER_TIMEOUT_ENV}={setting!r}: set it to seconds above 0")
    return seconds


def check_server(uri: str, timeout: float) -> None:
    """An MLflow server answers `/health` (no credentials needed); one behind an authenticating
    proxy at least answers 401/403. Anything else is no tracking server."""
    health = f"{uri.rstrip('/')}/health"
    try:
        # S310: the scheme is http(s), checked by the caller.
        with urllib.request.urlopen(health, timeout=timeout):  # noqa: S310
            return
    except urllib.error.HTTPError as error:
        if error.code in (401, 403):
            return
        problem = f"answers GET {health} with HTTP {error.code}, so it is no MLflow server"
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            problem = f"does not answer within {timeout:g} s ({SERVER_TIMEOUT_ENV} sets the wait)"
        else:
            problem = f"does not answer ({reason})"
    raise PipelineError(
        f"the MLflow tracking server {uri} {problem}: start it (`make stack-up`), correct "
        "MLFLOW_TRACKING_URI, or unset it to use the local store"
    )


def check_sqlite_store(database: Path, *, create: bool) -> None:
    """A local store is a readable SQLite database, or absent (then MLflow creates it)."""
    if not database.is_file():
        if not create:
            raise PipelineError(
                f"no MLflow store at {database}, so no registered model: run `make register` "
                "first (or set MLFLOW_TRACKING_URI to the store that has it)"
            )
        return
    # Read-only: a broken file is reported as it is, never "repaired" or extended.
    readonly = f"{database.resolve().as_uri()}?mode=ro"
    try:
        with closing(sqlite3.connect(readonly, uri=True)) as connection:
            verdict = str(connection.execute("PRAGMA quick_check").fetchone()[0])
    except sqlite3.Error as error:
        verdict = str(error)
    if verdict != "ok":
        raise PipelineError(
            f"the MLflow store {database} is unreadable ({verdict}): restore it from a backup, "
            f"or move it aside (`mv {database} {database}.broken`) to start an empty store"
        )


def experiment_id(name: str) -> str:
    existing = mlflow.get_experiment_by_name(name)
    if existing is not None:
        return str(existing.experiment_id)
    # A tracking server chooses (and proxies) its own artifact store.
    uri = mlflow.get_tracking_uri()
    location = None
    if uri.startswith(SQLITE_PREFIX):
        database = Path(uri.removeprefix(SQLITE_PREFIX)).resolve()
        location = (database.parent / LOCAL_ARTIFACTS).as_uri()
    return str(mlflow.create_experiment(name, artifact_location=location))


# Lineage: what a run was made from.


def dvc_lock_hashes(lock_file: Path = DVC_LOCK) -> dict[str, str]:
    """md5 of every output recorded in dvc.lock, keyed `dvc.<stage>.<path>`."""
    if not lock_file.is_file():
        return {}
    stages = (yaml.safe_load(lock_file.read_text(encoding="utf-8")) or {}).get("stages", {})
    return {
        dvc_output_tag(stage, out["path"]): out["md5"]
        for stage, entry in stages.items()
        for out in entry.get("outs", [])
        if "md5" in out
    }


def lineage_tags(inputs: list[Path]) -> dict[str, str]:
    """The commit, whether the tree was dirty, and the hashes of the data."""
    dirty = git.is_dirty()
    tags = {
        GIT_COMMIT_TAG: git.head_commit() or "none",
        GIT_DIRTY_TAG: "unknown" if dirty is None else str(dirty).lower(),
    }
    tags.update(dvc_lock_hashes())
    tags.update({data_md5_tag(path): md5(path) for path in inputs})
    return tags


# Runs.


def skops_trusted_types(model: Any) -> list[str]:
    """The types `model` needs trusted; only NumPy, SciPy and scikit-learn types qualify."""
    import skops.io

    needed: list[str] = skops.io.get_untrusted_types(data=skops.io.dumps(model))
    foreign = [name for name in needed if not name.startswith(TRUSTED_TYPE_PREFIXES)]
    if foreign:
        raise TypeError(f"model holds types outside NumPy/SciPy/scikit-learn: {foreign}")
    return needed


def log_model(model: Any, example: pd.DataFrame, metadata: dict[str, Any]) -> str:
    """Log a fitted model with its signature, input example and metadata; return its model URI.

    Its requirements are what loading it needs (scikit-learn and skops, pinned to the versions
    that saved it), stated rather than inferred: inference either exports the whole project's
    lock or imports the model in a subprocess (seconds per run).
    """
    logged = mlflow.sklearn.log_model(
        model,
        name="model",
        signature=infer_signature(example, model.predict(example)),
        input_example=example,
        skops_trusted_types=skops_trusted_types(model),
        metadata=metadata,
        pip_requirements=mlflow.sklearn.get_default_pip_requirements(include_skops=True),
    )
    return str(logged.model_uri)


def log_model_run(
    experiment: str,
    model: Any,
    model_file: Path,
    X: pd.DataFrame,
    *,
    params: dict[str, Any],
    tags: dict[str, str],
    metrics: dict[str, float],
) -> Run:
    """One run holding a model file's model: params, tags, metrics, the model and its example.

    The run is tagged with the file's md5, which is how it is found again (`training_run`).
    """
    with started_run(experiment=experiment) as run_id:
        mlflow.log_params(params)
        mlflow.set_tags(tags)
        mlflow.log_metrics(metrics)
        # The bounds the API puts on each feature come from the data the model learnt from.
        bounds = {METADATA_FEATURE_BOUNDS: feature_bounds(X)}
        model_uri = log_model(model, X.head(INPUT_EXAMPLE_ROWS), bounds)
        # Tagged with the file's md5 last: a run is found only once it holds the whole model.
        mlflow.set_tags({MODEL_URI_TAG: model_uri, MODEL_MD5_TAG: md5(model_file)})
    return run_of(run_id)


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signal.Signals(signum).name)


@contextmanager
def started_run(*, experiment: str | None = None, run_id: str | None = None) -> Iterator[str]:
    """Start a run in `experiment` (or reopen `run_id`), yield its id and end it on every way
    out: FINISHED, FAILED on an error, KILLED on Ctrl-C or SIGTERM, which DVC and CI runners
    send to stop a job and which would otherwise leave the run RUNNING for good. A reopened run
    already holds its model: it stays FINISHED whatever happens."""
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _raise_terminated) if main else None
    failed, killed = (FINISHED, FINISHED) if run_id else (FAILED, KILLED)
    status, started = failed, False
    try:
        if run_id is None:
            run_id = mlflow.start_run(experiment_id=experiment_id(str(experiment))).info.run_id
        else:
            mlflow.start_run(run_id=run_id)
        started = True
        yield str(run_id)
        status = FINISHED
    except (KeyboardInterrupt, Terminated):
        status = killed
        raise
    finally:
        if started:
            mlflow.end_run(status)
        if main:
            signal.signal(signal.SIGTERM, previous)


def run_of(run_id: str) -> Run:
    run = mlflow.get_run(run_id)
    experiment = mlflow.get_experiment(run.info.experiment_id)
    return Run(run_id, str(experiment.name), dict(run.data.tags))


def log_to_run(run_id: str, metrics: dict[str, float], files: list[Path], folder: str) -> None:
    """Add metrics and files (under `folder` in its artifacts) to an existing run."""
    with started_run(run_id=run_id):
        mlflow.log_metrics(metrics)
        for path in files:
            mlflow.log_artifact(str(path), artifact_path=folder)


# Monitoring runs (`make monitor`): one per check, in their own experiment, linked by tags to
# the served model and the run that trained it. Never tagged MODEL_MD5_TAG: a monitoring run
# must not be mistaken for the training run of a model file.
MONITOR_TAG_PREFIX = "monitor."
# MLflow's metric names take letters, digits and `_-. /`; other characters become `_`.
METRIC_NAME = re.compile(r"[^\w\-. /]")


def metric_key(name: str) -> str:
    return METRIC_NAME.sub("_", name)


def log_monitoring_run(
    experiment: str,
    model_md5: str,
    tags: dict[str, str],
    metrics: dict[str, float],
    files: list[Path],
) -> str:
    """One finished run holding a monitoring check: tags, metrics and the report's files."""
    configure()
    trained = training_run(model_md5)
    linked = {
        **{f"{MONITOR_TAG_PREFIX}{key}": value for key, value in tags.items()},
        f"{MONITOR_TAG_PREFIX}model_md5": model_md5,
        f"{MONITOR_TAG_PREFIX}training_run_id": trained.run_id if trained else "unknown",
    }
    with started_run(experiment=experiment) as run_id:
        mlflow.set_tags(linked)
        mlflow.log_metrics({metric_key(name): value for name, value in metrics.items()})
        for path in files:
            mlflow.log_artifact(str(path))
    return run_id


# The training run is found by the md5 of the model file it produced: the pipeline's outputs stay
# byte-reproducible (no run id in a DVC output) and any store that saw the training knows the run.
def training_run(model_md5: str) -> Run | None:
    """The latest finished run, in any experiment, that logged the model file with this md5.

    An interrupted or failed run (RUNNING after a SIGKILL, KILLED, FAILED) may lack the model:
    it is never the one returned.
    """
    runs = mlflow.search_runs(
        search_all_experiments=True,
        filter_string=f"tags.{MODEL_MD5_TAG} = '{model_md5}' and attributes.status = '{FINISHED}'",
        order_by=["attributes.start_time DESC"],
        max_results=10,
        output_format="list",
    )
    complete = [run for run in runs if MODEL_URI_TAG in run.data.tags]
    return run_of(complete[0].info.run_id) if complete else None


def recent_runs(limit: int = 10) -> list[dict[str, Any]]:
    """The latest runs of every experiment, newest first, with their test and train scores."""
    runs = mlflow.search_runs(
        search_all_experiments=True,
        order_by=["attributes.start_time DESC"],
        max_results=limit,
        output_format="list",
    )
    return [
        {
            "run_id": run.info.run_id,
            "experiment": str(mlflow.get_experiment(run.info.experiment_id).name),
            "status": run.info.status,
            **{name: value for name, value in sorted(run.data.metrics.items())},
        }
        for run in runs
    ]


# The registry.


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


def delete_alias(name: str, alias: str) -> None:
    MlflowClient().delete_registered_model_alias(name, alias)


def aliases_of(name: str, version: str) -> list[str]:
    """The aliases of a registered version; PipelineError when there is no such version."""
    try:
        return list(MlflowClient().get_model_version(name, version).aliases)
    except MlflowException:
        uri = mlflow.get_tracking_uri()
        raise PipelineError(f"model {name!r} has no version {version!r} in {uri}") from None


def run_of_version(name: str, version: str) -> Run:
    """The run that logged a registered version."""
    run_id = MlflowClient().get_model_version(name, version).run_id
    if run_id is None:
        raise PipelineError(f"model {name!r} version {version} was not registered from a run")
    return run_of(run_id)


def versions_of_run(name: str, run_id: str) -> list[tuple[str, list[str]]]:
    """(version, aliases) of every version of `name` registered from this run."""
    client = MlflowClient()
    found = client.search_model_versions(f"name = '{name}' and run_id = '{run_id}'")
    # Search results omit aliases: each version is read again.
    versions = [client.get_model_version(name, version.version) for version in found]
    return [(str(version.version), list(version.aliases)) for version in versions]


def tag_version(name: str, version: str, tags: dict[str, str]) -> None:
    client = MlflowClient()
    for key, value in tags.items():
        client.set_model_version_tag(name, version, key, value)


def describe_version(name: str, version: str, description: str) -> None:
    MlflowClient().update_model_version(name, version, description=description)


def version_tags(name: str, version: str) -> dict[str, str]:
    return dict(MlflowClient().get_model_version(name, version).tags)


def model_versions(name: str) -> list[dict[str, Any]]:
    """Every version of `name`: version, run id, aliases, tags, description, creation time (ms);
    PipelineError when no model of that name is registered."""
    client = MlflowClient()
    try:
        aliases = client.get_registered_model(name).aliases
    except MlflowException:
        uri = mlflow.get_tracking_uri()
        raise PipelineError(
            f"no model {name!r} registered in {uri}: run `make register` first"
        ) from None
    # Search results carry tags but not aliases: those come from the registered model.
    holders = {alias: str(held) for alias, held in aliases.items()}
    found = client.search_model_versions(f"name = '{name}'")
    return [
        {
            "version": str(version.version),
            "run_id": version.run_id or "",
            "aliases": sorted(a for a, held in holders.items() if held == str(version.version)),
            "tags": dict(version.tags),
            "description": version.description or "",
            "created_ms": int(version.creation_timestamp),
        }
        for version in found
    ]


# Models.


def load_model(uri: str) -> Any:
    """A logged scikit-learn model: `models:/<name>/<version>`, or a local model folder."""
    return mlflow.sklearn.load_model(uri)


def download_model(name: str, version: str, folder: Path) -> Path:
    """A registered version's MLflow model folder, downloaded into `folder`."""
    uri = f"models:/{name}/{version}"
    return Path(mlflow.artifacts.download_artifacts(uri, dst_path=str(folder)))


def feature_bounds_of(model_folder: Path) -> dict[str, float] | None:
    """The feature bounds logged with a model (see `log_model_run`); None for a model logged
    before they were."""
    metadata = mlflow.models.Model.load(str(model_folder)).metadata or {}
    bounds = metadata.get(METADATA_FEATURE_BOUNDS)
    return None if bounds is None else {str(name): float(b) for name, b in bounds.items()}


def input_example(model_folder: Path) -> tuple[list[str], list[dict[str, Any]]]:
    """The feature names of a model's signature and its logged input example rows."""
    model = mlflow.models.Model.load(str(model_folder))
    if model.signature is None:
        raise PipelineError(f"{model_folder}: the model was logged without a signature")
    features = [str(spec.name) for spec in model.signature.inputs.inputs]
    example = pd.DataFrame(model.load_input_example(str(model_folder)))
    # A missing value stays NaN here (BentoML's metadata takes no None); clients send null.
    return features, list(example.to_dict(orient="records"))
