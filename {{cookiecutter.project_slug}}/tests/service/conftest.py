"""The model trained by the shared fixtures, registered as champion in the temporary MLflow
registry and imported into the temporary BentoML store, exactly as `make build` does."""

from __future__ import annotations

import importlib
import os

import mlflow
import pytest
from starlette.testclient import TestClient

from {{ cookiecutter.package_name }} import tracking
from {{ cookiecutter.package_name }}.stages import bento_model

MODEL_NAME = "service-test"


@pytest.fixture(scope="session")
def champion(model, holdout) -> str:
    """Register the fixture model as `champion`; return its BentoML tag after import."""
    tracking.configure()
    with mlflow.start_run(experiment_id=tracking.experiment_id(MODEL_NAME)):
        model_uri = tracking.log_model(model, holdout[0].head(5))
    version = tracking.register(model_uri, MODEL_NAME, tags={})
    tracking.set_alias(MODEL_NAME, "champion", version)
    return bento_model.run(MODEL_NAME)


@pytest.fixture(scope="session")
def service(champion: str):
    """The service module, imported once the champion is in the store."""
    os.environ["BENTO_MODEL_TAG"] = champion
    return importlib.import_module("{{ cookiecutter.package_name }}.service")


@pytest.fixture(scope="session")
def client(service):
    with TestClient(service.ModelService.to_asgi()) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def example_row(service) -> dict[str, float]:
    """The golden payload: the first row of the input example logged with the model."""
    return dict(service.STORED.info.metadata["input_example"][0])
