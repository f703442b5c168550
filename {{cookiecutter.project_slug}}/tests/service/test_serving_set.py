"""The serving dependency group is all the service needs: in a fresh environment made from the
bento's requirements alone (what the image installs), the service imports, loads the champion
without MLflow and answers exactly as the registry's champion does."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from {{ cookiecutter.package_name }} import task, tracking
from {{ cookiecutter.package_name }}.reports import facts, markdown
from {{ cookiecutter.package_name }}.vocabulary import CHAMPION, METADATA_INPUT_EXAMPLE
from tests.helpers import NOT_FOR_SERVING, PROJECT_ROOT, SERVICE_MODEL, frame

# Run in the fresh environment: the service as `bentoml serve` loads it from the bento, its
# readiness check, its outputs for each row of the logged input example (as /predict gets
# them), and every module it loaded.
PROBE = """
import json, sys
from src.{{ cookiecutter.package_name }} import service

instance = service.ModelService.inner()
assert instance.__is_ready__()
print(json.dumps({
    "outputs": [instance.predict_values(row[None, :]).tolist() for row in instance.example],
    "modules": sorted({name.split(".")[0] for name in sys.modules}),
    "pandas_refused": any(isinstance(finder, service.AbsentPandas) for finder in sys.meta_path),
}))
"""


@pytest.fixture(scope="module")
def fresh_run(champion: str, serving_python: Path, tmp_path_factory) -> dict[str, Any]:
    """The probe's answer from the environment of the serving group alone."""
    scratch = tmp_path_factory.mktemp("serving-probe")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(scratch)),
        "BENTOML_HOME": os.environ["BENTOML_HOME"],
        "BENTOML_DO_NOT_TRACK": "true",
        "BENTO_MODEL_TAG": champion,
        "PREDICTION_LOG_DIR": str(scratch / "logs"),
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    run = subprocess.run(  # noqa: S603 - fixed command
        [str(serving_python), "-c", PROBE], cwd=scratch, env=env, capture_output=True,
        text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-4000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_serving_requirements_leave_out_the_pipelines_tools():
    """The bento's requirements name none of DVC, MLflow, pandas, pandera, matplotlib,
    evidently or locust."""
    packages = markdown.parse_requirements(facts.serving_requirements(PROJECT_ROOT))
    assert not [name for name in packages if name in NOT_FOR_SERVING]


def test_service_runs_in_an_environment_of_the_serving_group_alone(fresh_run):
    """Imported, loaded and ready in that environment, the service loaded no module of the
    pipeline's tools."""
    assert not [name for name in fresh_run["modules"] if name in NOT_FOR_SERVING]


def test_service_refuses_pandas_imports_at_once_where_pandas_is_absent(fresh_run):
    """Without pandas, the service's finder fails scikit-learn's per-call pandas import at once
    (Python would search the whole path on every prediction)."""
    assert fresh_run["pandas_refused"] is True


def test_service_answers_like_the_champion_loaded_through_mlflow(fresh_run, service):
    """The model read without MLflow gives exactly the outputs of MLflow's own loader."""
    champion = tracking.load_model(f"models:/{SERVICE_MODEL}@{CHAMPION}")
    rows = service.STORED.info.metadata[METADATA_INPUT_EXAMPLE]
    assert fresh_run["outputs"] == [task.predict(champion, frame([row])).tolist() for row in rows]
