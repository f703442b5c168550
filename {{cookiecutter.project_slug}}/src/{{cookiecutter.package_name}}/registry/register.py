"""register: add the trained model to the MLflow registry and decide its alias.

The candidate becomes `champion` only when it beats the current champion, re-scored on the same
test set, by more than `registry.min_improvement`; otherwise it becomes `challenger`.
"""

from __future__ import annotations

from pathlib import Path

import joblib

from .. import metrics, tracking
from ..config import Params
from ..data_contract import split_features_target
from ..data_io import md5, read_json, read_table
from ..errors import PipelineError
from ..paths import DVC_LOCK, METRICS_FILE, MODEL_FILE, TEST_DATA, TRAIN_DATA
from ..stages.train import run_params
from ..vocabulary import (
    CHALLENGER,
    CHAMPION,
    MODEL_URI_TAG,
    REGISTER,
    RUN_ID_TAG,
    SOURCE_DVC,
    SOURCE_TAG,
    TEST_PREFIX,
    VERDICT_TAG,
    dvc_output_tag,
)
from . import audit, trail


def champion_score(name: str, version: str, target: str, metric: str) -> float | None:
    """The champion's score on today's test set, or None when it cannot score it."""
    X, y = split_features_target(read_table(TEST_DATA), target)
    champion = tracking.load_model(f"models:/{name}/{version}")
    try:
        return metrics.evaluate_model(champion, X, y)[metric]
    except (KeyError, ValueError) as error:  # e.g. the features changed since it was trained
        print(f"register: champion v{version} cannot score the current test set ({error})")
        return None


def log_pipeline_model(params: Params) -> tracking.Run:
    """Log the DVC-tracked model as a run when this store never saw it trained.

    This happens when DVC restored the model (from its run cache or a remote) instead of training
    it here, as in CI: the file is the exact pipeline output recorded in dvc.lock, so it is
    logged with the training settings, the same lineage tags and its test scores, marked
    `source=dvc`. Its input example and feature bounds come from the training data, as
    `train` logs them.
    """
    X, _ = split_features_target(read_table(TRAIN_DATA), params.ingest.target)
    scores = read_json(METRICS_FILE)
    run = tracking.log_model_run(
        params.train.experiment, joblib.load(MODEL_FILE), MODEL_FILE, X,
        params=run_params(params.train, params.ingest.target),
        tags={**tracking.lineage_tags([MODEL_FILE]), SOURCE_TAG: SOURCE_DVC},
        metrics={f"{TEST_PREFIX}{name}": value for name, value in scores.items()},
    )  # fmt: skip
    print(
        f"register: no finished run in this store logged {MODEL_FILE}; logged the DVC output "
        f"as run {run.run_id} in experiment {run.experiment!r}"
    )
    return run


def check_pipeline_output(model_md5: str, lock_file: Path = DVC_LOCK) -> None:
    """The model file must be the one dvc.lock records, so metrics.json scores this model: a
    training stopped after writing the file, or a model trained outside DVC, is not it."""
    key = dvc_output_tag("train", MODEL_FILE.as_posix())
    recorded = tracking.dvc_lock_hashes(lock_file).get(key)
    if recorded is not None and recorded != model_md5:
        raise PipelineError(
            f"{MODEL_FILE} is not the model {lock_file} records (training was interrupted or ran "
            "outside the pipeline): run `make repro` first"
        )


def run(params: Params) -> tuple[str, str]:
    registry, target = params.registry, params.ingest.target
    model_md5 = md5(MODEL_FILE) if MODEL_FILE.is_file() else None
    if model_md5 is None:
        raise PipelineError(f"{MODEL_FILE} is missing: run `make repro` first")
    check_pipeline_output(model_md5)
    tracking.configure()
    trained = tracking.training_run(model_md5) or log_pipeline_model(params)
    candidate = read_json(METRICS_FILE)[registry.metric]
    name = registry.model_name
    current = tracking.version_with_alias(name, CHAMPION)
    incumbent = None if current is None else champion_score(name, current, target, registry.metric)
    alias = metrics.promotion_alias(registry.metric, candidate, incumbent, registry.min_improvement)

    version = tracking.register(
        trained.tags[MODEL_URI_TAG],
        name,
        tags={
            f"{TEST_PREFIX}{registry.metric}": candidate,
            RUN_ID_TAG: trained.run_id,
            VERDICT_TAG: alias,
        },
    )
    # The alias moves from its holder: the previous champion is demoted, or a new challenger
    # replaces the previous one.
    holder = current if alias == CHAMPION else tracking.version_with_alias(name, CHALLENGER)
    tracking.set_alias(name, alias, version)
    if incumbent is None:
        reason = "no champion could be compared"
    else:
        reason = (
            f"{registry.metric} {candidate:.4f} vs champion v{current} {incumbent:.4f}, "
            f"margin {registry.min_improvement}"
        )
    why = f"@{alias}: {reason}"
    trail.record(name, audit.alias_moved(trail.stamp(), REGISTER, why, alias, version, holder))
    print(f"register: {name} version {version} -> @{alias} ({reason})")
    return version, alias


def main(params: Params) -> None:
    run(params)
