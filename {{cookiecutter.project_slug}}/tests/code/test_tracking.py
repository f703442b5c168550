"""Tests of the MLflow edge against a real, temporary tracking store and registry."""

from __future__ import annotations

import copy
import json

import joblib
import mlflow
import pytest

from {{ cookiecutter.package_name }} import tracking
from {{ cookiecutter.package_name }}.config import PipelineError, RegistryParams
from {{ cookiecutter.package_name }}.data_io import TEST_DATA, md5, write_table
from {{ cookiecutter.package_name }}.metrics import evaluate_model
from {{ cookiecutter.package_name }}.stages import METRICS_FILE, MODEL_FILE, promote
from {{ cookiecutter.package_name }}.stages import register as register_stage


def test_lineage_tags_hash_the_inputs(tmp_path):
    """Lineage carries the git commit (or 'none') and the md5 of every input."""
    data = tmp_path / "train.parquet"
    data.write_bytes(b"rows")
    tags = tracking.lineage_tags([data])
    assert tags[f"data.{data.as_posix()}.md5"] == md5(data)
    assert tags["git.commit"]


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
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'store.db'}")
    tracking.configure()
    experiment = mlflow.get_experiment(tracking.experiment_id("artifacts-test"))
    assert experiment.artifact_location == (tmp_path / "mlartifacts").as_uri()


@pytest.fixture
def trained_run(tmp_path, monkeypatch, model, holdout, params):
    """A project folder holding a model file logged by a tagged run, test data and metrics."""
    monkeypatch.chdir(tmp_path)
    tracking.configure()
    test_table = holdout[0].assign(**{params.ingest.target: holdout[1]})
    write_table(test_table, TEST_DATA)
    scores = evaluate_model(model, *holdout)
    METRICS_FILE.write_text(json.dumps(scores))
    MODEL_FILE.parent.mkdir()
    joblib.dump(model, MODEL_FILE)
    with mlflow.start_run(experiment_id=tracking.experiment_id("registry-test")):
        mlflow.set_tag(tracking.MODEL_MD5_TAG, md5(MODEL_FILE))
        mlflow.set_tag(tracking.MODEL_URI_TAG, tracking.log_model(model, holdout[0].head(2)))
    return scores


def test_training_run_is_found_by_the_model_files_md5(trained_run):
    """The run that logged models/model.joblib is found from the file alone."""
    found = tracking.training_run(md5(MODEL_FILE))
    assert found is not None
    assert found.data.tags[tracking.MODEL_URI_TAG].startswith("models:/")


def test_register_promotes_first_then_keeps_champion_on_a_tie(trained_run, params):
    """The first version becomes champion; the same model again only becomes challenger."""
    register = RegistryParams(
        model_name="registry-test", metric=params.registry.metric, min_improvement=0.001
    )
    first = register_stage.run(register, params.ingest.target)
    second = register_stage.run(register, params.ingest.target)
    assert (first, second) == (("1", "champion"), ("2", "challenger"))
    assert tracking.version_with_alias("registry-test", "champion") == "1"


def test_register_logs_a_model_this_store_never_trained(trained_run, params, model):
    """A DVC-restored model unknown to the store is logged from the file, then registered."""
    # Same model, different bytes: a file no run in this store produced.
    joblib.dump(copy.deepcopy(model).set_params(verbose=True), MODEL_FILE)
    register = RegistryParams(
        model_name="registry-test", metric=params.registry.metric, min_improvement=0.0
    )
    version, _ = register_stage.run(register, params.ingest.target)
    logged = tracking.training_run(md5(MODEL_FILE))
    assert logged is not None
    assert logged.data.tags["source"] == "dvc"
    assert mlflow.MlflowClient().get_model_version("registry-test", version).run_id == (
        logged.info.run_id
    )


def test_promote_rolls_champion_to_an_existing_version(trained_run, params):
    """`promote` moves @champion to the requested version, which stops being challenger."""
    register = RegistryParams(
        model_name="promote-test", metric=params.registry.metric, min_improvement=0.001
    )
    register_stage.run(register, params.ingest.target)
    challenger, _ = register_stage.run(register, params.ingest.target)
    promote.run("promote-test", challenger)
    assert tracking.version_with_alias("promote-test", "champion") == challenger
    assert tracking.version_with_alias("promote-test", "challenger") is None


def test_promote_refuses_an_unknown_version(trained_run):
    """Rolling back to a version the registry does not hold fails with a clear message."""
    with pytest.raises(PipelineError, match="has no version '9'"):
        promote.run("registry-test", "9")
