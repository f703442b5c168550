"""Tests of the DVC stages that write reviewed outputs: the API schema, metrics and plots, and
the reference profile."""

from __future__ import annotations

import json

import joblib
import numpy as np
import pandas as pd
import pytest
import yaml

from {{ cookiecutter.package_name }} import task
from {{ cookiecutter.package_name }}.api import feature_bounds, openapi
from {{ cookiecutter.package_name }}.config import IngestParams, ParamsError
from {{ cookiecutter.package_name }}.data_io import md5, read_json, write_table
from {{ cookiecutter.package_name }}.monitoring import reference
from {{ cookiecutter.package_name }}.paths import (
    API_SCHEMA_FILE,
    METRICS_FILE,
    MODEL_FILE,
    PLOTS_DIR,
    RAW_DATA,
    REFERENCE_FILE,
    TEST_DATA,
    TRAIN_DATA,
)
from {{ cookiecutter.package_name }}.stages import api_schema as api_schema_stage
from {{ cookiecutter.package_name }}.stages import evaluate, ingest
from tests.helpers import PROJECT_ROOT

# What the large-file git hook refuses (`check-added-large-files --maxkb=500`).
LARGE_FILE_BYTES = 500 * 1024


def test_api_schema_stage_writes_the_description_of_the_training_features(
    tmp_path, monkeypatch, train_test, target, model
):
    """`api_schema` writes the API's description for exactly the training table's features and
    bounds, under the registered model's name: what the service will publish at /docs.json."""
    monkeypatch.chdir(tmp_path)
    write_table(train_test[0], TRAIN_DATA)
    api_schema_stage.run(target, "stage-test")
    features = train_test[0].drop(columns=[target])
    expected = openapi("stage-test", feature_bounds(features), task.classes(model))
    assert read_json(API_SCHEMA_FILE) == json.loads(json.dumps(expected))


def test_evaluate_writes_the_metrics_and_exactly_the_plots_dvc_yaml_declares(
    tmp_path, monkeypatch, model, train_test, holdout, params, target
):
    """metrics.json holds the scores; plots/ holds the plot data and images dvc.yaml lists."""
    dvc = yaml.safe_load((PROJECT_ROOT / "dvc.yaml").read_text(encoding="utf-8"))
    declared = {next(iter(entry)) if isinstance(entry, dict) else entry for entry in dvc["plots"]}
    monkeypatch.chdir(tmp_path)
    write_table(train_test[0], TRAIN_DATA)
    write_table(holdout[0].assign(**{target: holdout[1]}), TEST_DATA)
    MODEL_FILE.parent.mkdir()
    joblib.dump(model, MODEL_FILE)
    results = evaluate.run(params.evaluate, target)
    assert read_json(METRICS_FILE) == results
    written = {path.as_posix() for path in PLOTS_DIR.iterdir()}
    assert written == declared


def test_evaluate_writes_the_reference_profile_of_its_model(
    tmp_path, monkeypatch, model, train_test, holdout, params, target
):
    """The reference holds the training features, the test rows' outputs and the model's md5."""
    monkeypatch.chdir(tmp_path)
    write_table(train_test[0], TRAIN_DATA)
    write_table(holdout[0].assign(**{target: holdout[1]}), TEST_DATA)
    MODEL_FILE.parent.mkdir()
    joblib.dump(model, MODEL_FILE)
    evaluate.run(params.evaluate, target)
    profile = reference.read(REFERENCE_FILE)
    assert profile.model_md5 == md5(MODEL_FILE)
    assert profile.train.equals(train_test[0].drop(columns=[target]).astype(float))
    outputs = task.columns(task.predict(model, holdout[0]), task.classes(model))
    assert set(profile.outputs) == set(outputs)
    for name, values in outputs.items():
        np.testing.assert_allclose(profile.outputs[name], values)


def test_ingest_refuses_a_directional_feature_the_data_lacks(
    tmp_path, monkeypatch, dataset, target
):
    """`make repro` stops at the first stage, naming the setting and the data's features, and
    writes nothing."""
    monkeypatch.chdir(tmp_path)
    source = tmp_path / "data.csv"
    dataset.to_csv(source, index=False)
    params = IngestParams(path=source, target=target)
    with pytest.raises(ParamsError, match=r"^evaluate\.directional\.no such column: not a feature"):
        ingest.run(params, {"no such column": "increase"})
    assert not RAW_DATA.exists()


def test_plot_data_stays_under_the_large_file_limit_at_200k_rows(
    tmp_path, monkeypatch, model, holdout, params, target
):
    """Committed outputs (metrics and plots) stay small whatever the test set's size, while the
    scores still use every row."""
    X, y = holdout
    repeats = -(-200_000 // len(X))
    rng = np.random.default_rng(0)
    big_X = pd.concat([X] * repeats, ignore_index=True).head(200_000)
    big_X = big_X + rng.normal(0, 1e-3, big_X.shape) * X.std().to_numpy()
    big_y = pd.concat([y] * repeats, ignore_index=True).head(200_000)
    monkeypatch.chdir(tmp_path)
    write_table(big_X.assign(**{target: big_y}), TEST_DATA)
    write_table(pd.DataFrame(columns=[*X.columns, target]), TRAIN_DATA)  # not what is tested
    MODEL_FILE.parent.mkdir()
    joblib.dump(model, MODEL_FILE)
    results = evaluate.run(params.evaluate, target)
    assert read_json(METRICS_FILE) == results
    sizes = {path.as_posix(): path.stat().st_size for path in [METRICS_FILE, *PLOTS_DIR.iterdir()]}
    assert max(sizes.values()) < LARGE_FILE_BYTES, sizes
