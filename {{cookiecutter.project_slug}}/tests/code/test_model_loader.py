"""The serving path's model loader refuses, in one line, a folder it cannot read."""

from __future__ import annotations

import pytest
import yaml

from {{ cookiecutter.package_name }} import model_loader
from {{ cookiecutter.package_name }}.errors import PipelineError


def test_a_folder_without_an_mlmodel_file_is_no_mlflow_model(tmp_path):
    """No MLmodel file: the error names the folder."""
    with pytest.raises(PipelineError, match="no MLmodel file, not an MLflow model"):
        model_loader.load(tmp_path)


def test_a_pickled_model_is_refused_with_what_to_do(tmp_path):
    """Only the skops format is loaded: a pickle is refused, saying to register a new model."""
    flavor = {"pickled_model": "model.pkl", "serialization_format": "cloudpickle"}
    (tmp_path / "MLmodel").write_text(yaml.safe_dump({"flavors": {"sklearn": flavor}}))
    with pytest.raises(PipelineError, match=r"saved as 'cloudpickle'.*make repro register"):
        model_loader.load(tmp_path)


def test_an_mlmodel_without_sklearn_flavour_is_refused(tmp_path):
    """A model of another library: the error names the file."""
    (tmp_path / "MLmodel").write_text(yaml.safe_dump({"flavors": {"python_function": {}}}))
    with pytest.raises(PipelineError, match="no sklearn flavour"):
        model_loader.load(tmp_path)
