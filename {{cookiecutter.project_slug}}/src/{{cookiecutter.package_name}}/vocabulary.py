"""The registry's words: aliases, and the keys of MLflow tags and BentoML labels.

Runs, registered versions, bentos and images are found and described by these keys; every
module that writes or reads one uses the name here.
"""

from __future__ import annotations

from pathlib import Path

from .paths import RAW_DATA

# Aliases of registered versions (MLflow 3: aliases, not the deprecated stages).
CHAMPION = "champion"  # the version that is served
CHALLENGER = "challenger"  # registered, not better than the champion by the margin

# Tags of MLflow runs.
GIT_COMMIT_TAG = "git.commit"
GIT_DIRTY_TAG = "git.dirty"
# The training run is found by the md5 of the model file it wrote (see `tracking.training_run`).
MODEL_MD5_TAG = "model_md5"
MODEL_URI_TAG = "model_uri"
SOURCE_TAG = "source"
SOURCE_DVC = "dvc"  # the run logs a model DVC restored, not one trained in this store
TEST_PREFIX = "test_"  # test-set scores, logged by `evaluate`
TRAIN_PREFIX = "train_"  # in-sample scores, logged by `train`


def dvc_output_tag(stage: str, path: str) -> str:
    """The tag holding the md5 that dvc.lock records for one stage output."""
    return f"dvc.{stage}.{path}"


def data_md5_tag(path: Path) -> str:
    """The tag holding the md5 of a file the run read."""
    return f"data.{path.as_posix()}.md5"


RAW_DATA_TAG = dvc_output_tag("ingest", RAW_DATA.as_posix())

# Tags of registered versions.
RUN_ID_TAG = "run_id"
VERDICT_TAG = "verdict"  # the alias the promotion rule gave the version when it was registered
# The audit trail: one tag per event on each version it concerns, keyed
# `audit.<UTC time to the microsecond>.<action>` (so events never overwrite each other and sort
# by time), valued a small JSON record (who, commit, alias changes, what it replaced, why).
AUDIT_TAG_PREFIX = "audit."
REGISTER, PROMOTE, RETIRE = "register", "promote", "retire"  # the actions, as in the key
# Retirement (MLflow 3 has no stages): a lifecycle tag and the version that superseded it.
LIFECYCLE_TAG = "lifecycle"
ARCHIVED = "archived"
SUPERSEDED_BY_TAG = "superseded_by"

# Labels of the model in the BentoML store (and so of the bento and its image).
LABEL_MODEL = "mlflow_model"
LABEL_VERSION = "mlflow_version"
LABEL_ALIAS = "mlflow_alias"
LABEL_RUN_ID = "mlflow_run_id"
LABEL_GIT_COMMIT = "git_commit"
LABEL_DATA_MD5 = "data_md5"
LABEL_TASK = "task"
# The md5 of the model file the version was trained as (the prediction log and the reference
# profile carry it, so the monitor compares each prediction with its own model's reference).
LABEL_MODEL_MD5 = "model_md5"
# Metadata stored with it: the training features and the logged input example.
METADATA_FEATURES = "features"
METADATA_INPUT_EXAMPLE = "input_example"
# Each feature's largest allowed magnitude, from the training data (`api.feature_bounds`).
METADATA_FEATURE_BOUNDS = "feature_bounds"
# The classes the model knows (empty for a regressor): what `/feedback` accepts as `actual`.
METADATA_CLASSES = "classes"
