"""promote: point @champion at a version already in the registry (a rollback).

The version comes from the MODEL_VERSION environment variable (`make promote MODEL_VERSION=3`);
every version stays registered, only the alias moves.
"""

from __future__ import annotations

import os

from .. import tracking
from ..config import Params, PipelineError

CHAMPION = "champion"
CHALLENGER = "challenger"


def run(name: str, version: str) -> None:
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    uri = tracking.configure()
    client = MlflowClient()
    try:
        aliases = client.get_model_version(name, version).aliases
    except MlflowException:
        raise PipelineError(f"model {name!r} has no version {version!r} in {uri}") from None
    previous = tracking.version_with_alias(name, CHAMPION)
    tracking.set_alias(name, CHAMPION, version)
    if CHALLENGER in aliases:  # a version is one or the other
        client.delete_registered_model_alias(name, CHALLENGER)
    print(f"promote: {name} @{CHAMPION} v{previous} -> v{version}")


def main(params: Params) -> None:
    version = os.environ.get("MODEL_VERSION", "").strip()
    if not version.isdigit():
        raise PipelineError(f"set MODEL_VERSION to a registered version number, not {version!r}")
    run(params.registry.model_name, version)
