"""Tests of the MLflow edge against a real, temporary tracking store."""

from __future__ import annotations

import functools
import http.server
import os
import re
import signal
import socket
import sqlite3
import threading
from pathlib import Path

import joblib
import pytest

from {{ cookiecutter.package_name }} import tracking
from {{ cookiecutter.package_name }}.data_io import md5
from {{ cookiecutter.package_name }}.errors import PipelineError, Terminated
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


def test_an_unfinished_run_of_the_model_file_is_not_its_training_run():
    """A run left RUNNING (its process killed) without a model is never the one register uses."""
    from mlflow import MlflowClient

    tracking.configure()
    experiment = tracking.experiment_id("interrupted-test")
    MlflowClient().create_run(experiment, tags={MODEL_MD5_TAG: "1" * 32})
    assert tracking.training_run("1" * 32) is None


def run_status(run_id: str) -> str:
    import mlflow

    return str(mlflow.get_run(run_id).info.status)


def test_sigterm_during_a_run_ends_it_killed():
    """SIGTERM inside a run raises Terminated and leaves the run KILLED, not RUNNING."""
    tracking.configure()
    with pytest.raises(Terminated), tracking.started_run(experiment="sigterm-test") as run_id:
        os.kill(os.getpid(), signal.SIGTERM)
    assert run_status(run_id) == "KILLED"


def test_an_error_during_a_run_ends_it_failed():
    """A run whose logging raised is FAILED, and the error propagates."""
    tracking.configure()
    with pytest.raises(RuntimeError), tracking.started_run(experiment="failed-test") as run_id:
        raise RuntimeError("disk full")
    assert run_status(run_id) == "FAILED"


def test_sigterm_handler_is_restored_after_a_run():
    """Outside a run, SIGTERM does what it did before (by default: end the process)."""
    before = signal.getsignal(signal.SIGTERM)
    tracking.configure()
    with tracking.started_run(experiment="restore-test"):
        pass
    assert signal.getsignal(signal.SIGTERM) == before


# Tracking servers that are not there: a real closed port, and one that never answers.


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def silent_server():
    """A port that accepts connections and never answers (like a hung server)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


def test_closed_tracking_server_port_fails_at_once_naming_the_uri(closed_port, monkeypatch):
    """Nothing listening: one error naming the URI from the first probe, not MLflow's minutes
    of retries (which end in MLflow's own exception, not this one)."""
    uri = f"http://127.0.0.1:{closed_port}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    with pytest.raises(PipelineError, match=f"tracking server {uri} does not answer"):
        tracking.configure()


def test_silent_tracking_server_fails_after_the_configured_timeout(silent_server, monkeypatch):
    """A server that accepts but never answers fails after TRACKING_SERVER_TIMEOUT seconds."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", silent_server)
    monkeypatch.setenv(tracking.SERVER_TIMEOUT_ENV, "0.5")
    with pytest.raises(PipelineError, match=r"does not answer within 0\.5 s"):
        tracking.configure()


def test_http_server_that_is_not_mlflow_is_refused(tmp_path):
    """A web server without MLflow's /health is named as no MLflow server."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        uri = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            with pytest.raises(PipelineError, match="HTTP 404, so it is no MLflow server"):
                tracking.check_server(uri, timeout=5)
        finally:
            server.shutdown()


@pytest.mark.parametrize("setting", ["abc", "0", "-1"])
def test_server_timeout_must_be_positive_seconds(setting):
    """TRACKING_SERVER_TIMEOUT that is not a positive number is named."""
    with pytest.raises(PipelineError, match=tracking.SERVER_TIMEOUT_ENV):
        tracking.server_timeout(setting)


def test_server_timeout_defaults_to_a_few_seconds():
    """Unset, the check waits DEFAULT_SERVER_TIMEOUT seconds."""
    assert tracking.server_timeout(None) == tracking.DEFAULT_SERVER_TIMEOUT


# Local stores that cannot be used.


def test_store_of_random_bytes_is_unreadable_and_named(tmp_path):
    """A file that is no SQLite database is reported with its path and what to do."""
    database = tmp_path / "mlflow.db"
    database.write_bytes(os.urandom(8192))
    where = re.escape(str(database))
    with pytest.raises(PipelineError, match=rf"MLflow store {where} is unreadable .*`mv {where} "):
        tracking.check_sqlite_store(database, create=True)


def test_truncated_store_is_unreadable(tmp_path):
    """A database cut short (a copy interrupted, a full disk) is reported, not half-read."""
    database = tmp_path / "mlflow.db"
    with sqlite3.connect(database) as connection:
        connection.execute("create table runs (id integer primary key, tag text)")
        connection.executemany("insert into runs (tag) values (?)", [("x" * 200,)] * 2000)
    connection.close()
    database.write_bytes(database.read_bytes()[: database.stat().st_size // 2])
    with pytest.raises(PipelineError, match="is unreadable"):
        tracking.check_sqlite_store(database, create=True)


def test_reading_a_missing_store_creates_nothing(tmp_path, monkeypatch):
    """Commands that only read the registry say to register first and leave no empty store."""
    database = tmp_path / "mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{database}")
    with pytest.raises(PipelineError, match="run `make register` first"):
        tracking.configure(create=False)
    assert not database.exists()
