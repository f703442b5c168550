"""Monitor tests, end to end in-process: the model trained here, its reference profile, the
held-out split logged by the service's own writer, then `monitoring.monitor.run` (no server, no
MLflow: those run in the template's gate tests).

The monitor's params come from params.yaml; only the window is narrowed to the test split when
a configured window is longer than it (the held-out rows are all the unseen data there is).
"""

from __future__ import annotations

import math
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml

from {{ cookiecutter.package_name }} import task
from {{ cookiecutter.package_name }}.cli import DRIFT_EXIT, NOT_ENOUGH_DATA_EXIT, main
from {{ cookiecutter.package_name }}.config import Params, load_params
from {{ cookiecutter.package_name }}.data_io import write_json
from {{ cookiecutter.package_name }}.errors import PipelineError
from {{ cookiecutter.package_name }}.monitoring import drift, monitor, reference, shifts
from {{ cookiecutter.package_name }}.paths import METRICS_FILE, PARAMS_FILE, REFERENCE_FILE
from tests.helpers import served_traffic

# Not a real digest: the monitor only matches it (and a hex string would trip detect-secrets).
MODEL_MD5 = "md5-of-the-test-model"
# Large enough that one window of rows tells it apart, whatever the feature.
SHIFT_STDS = 3.0


@pytest.fixture(scope="module")
def monitor_params(params: Params, holdout) -> Params:
    rows = min(params.monitor.window_rows, len(holdout[0]))
    return params.model_copy(
        update={"monitor": params.monitor.model_copy(update={"window_rows": rows})}
    )


@pytest.fixture(scope="module")
def profile(tmp_path_factory, model, train_test, holdout, target):
    """The reference profile and test-set scores evaluate would write for this model."""
    folder = tmp_path_factory.mktemp("reference")
    outputs, classes = task.predict(model, holdout[0]), task.classes(model)
    table = reference.build(train_test[0], train_test[1], target, task.columns(outputs, classes),
                            model_md5=MODEL_MD5, classes=classes)  # fmt: skip
    reference.write(table, folder / "reference.parquet")
    write_json(task.scores(holdout[1], outputs, classes), folder / "metrics.json")
    return folder


def run_monitor(tmp_path, profile, monitor_params: Params, model, X, actual=None, labels=None,
                images=False):  # fmt: skip
    """Log X as served traffic (and its feedback), then run the monitor on it."""
    logs = tmp_path / "logs"
    outputs = task.predict(model, X)
    served_traffic(logs, X, outputs, task.classes(model), MODEL_MD5, actual=actual)
    settings = monitor_params.monitor.model_copy(update={"logs": logs})
    return monitor.run(
        monitor_params.model_copy(update={"monitor": settings}),
        labels=labels,
        out=tmp_path / "monitor",
        reference_file=profile / "reference.parquet",
        metrics_file=profile / "metrics.json",
        images=images,
    )


def test_held_out_split_served_as_traffic_is_no_drift(tmp_path, profile, monitor_params, model,
                                                      holdout):  # fmt: skip
    """Unseen rows of the training distribution are not drift."""
    summary = run_monitor(tmp_path, profile, monitor_params, model, holdout[0], images=True)
    assert summary["verdict"] == drift.NO_DRIFT, summary["windows"][0]["drifted_columns"]
    assert (tmp_path / "monitor" / "report.html").is_file()


def test_shift_of_an_important_feature_is_drift(tmp_path, profile, monitor_params, model,
                                                holdout, params):  # fmt: skip
    """An important feature moved by a few standard deviations is drift."""
    X = holdout[0]
    feature = shifts.default_feature(params.evaluate.directional, list(X.columns))
    summary = run_monitor(tmp_path, profile, monitor_params, model,
                          shifts.feature_shift(X, feature, SHIFT_STDS))  # fmt: skip
    assert summary["verdict"] == drift.DRIFT
    assert feature in summary["windows"][0]["drifted_columns"]


def test_shift_of_the_label_balance_is_drift(tmp_path, profile, monitor_params, model, holdout):
    """Traffic of one kind of outcome only (one class; targets above the median) is drift."""
    X, _ = shifts.label_shift(*holdout, seed=0)
    summary = run_monitor(tmp_path, profile, monitor_params, model, X)
    assert summary["verdict"] == drift.DRIFT


def test_fewer_rows_than_a_window_is_not_enough_data(tmp_path, profile, monitor_params, model,
                                                     holdout):  # fmt: skip
    """Below `window_rows` logged rows there is no verdict."""
    rows = monitor_params.monitor.window_rows - 1
    summary = run_monitor(tmp_path, profile, monitor_params, model, holdout[0].iloc[:rows])
    assert summary["verdict"] == drift.NOT_ENOUGH_DATA


def test_live_scores_from_feedback_equal_the_scores_of_the_same_rows(
    tmp_path, profile, monitor_params, model, holdout
):
    """Feedback joined by request id and row gives the scores scikit-learn gives those rows."""
    X, y = holdout
    summary = run_monitor(tmp_path, profile, monitor_params, model, X, actual=y)
    expected = task.scores(y, task.predict(model, X), task.classes(model))
    live = summary["live"]
    assert live["rows"] == len(X)
    assert live["scores"] == pytest.approx(
        {name: value for name, value in expected.items() if math.isfinite(value)}
    )
    assert not live["degraded"]


