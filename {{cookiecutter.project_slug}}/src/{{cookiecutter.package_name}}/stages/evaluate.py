"""evaluate: score the model on the test set; write metrics.json, plot data and images, and the
reference profile the monitor compares production with."""

from __future__ import annotations

import sys
from pathlib import Path

import joblib

from .. import metrics, plots, task, tracking
from ..config import EvaluateParams, Params
from ..data_contract import split_features_target
from ..data_io import md5, read_table, write_json
from ..monitoring import reference
from ..paths import METRICS_FILE, MODEL_FILE, PLOTS_DIR, REFERENCE_FILE, TEST_DATA, TRAIN_DATA
from ..vocabulary import TEST_PREFIX
from . import run_stage


def run(params: EvaluateParams, target: str) -> dict[str, float]:
    model = joblib.load(MODEL_FILE)
    test = read_table(TEST_DATA)
    X, y = split_features_target(test, target)
    outputs, classes = task.predict(model, X), task.classes(model)
    # Here, where the model and its test outputs already are: no stage (process) of its own.
    profile = reference.build(
        read_table(TRAIN_DATA), test, target, task.columns(outputs, classes),
        model_md5=md5(MODEL_FILE), classes=classes,
    )  # fmt: skip
    reference.write(profile, REFERENCE_FILE)
    results = task.scores(y, outputs, classes)
    write_json(results, METRICS_FILE)
    tables = task.plot_data(y, outputs, classes)
    for name, rows in tables.items():
        write_json(rows, PLOTS_DIR / f"{name}.json")
    images = [PLOTS_DIR / chart.image for chart in task.CHARTS]
    for chart, image in zip(task.CHARTS, images, strict=True):
        plots.draw(chart, tables[chart.data], results, image)
    _log_to_training_run(results, images)

    summary = ", ".join(f"{name} {value:.4f}" for name, value in sorted(results.items()))
    print(f"evaluate: {summary}")
    for name, threshold in params.thresholds.items():
        if not metrics.meets_threshold(name, results[name], threshold):
            print(f"evaluate: WARNING {name} {results[name]:.4f} misses its threshold {threshold}")
    return results


def _log_to_training_run(results: dict[str, float], images: list[Path]) -> None:
    """Attach test scores and images to the run that trained the model, when it is reachable."""
    tracking.configure()
    trained = tracking.training_run(md5(MODEL_FILE))
    if trained is None:
        print("evaluate: the run that trained this model is not in this tracking store; not logged")
        return
    scores = {f"{TEST_PREFIX}{name}": value for name, value in results.items()}
    tracking.log_to_run(trained.run_id, scores, images, folder=PLOTS_DIR.name)


def main(params: Params) -> None:
    run(params.evaluate, params.ingest.target)


if __name__ == "__main__":
    sys.exit(run_stage("evaluate", main))
