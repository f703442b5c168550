"""The scikit-learn model of an MLflow model folder, loaded without MLflow (the serving path's
loader: importing MLflow cost seconds of every cold start and a quarter of the image).

It does what `mlflow.sklearn.load_model` does for the skops format this project logs: read the
`sklearn` flavour of the folder's `MLmodel` file and `skops.io.load` the file it names, trusting
the types listed there. The object, and so every prediction, is the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import PipelineError
from .paths import MLMODEL_FILE

SKOPS = "skops"


def sklearn_flavor(folder: Path) -> dict[str, Any]:
    """The `sklearn` section of the folder's `MLmodel` file."""
    try:
        text = (folder / MLMODEL_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PipelineError(f"{folder}: no {MLMODEL_FILE} file, not an MLflow model") from None
    flavor = (yaml.safe_load(text) or {}).get("flavors", {}).get("sklearn")
    if not isinstance(flavor, dict):
        raise PipelineError(f"{folder / MLMODEL_FILE}: no sklearn flavour")
    return flavor


def load(folder: Path) -> Any:
    """The fitted estimator saved in `folder` (an MLflow model folder in the skops format)."""
    flavor = sklearn_flavor(folder)
    serialization = flavor.get("serialization_format")
    if serialization != SKOPS:
        raise PipelineError(
            f"{folder}: the model is saved as {serialization!r}, the service loads {SKOPS!r} "
            "models only (what this project logs): register a model trained now (`make repro "
            "register`)"
        )
    import skops.io

    trusted = [str(name) for name in flavor.get("skops_trusted_types") or []]
    return skops.io.load(folder / str(flavor["pickled_model"]), trusted=trusted)
