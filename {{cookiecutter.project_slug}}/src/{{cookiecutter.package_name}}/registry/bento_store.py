"""The BentoML model store: the registry's champion goes in (`make bento-model`), and its
labels come back out for the image; a built bento's model is read back from its files
(`score --packed`, with the serving packages only: MLflow is imported where it is used).

`models:/<name>@champion` is resolved to its version number first, so the bento records exactly
which version it serves; the MLflow version, run id, git commit and data hash become labels.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .. import task
from ..config import Params
from ..errors import PipelineError
from ..paths import BENTO_MLFLOW_FOLDER
from ..vocabulary import (
    CHAMPION,
    GIT_COMMIT_TAG,
    LABEL_ALIAS,
    LABEL_DATA_MD5,
    LABEL_GIT_COMMIT,
    LABEL_MODEL,
    LABEL_MODEL_MD5,
    LABEL_RUN_ID,
    LABEL_TASK,
    LABEL_VERSION,
    METADATA_CLASSES,
    METADATA_FEATURE_BOUNDS,
    METADATA_FEATURES,
    METADATA_INPUT_EXAMPLE,
    MODEL_MD5_TAG,
    RAW_DATA_TAG,
)


def import_champion(model_name: str) -> str:
    """Import `models:/<model_name>@champion` into the store; return the stored model's tag."""
    import bentoml

    from .. import tracking

    tracking.configure(create=False)
    version = tracking.version_with_alias(model_name, CHAMPION)
    if version is None:
        raise PipelineError(f"no @{CHAMPION} for model {model_name!r}: run `make register` first")
    run = tracking.run_of_version(model_name, version)
    labels = {
        LABEL_MODEL: model_name,
        LABEL_VERSION: version,
        LABEL_ALIAS: CHAMPION,
        LABEL_RUN_ID: run.run_id,
        LABEL_GIT_COMMIT: run.tags.get(GIT_COMMIT_TAG, "none"),
        LABEL_DATA_MD5: run.tags.get(RAW_DATA_TAG, "none"),
        LABEL_TASK: task.NAME,
        LABEL_MODEL_MD5: run.tags.get(MODEL_MD5_TAG, ""),
    }
    with tempfile.TemporaryDirectory() as scratch:
        local = tracking.download_model(model_name, version, Path(scratch))
        features, example = tracking.input_example(local)
        bounds = tracking.feature_bounds_of(local)
        if bounds is None:
            raise PipelineError(
                f"models:/{model_name}/{version} (@{CHAMPION}) has no feature bounds: an older "
                "version of this project logged it. Register a model trained now and make it "
                "champion: `make repro register`, then `make promote MODEL_VERSION=<its version>`"
            )
        metadata = {
            METADATA_FEATURES: features,
            METADATA_INPUT_EXAMPLE: example,
            METADATA_FEATURE_BOUNDS: bounds,
            METADATA_CLASSES: known_classes(local),
        }
        stored = bentoml.mlflow.import_model(model_name, local, labels=labels, metadata=metadata)
    print(f"bento-model: {stored.tag} <- models:/{model_name}/{version} (@{CHAMPION})")
    return str(stored.tag)


def known_classes(model_folder: Path) -> list[Any]:
    """The classes of the model in `model_folder` as plain values; none for a regressor (an
    empty list: BentoML's metadata takes no null)."""
    from .. import tracking

    classes = task.classes(tracking.load_model(str(model_folder)))
    return [] if classes is None else classes.tolist()


def latest_labels(model_name: str) -> dict[str, str]:
    """The labels of the model most recently imported under this name."""
    import bentoml

    try:
        return dict(bentoml.models.get(f"{model_name}:latest").info.labels)
    except bentoml.exceptions.NotFound:
        raise PipelineError(f"no {model_name!r} in the BentoML store: run `make build`") from None


