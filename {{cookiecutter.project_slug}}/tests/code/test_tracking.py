"""Tests of the MLflow edge against a real, temporary tracking store."""

from __future__ import annotations

from pathlib import Path

import joblib

from {{ cookiecutter.package_name }} import tracking
from {{ cookiecutter.package_name }}.data_io import md5
from {{ cookiecutter.package_name }}.vocabulary import (
    GIT_COMMIT_TAG,
    MODEL_MD5_TAG,
    MODEL_URI_TAG,
    data_md5_tag,
)


def test_lineage_tags_hash_the_inputs(tmp_path):
    """Lineage carries the git commit (or 'none') and the md5 of every input."""
    data = tmp_path / "train.parquet"
    data.write_bytes(b"rows")
    tags = tracking.lineage_tags([data])
    assert tags[data_md5_tag(data)] == md5(data)
    assert tags[GIT_COMMIT_TAG]


def test_dvc_lock_hashes_are_keyed_by_stage_and_path(tmp_path):
    """Every output hash in dvc.lock becomes one tag."""
    lock = tmp_path / "dvc.lock"
    lock.write_text(
        "schema: '2.0'\nstages:\n  ingest:\n    cmd: x\n    outs:\n"
        "    - path: data/raw/dataset.parquet\n      md5: abc123\n"
    )
    assert tracking.dvc_lock_hashes(lock) == {"dvc.ingest.data/raw/dataset.parquet": "abc123"}


def test_local_store_keeps_artifacts_beside_its_database(tmp_path, monkeypatch):
    """With a SQLite store, artifacts go to `mlartifacts/` next to the database, not ./mlruns."""
    import mlflow

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'store.db'}")
    tracking.configure()
    experiment = mlflow.get_experiment(tracking.experiment_id("artifacts-test"))
    assert experiment.artifact_location == (tmp_path / "mlartifacts").as_uri()


def _model_file(folder: Path, model=None, X=None):
    """A tiny fitted model saved to a file, with its feature table."""
    import pandas as pd
    from sklearn.linear_model import LinearRegression

    X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]}) if X is None else X
    model = LinearRegression().fit(X, [0.0, 1.0, 2.0, 3.0]) if model is None else model
    path = folder / "model.joblib"
    joblib.dump(model, path)
    return model, path, X


def test_logged_model_run_is_found_by_the_model_files_md5(tmp_path, model, holdout):
    """The run that logged a model file is found again from the file alone, with its model and
    the requirements that load it."""
    tracking.configure()
    _, path, _ = _model_file(tmp_path, model, holdout[0])
    logged = tracking.log_model_run(
        "md5-test", model, path, holdout[0], params={"seed": 1}, tags={"k": "v"}, metrics={}
    )
    found = tracking.training_run(md5(path))
    assert found is not None
    assert found.run_id == logged.run_id
    assert found.tags[MODEL_MD5_TAG] == md5(path)
    assert found.tags[MODEL_URI_TAG].startswith("models:/")
    import mlflow

    listed = Path(mlflow.pyfunc.get_model_dependencies(found.tags[MODEL_URI_TAG])).read_text()
    assert {line.split("==")[0] for line in listed.split()} >= {"mlflow", "scikit-learn", "skops"}


def test_an_unknown_model_file_has_no_training_run(tmp_path):
    """A file no run logged is not found (register then logs it from the DVC output)."""
    tracking.configure()
    assert tracking.training_run("0" * 32) is None
