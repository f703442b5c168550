"""evaluate: score the model on the test set; write metrics.json, plot data and images."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import joblib

from .. import metrics, plots
from ..config import EvaluateParams, Params
from ..data_io import TEST_DATA, md5, read_table
from ..schema import split_features_target
from . import METRICS_FILE, MODEL_FILE, PLOTS_DIR


def _write_json(data: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def run(params: EvaluateParams, target: str) -> dict[str, float]:
    model = joblib.load(MODEL_FILE)
    X, y = split_features_target(read_table(TEST_DATA), target)
    results = metrics.evaluate_model(model, X, y)
    _write_json(results, METRICS_FILE)
{%- if cookiecutter.task == "classification" %}
    predicted = model.predict(X)
    roc = metrics.roc_rows(y, model.predict_proba(X), list(model.classes_))
    _write_json(metrics.confusion_rows(y, predicted), PLOTS_DIR / "confusion.json")
    _write_json(roc, PLOTS_DIR / "roc.json")
    images = [PLOTS_DIR / "confusion_matrix.png", PLOTS_DIR / "roc.png"]
    plots.save_confusion_matrix(y, predicted, images[0])
    plots.save_roc(roc, results["roc_auc"], images[1])
{%- else %}
    rows = metrics.prediction_rows(y, model.predict(X))
    _write_json(rows, PLOTS_DIR / "predictions.json")
    images = [PLOTS_DIR / "predicted_vs_actual.png", PLOTS_DIR / "residuals.png"]
    plots.save_predicted_vs_actual(rows, images[0])
    plots.save_residuals(rows, images[1])
{%- endif %}
    _log_to_training_run(results, images)

    summary = ", ".join(f"{name} {value:.4f}" for name, value in sorted(results.items()))
    print(f"evaluate: {summary}")
    for name, threshold in params.thresholds.items():
        if not metrics.meets_threshold(name, results[name], threshold):
            print(f"evaluate: WARNING {name} {results[name]:.4f} misses its threshold {threshold}")
    return results


def _log_to_training_run(results: dict[str, float], images: list[Path]) -> None:
    """Attach test scores and images to the run that trained the model, when it is reachable."""
    from .. import tracking

    tracking.configure()
    trained = tracking.training_run(md5(MODEL_FILE))
    if trained is None:
        print("evaluate: the run that trained this model is not in this tracking store; not logged")
        return
    import mlflow

    with mlflow.start_run(run_id=trained.info.run_id):
        mlflow.log_metrics({f"test_{name}": value for name, value in results.items()})
        for image in images:
            mlflow.log_artifact(str(image), artifact_path="plots")


def main(params: Params) -> None:
    run(params.evaluate, params.ingest.target)