def latest_bento(name: str) -> str:
    """The tag of the bento `make serve` serves: the latest one built under this name."""
    import bentoml

    try:
        return str(bentoml.get(f"{name}:latest").tag)
    except bentoml.exceptions.NotFound:
        home = os.environ.get("BENTOML_HOME", "~/bentoml")
        raise PipelineError(
            f"no bento {name!r} in the BentoML store ({home}): run `make build` first"
        ) from None


def stored_of_versions(model_name: str, runs: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    """(kind, tag) of the store's models imported from each registered version (given with
    the id of its run), and of the bentos built from them (a bento holds its own copy).

    The run id is matched too: the store is per user (~/bentoml), so other projects, or other
    tracking stores of this one, put versions of the same number and name in it.
    """
    found: dict[str, list[tuple[str, str]]] = {version: [] for version in runs}
    if not runs:  # BentoML is imported only when there is something to look for
        return found
    import bentoml

    def listed(listing: Any) -> list[Any]:
        try:
            return list(listing(model_name))
        except bentoml.exceptions.NotFound:  # nothing of that name was ever stored
            return []

    models = {}
    for model in listed(bentoml.models.list):
        labels = model.info.labels
        version = labels.get(LABEL_VERSION, "")
        imported = (labels.get(LABEL_MODEL), labels.get(LABEL_RUN_ID))
        if version in runs and imported == (model_name, runs[version]):
            models[str(model.tag)] = version
    for bento in listed(bentoml.list):
        built_from = {models[tag] for m in bento.info.all_models if (tag := str(m.tag)) in models}
        for version in sorted(built_from):
            found[version].append(("bento", str(bento.tag)))
    for tag, version in models.items():
        found[version].append(("model", tag))
    return found


def delete(entries: list[tuple[str, str]]) -> None:
    """Delete `stored_of_versions` entries: bentos first, then the models they were built from."""
    if not entries:
        return
    import bentoml

    for kind, tag in entries:
        (bentoml.delete if kind == "bento" else bentoml.models.delete)(tag)


@dataclass(frozen=True)
class PackedModel:
    """A model as a built bento packs it: its MLflow model folder, its registry labels, and the
    features and bounds it was imported with (`import_champion`'s metadata)."""

    folder: Path
    version: str
    run_id: str
    features: list[str]  # in training order
    bounds: dict[str, float] | None


def packed_model(model_name: str, bento: str | None = None) -> PackedModel:
    """The model packed in the bento at `bento` (default: BENTO_PATH, which BentoML's image
    sets), read from its files: importing BentoML would write its home, and the image's root
    filesystem is read-only under Kubernetes; nor MLflow: the image has the serving packages
    only."""
    root = bento or os.environ.get("BENTO_PATH")
    if not root:
        raise PipelineError(
            "BENTO_PATH is not set: the packed model is the service image's; elsewhere score "
            "with the registry (leave out --packed)"
        )
    found = []
    for info_file in sorted((Path(root) / "models" / model_name).glob("*/model.yaml")):
        info = yaml.safe_load(info_file.read_text(encoding="utf-8")) or {}
        found.append((str(info.get("creation_time", "")), info_file, info))
    if not found:
        raise PipelineError(f"no model {model_name!r} packed in the bento at {root}")
    _, info_file, info = max(found, key=lambda entry: entry[0])
    labels, metadata = info.get("labels") or {}, info.get("metadata") or {}
    features = metadata.get(METADATA_FEATURES)
    if not features:
        raise PipelineError(
            f"{info_file}: no {METADATA_FEATURES!r} in the model's metadata (imported by an "
            "older version of this project): rebuild the image (`make build image`)"
        )
    bounds = metadata.get(METADATA_FEATURE_BOUNDS)
    return PackedModel(
        info_file.parent / BENTO_MLFLOW_FOLDER,
        str(labels.get(LABEL_VERSION, "")),
        str(labels.get(LABEL_RUN_ID, "")),
        [str(name) for name in features],
        None if bounds is None else {str(name): float(b) for name, b in bounds.items()},
    )


def main(params: Params) -> None:
    import_champion(params.registry.model_name)
