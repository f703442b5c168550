"""Tests of the registry operations (register, promote, retire) against a temporary MLflow
registry."""

from __future__ import annotations

import copy

import joblib
import pytest

from {{ cookiecutter.package_name }} import tracking
from {{ cookiecutter.package_name }}.data_io import md5, write_json, write_table
from {{ cookiecutter.package_name }}.errors import PipelineError
from {{ cookiecutter.package_name }}.metrics import evaluate_model
from {{ cookiecutter.package_name }}.paths import (
    DVC_LOCK,
    METRICS_FILE,
    MODEL_FILE,
    TEST_DATA,
    TRAIN_DATA,
)
from {{ cookiecutter.package_name }}.registry import (
    audit,
    bento_store,
    promote,
    register,
    retire,
    trail,
)
from {{ cookiecutter.package_name }}.stages.train import run_params
from {{ cookiecutter.package_name }}.vocabulary import (
    ARCHIVED,
    CHALLENGER,
    CHAMPION,
    LIFECYCLE_TAG,
    MODEL_MD5_TAG,
    SOURCE_DVC,
    SOURCE_TAG,
    SUPERSEDED_BY_TAG,
)


def registry_params(params, name: str, margin: float = 0.001):
    """The project's params with another registered model name and promotion margin."""
    registry = params.registry.model_copy(update={"model_name": name, "min_improvement": margin})
    return params.model_copy(update={"registry": registry})


@pytest.fixture(scope="module")
def logged_model(tmp_path_factory, model, holdout, params):
    """The fixture model, saved and logged once by a run tagged with its file's md5."""
    tracking.configure()
    model_file = tmp_path_factory.mktemp("logged") / MODEL_FILE.name
    joblib.dump(model, model_file)
    return tracking.log_model_run(
        params.train.experiment, model, model_file, holdout[0],
        params=run_params(params.train, params.ingest.target), tags={}, metrics={},
    )  # fmt: skip


@pytest.fixture
def trained_run(tmp_path, monkeypatch, logged_model, model, train_test, holdout, params):
    """A project folder holding that model's file (same bytes, so its run is found), train and
    test data and metrics."""
    monkeypatch.chdir(tmp_path)
    tracking.configure()
    write_table(train_test[0], TRAIN_DATA)
    write_table(holdout[0].assign(**{params.ingest.target: holdout[1]}), TEST_DATA)
    write_json(evaluate_model(model, *holdout), METRICS_FILE)
    MODEL_FILE.parent.mkdir()
    joblib.dump(model, MODEL_FILE)
    return logged_model


def test_register_promotes_first_then_keeps_champion_on_a_tie(trained_run, params):
    """The first version becomes champion; the same model again only becomes challenger."""
    chosen = registry_params(params, "registry-test")
    assert (register.run(chosen), register.run(chosen)) == (("1", CHAMPION), ("2", CHALLENGER))
    assert tracking.version_with_alias("registry-test", CHAMPION) == "1"


def test_register_logs_a_model_this_store_never_trained(trained_run, params, model):
    """A DVC-restored model unknown to the store is logged to the training experiment first."""
    # Same model, different bytes: a file no run in this store produced.
    joblib.dump(copy.deepcopy(model).set_params(verbose=True), MODEL_FILE)
    version, _ = register.run(registry_params(params, "dvc-restored-test", margin=0.0))
    logged = tracking.training_run(md5(MODEL_FILE))
    assert logged is not None
    assert logged.tags[SOURCE_TAG] == SOURCE_DVC
    assert tracking.run_of_version("dvc-restored-test", version).run_id == logged.run_id
    assert logged.experiment == params.train.experiment


def test_promote_rolls_champion_to_an_existing_version(trained_run, params):
    """`promote` moves @champion to the requested version, which stops being challenger."""
    chosen = registry_params(params, "promote-test")
    register.run(chosen)
    challenger, _ = register.run(chosen)
    promote.run("promote-test", challenger)
    assert tracking.version_with_alias("promote-test", CHAMPION) == challenger
    assert tracking.version_with_alias("promote-test", CHALLENGER) is None


