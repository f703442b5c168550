"""Shared fixtures: the configured data, its split and a model trained in-process.

Everything runs on the configured source (bundled data by default) without DVC or network, and
MLflow writes only to a temporary store.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pandas as pd
import pytest

from {{ cookiecutter.package_name }} import data_contract
from {{ cookiecutter.package_name }}.config import Params
from {{ cookiecutter.package_name }}.data_io import load_source
from {{ cookiecutter.package_name }}.estimator import build_pipeline
from {{ cookiecutter.package_name }}.split import split
from tests.helpers import PARAMS, PROJECT_ROOT


def pytest_configure(config: pytest.Config) -> None:
    """A private BentoML store, set before anything imports bentoml (it reads it on import)."""
    config.bentoml_home = tempfile.mkdtemp(prefix="bentoml-tests-")  # type: ignore[attr-defined]
    os.environ["BENTOML_HOME"] = config.bentoml_home  # type: ignore[attr-defined]
    os.environ["BENTOML_DO_NOT_TRACK"] = "true"


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(getattr(config, "bentoml_home", ""), ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def isolated_tools(tmp_path_factory: pytest.TempPathFactory):
    """Relative paths resolve from the project root; MLflow and DVC write only to temp dirs."""
    tracking = tmp_path_factory.mktemp("mlflow")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(PROJECT_ROOT)
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tracking / 'mlflow.db'}")
        patch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
        patch.setenv("DVC_NO_ANALYTICS", "1")
        yield


@pytest.fixture(scope="session")
def params() -> Params:
    return PARAMS


@pytest.fixture(scope="session")
def target(params: Params) -> str:
    return params.ingest.target


@pytest.fixture(scope="session")
def dataset(params: Params) -> pd.DataFrame:
    return data_contract.validate(load_source(params.ingest), params.ingest.target)


@pytest.fixture(scope="session")
def train_test(dataset: pd.DataFrame, params: Params) -> tuple[pd.DataFrame, pd.DataFrame]:
    return split(dataset, params.ingest.target, params.prepare)


@pytest.fixture(scope="session")
def model(train_test, params: Params):
    X, y = data_contract.split_features_target(train_test[0], params.ingest.target)
    return build_pipeline(params.train).fit(X, y)


@pytest.fixture(scope="session")
def holdout(train_test, target: str) -> tuple[pd.DataFrame, pd.Series]:
    return data_contract.split_features_target(train_test[1], target)
