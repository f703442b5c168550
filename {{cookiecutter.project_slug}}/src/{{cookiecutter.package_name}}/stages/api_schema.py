"""api_schema: write the HTTP API's OpenAPI description for the data the model is trained on.

The same document the service publishes at `/docs.json` (with its default limits): feature
names and bounds come from the training table, as `train` logs them with the model.
"""

from __future__ import annotations

import sys
from types import SimpleNamespace
from typing import Any

import numpy as np

from .. import task
from ..api import feature_bounds, openapi
from ..config import Params
from ..data_io import read_table, write_json
from ..paths import API_SCHEMA_FILE, TRAIN_DATA
from . import run_stage


def run(target: str, title: str) -> dict[str, Any]:
    train = read_table(TRAIN_DATA)
    features = train.drop(columns=[target])
    # The classes a classifier fitted on this table knows: scikit-learn's are the sorted
    # distinct labels (`task.classes` answers None for a regressor whatever it is given).
    classes = task.classes(SimpleNamespace(classes_=np.unique(train[target].to_numpy())))
    known = None if classes is None else classes.tolist()
    document = openapi(title, feature_bounds(features), known)
    write_json(document, API_SCHEMA_FILE)
    print(f"api_schema: {len(document['paths'])} endpoints -> {API_SCHEMA_FILE}")
    return document


def main(params: Params) -> None:
    run(params.ingest.target, params.registry.model_name)


if __name__ == "__main__":
    sys.exit(run_stage("api_schema", main))