def test_promote_and_retire_leave_audit_events_and_archive_only_the_unaliased(
    trained_run, params, monkeypatch
):
    """Registered twice, rolled back to v2, then retired with KEEP=0: the dry run changes
    nothing; then every alias change is an audit event on the versions involved, v1 alone is
    archived, and the champion untouched."""
    # BentoML's side (deleting the archived version's store entries) is left to the template's
    # gate: importing BentoML costs seconds.
    monkeypatch.setattr(bento_store, "stored_of_versions", lambda _, runs: {v: [] for v in runs})
    chosen = registry_params(params, "audit-test")
    register.run(chosen)
    register.run(chosen)
    promote.run("audit-test", "2", "v1 misbehaves")
    dry_run = retire.run("audit-test", 0, confirm=False)
    assert not any(version.archived for version in trail.versions("audit-test"))
    plan = retire.run("audit-test", 0, confirm=True)
    assert plan == dry_run
    assert [r.version for r in plan.archive] == ["1"]
    v1, v2 = sorted(trail.versions("audit-test"), key=lambda v: v.number)
    assert (v1.tags[LIFECYCLE_TAG], v1.tags[SUPERSEDED_BY_TAG]) == (ARCHIVED, "2")
    assert v1.description.startswith("Archived on ")
    assert (v2.aliases, v2.archived) == ((CHAMPION,), False)
    rows = [(row.version, row.changes) for row in audit.timeline([v1, v2], "x")]
    assert rows == [
        ("1", "archived (superseded by v2)"),
        ("2", "+champion (replaced v1), -challenger"),
        ("1", "-champion (to v2)"),
        ("2", "+challenger"),
        ("1", "+champion"),
    ]


def test_promote_refuses_an_unknown_version(trained_run):
    """Rolling back to a version the registry does not hold fails with a clear message."""
    with pytest.raises(PipelineError, match="has no version '9'"):
        promote.run("registry-test", "9")


def test_register_relogs_a_model_whose_only_run_was_interrupted(trained_run, params, model):
    """A run left RUNNING without its model (training killed) is skipped: the DVC output is
    logged again and registered, instead of failing on the missing model URI."""
    from mlflow import MlflowClient

    joblib.dump(copy.deepcopy(model).set_params(verbose=2), MODEL_FILE)
    experiment = tracking.experiment_id(params.train.experiment)
    interrupted = MlflowClient().create_run(experiment, tags={MODEL_MD5_TAG: md5(MODEL_FILE)})
    version, _ = register.run(registry_params(params, "interrupted-test", margin=0.0))
    registered = tracking.run_of_version("interrupted-test", version)
    assert registered.run_id != interrupted.info.run_id
    assert registered.tags[SOURCE_TAG] == SOURCE_DVC


def test_register_refuses_a_model_file_dvc_lock_does_not_record(trained_run, params):
    """A model file other than the pipeline's recorded output (a training stopped after
    writing it) is not registered with the old metrics: run the pipeline first."""
    DVC_LOCK.write_text(
        "schema: '2.0'\nstages:\n  train:\n    cmd: x\n    outs:\n"
        f"    - path: {MODEL_FILE.as_posix()}\n      md5: {'0' * 32}\n"
    )
    with pytest.raises(PipelineError, match="run `make repro` first"):
        register.run(registry_params(params, "stale-test"))


def test_register_without_a_model_file_says_to_run_the_pipeline(tmp_path, monkeypatch, params):
    """No models/model.joblib yet: one line saying to run `make repro`."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PipelineError, match=r"model\.joblib is missing: run `make repro` first"):
        register.run(params)


def test_serving_without_a_bento_points_to_make_build():
    """`make serve` before any `make build`: the missing bento is named with the fix."""
    with pytest.raises(PipelineError, match=r"no bento 'never-built'.*run `make build` first"):
        bento_store.latest_bento("never-built")


def test_bento_model_without_a_store_says_to_register_first(tmp_path, monkeypatch):
    """Importing the champion from a store that does not exist leaves no empty store behind."""
    database = tmp_path / "mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{database}")
    with pytest.raises(PipelineError, match="run `make register` first"):
        bento_store.import_champion("no-store-test")
    assert not database.exists()
