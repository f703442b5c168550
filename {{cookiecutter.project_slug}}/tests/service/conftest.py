"""The model trained by the shared fixtures, registered as champion in the temporary MLflow
registry and imported into the temporary BentoML store, exactly as `make build` does."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import joblib
import pytest
from starlette.testclient import TestClient

from {{ cookiecutter.package_name }} import tracking
from {{ cookiecutter.package_name }}.registry import bento_store
from {{ cookiecutter.package_name }}.reports import facts
from {{ cookiecutter.package_name }}.vocabulary import (
    CHAMPION,
    METADATA_INPUT_EXAMPLE,
    MODEL_URI_TAG,
)
from tests.helpers import PROJECT_ROOT, SERVICE_MODEL, json_row


@pytest.fixture(scope="session")
def champion(model, holdout, tmp_path_factory) -> str:
    """Register the fixture model as `champion`; return its BentoML tag after import."""
    tracking.configure()
    model_file = tmp_path_factory.mktemp("service-model") / "model.joblib"
    joblib.dump(model, model_file)
    run = tracking.log_model_run(
        SERVICE_MODEL, model, model_file, holdout[0], params={}, tags={}, metrics={}
    )
    version = tracking.register(run.tags[MODEL_URI_TAG], SERVICE_MODEL, tags={})
    tracking.set_alias(SERVICE_MODEL, CHAMPION, version)
    return bento_store.import_champion(SERVICE_MODEL)


@pytest.fixture(scope="session")
def service(champion: str, tmp_path_factory):
    """The service module, imported once the champion is in the store; its prediction log goes
    to a temporary folder, not the project's `logs/`."""
    os.environ["BENTO_MODEL_TAG"] = champion
    os.environ["PREDICTION_LOG_DIR"] = str(tmp_path_factory.mktemp("in-process-log"))
    return importlib.import_module("{{ cookiecutter.package_name }}.service")


@pytest.fixture(scope="session")
def client(service):
    with TestClient(service.ModelService.to_asgi()) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def example_row(service) -> dict[str, float]:
    """The golden payload: the first row of the input example logged with the model, as a
    client sends it (a missing value as null)."""
    return json_row(service.STORED.info.metadata[METADATA_INPUT_EXAMPLE][0])


@pytest.fixture(scope="session")
def serving_python(tmp_path_factory) -> Path:
    """The Python of a new virtual environment holding the serving group alone: what the bento,
    and so the image, installs (a few seconds from uv's cache)."""
    scratch = tmp_path_factory.mktemp("serving-env")
    requirements = scratch / "requirements.txt"
    requirements.write_text(facts.serving_requirements(PROJECT_ROOT))
    uv = os.environ.get("UV", "uv")
    venv = scratch / "venv"
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)  # noqa: S603
    python = venv / "bin" / "python"
    subprocess.run(  # noqa: S603 - fixed command
        [uv, "pip", "install", "--quiet", "--python", str(python), "-r", str(requirements)],
        check=True,
    )
    return python