def test_a_labels_file_joins_like_feedback(tmp_path, profile, monitor_params, model, holdout):
    """A batch user's labels file (request_id, row, actual) gives the same live scores."""
    X, y = holdout
    labels = tmp_path / "labels.csv"
    ids = [f"test-{i // 50}" for i in range(len(X))]  # served_traffic's request ids, 50 a batch
    pd.DataFrame({"request_id": ids, "row": np.arange(len(X)) % 50, "actual": y.to_numpy()}).to_csv(
        labels, index=False
    )
    summary = run_monitor(tmp_path, profile, monitor_params, model, X, labels=labels)
    expected = task.scores(y, task.predict(model, X), task.classes(model))
    assert summary["live"]["rows"] == len(X)
    assert summary["live"]["scores"][monitor_params.registry.metric] == pytest.approx(
        expected[monitor_params.registry.metric]
    )


def test_a_feature_the_reference_lacks_fails_in_one_line(tmp_path, profile, monitor_params,
                                                         model, holdout):  # fmt: skip
    """monitor.features naming no feature of the reference stops with its name."""
    wrong = monitor_params.model_copy(update={"monitor": monitor_params.monitor.model_copy(
        update={"features": ["no such feature"]})})  # fmt: skip
    with pytest.raises(PipelineError, match=r"monitor\.features: 'no such feature'"):
        run_monitor(tmp_path, profile, wrong, model, holdout[0])


def test_no_log_folder_says_where_logs_are_expected(tmp_path, profile, monitor_params):
    """A missing log folder is an expected failure naming the folder."""
    settings = monitor_params.monitor.model_copy(update={"logs": tmp_path / "nowhere"})
    with pytest.raises(PipelineError, match=r"no prediction log folder .*nowhere"):
        monitor.run(monitor_params.model_copy(update={"monitor": settings}),
                    out=tmp_path / "monitor", reference_file=profile / "reference.parquet",
                    metrics_file=profile / "metrics.json")  # fmt: skip


@pytest.fixture
def project(tmp_path, monkeypatch, profile, monitor_params):
    """A project folder as `make monitor` sees it: params.yaml, the reference, metrics.json."""
    monkeypatch.chdir(tmp_path)
    REFERENCE_FILE.parent.mkdir(parents=True)
    shutil.copy(profile / "reference.parquet", REFERENCE_FILE)
    shutil.copy(profile / "metrics.json", METRICS_FILE)
    raw = monitor_params.model_dump(mode="json")
    raw["monitor"]["logs"] = "logs"
    PARAMS_FILE.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return tmp_path


def test_cli_monitor_exits_3_on_drift_and_prints_the_report(project, model, holdout, capsys):
    """`cli monitor` prints the verdict and the report's path and exits DRIFT_EXIT (3)."""
    X, _ = shifts.label_shift(*holdout, seed=0)
    served_traffic(project / "logs", X, task.predict(model, X), task.classes(model), MODEL_MD5)
    assert main(["monitor", "--no-mlflow"]) == DRIFT_EXIT
    out = capsys.readouterr().out
    assert "monitor: drift" in out
    assert "build/monitor/report.html" in out
    assert (project / "build" / "monitor" / "summary.json").is_file()


def test_cli_monitor_exits_4_without_enough_rows(project, model, holdout, monitor_params):
    """Fewer logged rows than a window: NOT_ENOUGH_DATA_EXIT (4)."""
    X = holdout[0].iloc[: monitor_params.monitor.window_rows - 1]
    served_traffic(project / "logs", X, task.predict(model, X), task.classes(model), MODEL_MD5)
    assert main(["monitor", "--no-mlflow"]) == NOT_ENOUGH_DATA_EXIT


def test_cli_monitor_without_a_reference_says_run_make_repro(project, capsys):
    """No reference profile: exit 1, one line pointing to `make repro`."""
    REFERENCE_FILE.unlink()
    assert main(["monitor", "--no-mlflow"]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "make repro" in error


def test_cli_monitor_logs_a_run_linked_to_the_served_model(project, model, holdout):
    """The monitoring run (in `<experiment>-monitoring`) is tagged with the served model's name,
    version and md5, and holds the verdict's metrics and the report."""
    import mlflow

    X = holdout[0]
    served_traffic(project / "logs", X, task.predict(model, X), task.classes(model), MODEL_MD5)
    assert main(["monitor"]) == 0
    experiment = f"{load_params(PARAMS_FILE).train.experiment}-monitoring"
    run = mlflow.search_runs(experiment_names=[experiment], output_format="list")[0]
    assert run.data.tags["monitor.model_name"] == "monitor-test"
    assert run.data.tags["monitor.model_version"] == "1"
    assert run.data.tags["monitor.model_md5"] == MODEL_MD5
    assert run.data.metrics["drift"] == 0
    artifacts = {item.path for item in mlflow.MlflowClient().list_artifacts(run.info.run_id)}
    assert {"summary.json", "report.html"} <= artifacts


def test_cli_monitor_writes_the_report_before_an_unreachable_tracking_server_fails(
    project, model, holdout, monkeypatch, capsys
):
    """A tracking server that does not answer: exit 1 in one line, the report already written."""
    X = holdout[0]
    served_traffic(project / "logs", X, task.predict(model, X), task.classes(model), MODEL_MD5)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    monkeypatch.setenv("TRACKING_SERVER_TIMEOUT", "2")
    assert main(["monitor"]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "tracking server" in error
    assert (project / "build" / "monitor" / "report.html").is_file()
