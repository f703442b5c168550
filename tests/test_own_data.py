"""Tier 3 (minutes): your own data, following the generated README's "Your own data" steps.

A default (classification) bake gets a CSV of 5,000 customers: six numeric features, one with
missing values, and a `yes`/`no` target. As a user would: `dvc add` it, edit params.yaml,
`make repro test register build`, commit through every git hook, serve the bento and predict a row
with a null feature. Then the bundled iris dataset, by a params.yaml change only.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import urllib.request
from pathlib import Path

import pytest
import yaml
from cookiecutter.main import cookiecutter

from tests.helpers import TEMPLATE, free_port, http_ok, make, project_env, run, wait_until

pytestmark = pytest.mark.slow

ROWS = 5000
SOURCE = "data/external/customers.csv"
FEATURES = ("tenure", "monthly_spend", "support_calls", "contract_months", "age", "discount")
WRITE_CUSTOMERS = """
import sys
import numpy as np, pandas as pd
rng = np.random.default_rng(11)
rows = int(sys.argv[2])
table = pd.DataFrame({
    "tenure": rng.uniform(0, 72, rows),
    "monthly_spend": rng.uniform(10, 150, rows),
    "support_calls": rng.integers(0, 10, rows),
    "contract_months": rng.choice([1, 12, 24], rows),
    "age": rng.uniform(18, 80, rows),
    "discount": rng.uniform(0, 0.3, rows),
})
signal = 0.6 * table.support_calls - 0.05 * table.tenure - 0.08 * table.contract_months + 1.0
table["churned"] = np.where(signal + rng.normal(0, 0.7, rows) > 0, "yes", "no")
table.loc[rng.random(rows) < 0.1, "discount"] = np.nan  # a tenth of the discounts are unknown
table.to_csv(sys.argv[1], index=False)
"""


def edit_params(project: Path, **sections: dict) -> None:
    """Change params.yaml as a user would (section by section)."""
    path = project / "params.yaml"
    params = yaml.safe_load(path.read_text())
    for name, changes in sections.items():
        params[name] = {**params[name], **changes}
    path.write_text(yaml.safe_dump(params, sort_keys=False))


def post(url: str, body: object) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read())


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A default bake after `make setup`, with the customers' CSV in data/external/."""
    output = tmp_path_factory.mktemp("own-data")
    baked = Path(cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(output),
                              extra_context={"project_name": "Churn Model"}))  # fmt: skip
    make(baked, "setup")
    run(baked, "uv", "run", "python", "-c", WRITE_CUSTOMERS, SOURCE, str(ROWS))
    return baked


def test_dvc_add_tracks_the_file_for_git_as_a_pointer(project: Path):
    """Step 1: `dvc add` writes the pointer file and ignores the data; git stages the pointer."""
    run(project, "uv", "run", "dvc", "add", SOURCE)
    run(project, "git", "add", f"{SOURCE}.dvc", "data/external/.gitignore")
    assert "customers.csv" in (project / "data/external/.gitignore").read_text()
    assert "md5:" in (project / f"{SOURCE}.dvc").read_text()


def test_params_edit_points_the_pipeline_at_the_file(project: Path):
    """Step 2: the source, target and every dataset-specific setting, in params.yaml only."""
    edit_params(
        project,
        ingest={"dataset": None, "path": SOURCE, "target": "churned"},
        evaluate={"thresholds": {"roc_auc": 0.8}, "directional": {"support_calls": "increase"}},
        registry={"metric": "roc_auc"},
    )
    output = make(project, "repro")
    assert f"ingest: {ROWS} rows x {len(FEATURES)} features" in output


def test_project_tests_pass_on_own_data(project: Path):
    """Step 3: the code, data, model (threshold, direction) and service tests, notebook too."""
    assert " passed" in make(project, "test")


def test_register_and_build_the_own_data_model(project: Path):
    """The model trained on the CSV becomes the champion and is built into a bento."""
    assert "-> @champion" in make(project, "register")
    assert "Successfully built Bento" in make(project, "build")


def test_commit_passes_every_git_hook(project: Path):
    """The first commit (pointer files, pipeline outputs, lock files) passes every hook:
    secret scan, large files, the data guard."""
    run(project, "git", "add", "--all")
    output = run(project, "git", "commit", "--message", "Churn model on our own data")
    assert "Failed" not in output
    assert run(project, "git", "status", "--porcelain").strip() == ""
    committed = run(project, "git", "ls-files").split()
    assert f"{SOURCE}.dvc" in committed
    assert SOURCE not in committed


def test_served_model_answers_a_row_with_a_missing_value(project: Path):
    """`make serve`; a row whose `discount` is null gets a label and finite probabilities."""
    row = {"tenure": 3.0, "monthly_spend": 80.0, "support_calls": 8, "contract_months": 1,
           "age": 40.0, "discount": None}  # fmt: skip
    port = free_port()
    server = subprocess.Popen(["make", "serve", f"PORT={port}"], cwd=project,
                              env=project_env(project), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: http_ok(f"{base}/readyz"), "make serve",
                   alive=lambda: server.poll() is None)  # fmt: skip
        status, answer = post(f"{base}/predict", {"features": row})
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    assert status == 200
    assert answer["label"] == "yes"  # many support calls, a new monthly contract
    assert set(answer["probabilities"]) == {"no", "yes"}
    assert abs(sum(answer["probabilities"].values()) - 1) < 1e-9


def test_bundled_iris_by_a_params_change_only(project: Path):
    """Switching to a bundled multi-class dataset is params.yaml alone: labels are its names and
    the model tests (its accuracy threshold, behaviour) pass."""
    edit_params(
        project,
        ingest={"dataset": "iris", "path": None, "target": "species"},
        evaluate={"thresholds": {"accuracy": 0.8}, "directional": {}},
    )
    make(project, "repro")
    confusion = json.loads((project / "plots/confusion.json").read_text())
    assert {row["actual"] for row in confusion} == {"setosa", "versicolor", "virginica"}
    assert " passed" in make(project, "test-model")
