"""Tests of the DVC stages that write reviewed outputs: the API schema, metrics and plots."""

from __future__ import annotations

import json

import joblib
import yaml

from {{ cookiecutter.package_name }}.api import api_schema
from {{ cookiecutter.package_name }}.data_io import read_json, write_table
from {{ cookiecutter.package_name }}.paths import (
    API_SCHEMA_FILE,
    METRICS_FILE,
    MODEL_FILE,
    PLOTS_DIR,
    TEST_DATA,
    TRAIN_DATA,
)
from {{ cookiecutter.package_name }}.stages import api_schema as api_schema_stage
from {{ cookiecutter.package_name }}.stages import evaluate
from tests.helpers import PROJECT_ROOT


def test_api_schema_stage_writes_the_schema_of_the_training_features(
    tmp_path, monkeypatch, train_test, target
):
    """`api_schema` exports the schema for exactly the training table's features."""
    monkeypatch.chdir(tmp_path)
    write_table(train_test[0], TRAIN_DATA)
    api_schema_stage.run(target)
    features = [column for column in train_test[0].columns if column != target]
    assert read_json(API_SCHEMA_FILE) == json.loads(json.dumps(api_schema(features)))


def test_evaluate_writes_the_metrics_and_exactly_the_plots_dvc_yaml_declares(
    tmp_path, monkeypatch, model, holdout, params, target
):
    """metrics.json holds the scores; plots/ holds the plot data and images dvc.yaml lists."""
    dvc = yaml.safe_load((PROJECT_ROOT / "dvc.yaml").read_text(encoding="utf-8"))
    declared = {next(iter(entry)) if isinstance(entry, dict) else entry for entry in dvc["plots"]}
    monkeypatch.chdir(tmp_path)
    write_table(holdout[0].assign(**{target: holdout[1]}), TEST_DATA)
    MODEL_FILE.parent.mkdir()
    joblib.dump(model, MODEL_FILE)
    results = evaluate.run(params.evaluate, target)
    assert read_json(METRICS_FILE) == results
    written = {path.as_posix() for path in PLOTS_DIR.iterdir()}
    assert written == declared
