"""The batch CronJob's command runs in the service's image: in a fresh environment of the
serving group alone (what the image installs), `score --packed` of a bento laid out as the
image holds it scores a CSV file into exactly the predictions the registry's champion gives
(`make score`), bit for bit."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import bentoml
import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
import yaml

from {{ cookiecutter.package_name }} import task, tracking
from {{ cookiecutter.package_name }}.paths import PARAMS_FILE
from {{ cookiecutter.package_name }}.scoring import run
from {{ cookiecutter.package_name }}.vocabulary import CHAMPION
from tests.helpers import NOT_FOR_SERVING, PROJECT_ROOT, SERVICE_MODEL

PACKAGE = task.__name__.split(".")[0]
# Columns that differ between two runs of the same rows.
RUN_COLUMNS = ("scored_at",)


@pytest.fixture(scope="module")
def bento(champion: str, tmp_path_factory) -> Path:
    """A folder laid out as a built bento: the sources and params.yaml under src/ (naming the
    test's registered model), the champion's store folder under models/<name>/<version>/."""
    root = tmp_path_factory.mktemp("bento")
    sources = root / "src"
    shutil.copytree(PROJECT_ROOT / "src" / PACKAGE, sources / "src" / PACKAGE,
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    params = yaml.safe_load((PROJECT_ROOT / PARAMS_FILE).read_text(encoding="utf-8"))
    params["registry"]["model_name"] = SERVICE_MODEL
    (sources / PARAMS_FILE).write_text(yaml.safe_dump(params), encoding="utf-8")
    stored = bentoml.models.get(champion)
    shutil.copytree(stored.path, root / "models" / stored.tag.name / str(stored.tag.version))
    return root


@pytest.fixture(scope="module")
def rows(holdout, tmp_path_factory) -> Path:
    """The held-out features with an id column and a few missing values, as a CSV file."""
    X, _ = holdout
    table = X.reset_index(drop=True).assign(row_id=[f"r{i}" for i in range(len(X))])
    table.loc[::7, X.columns[0]] = np.nan
    path = tmp_path_factory.mktemp("packed-scoring-input") / "rows.csv"
    table.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def packed_scores(serving_python: Path, bento: Path, rows: Path, tmp_path_factory) -> pa.Table:
    """What the CronJob's command writes, run in the bento's sources with the serving
    environment's Python (no uv, no registry)."""
    output = tmp_path_factory.mktemp("packed-scoring-output") / "scores.parquet"
    home = tmp_path_factory.mktemp("packed-scoring-home")
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "BENTO_PATH": str(bento)}
    command = [str(serving_python), "-m", f"src.{PACKAGE}.cli", "score", "--packed",
               "--input", str(rows), "--output", str(output), "--id-column", "row_id"]  # fmt: skip
    done = subprocess.run(  # noqa: S603 - fixed command
        command, cwd=bento / "src", env=env, capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:] + done.stdout[-2000:]
    assert "(packed in the bento)" in done.stdout
    return pq.read_table(output)


def test_serving_environment_lacks_the_pipelines_packages(serving_python: Path):
    """The environment the packed run uses cannot import the pipeline's packages (MLflow,
    pandas, pandera, DVC, ...): a run that succeeds there imported none of them."""
    probe = "import importlib.util as u, sys; print(*[n for n in sys.argv[1:] if u.find_spec(n)])"
    found = subprocess.run(  # noqa: S603 - fixed command
        [str(serving_python), "-c", probe, *NOT_FOR_SERVING], capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    assert found.stdout.split() == []


def test_packed_scores_equal_make_score_with_the_registrys_champion(packed_scores, rows, tmp_path):
    """Every column but the run's time is what `make score` writes with the registry's
    @champion (the same model version, run id, ids and answers), bit for bit."""
    output = tmp_path / "registry.parquet"
    run.score(run.load_registered(SERVICE_MODEL, None), str(rows), str(output), "row_id")
    registry = pq.read_table(output)
    assert packed_scores.column_names == registry.column_names
    assert packed_scores.drop(list(RUN_COLUMNS)).equals(registry.drop(list(RUN_COLUMNS)))
    metadata = {key: value for key, value in packed_scores.schema.metadata.items()
                if key != b"scored_at"}  # fmt: skip
    assert metadata == {key: value for key, value in registry.schema.metadata.items()
                        if key != b"scored_at"}  # fmt: skip


def test_packed_scores_equal_the_champion_loaded_through_mlflow(packed_scores, rows, holdout):
    """The answers are the champion's own, as MLflow loads it, on the same rows read exactly
    (Arrow's CSV reader: correctly rounded floats)."""
    champion = tracking.load_model(f"models:/{SERVICE_MODEL}@{CHAMPION}")
    X = pcsv.read_csv(rows).select(list(holdout[0].columns)).to_pandas()
    answers = task.answer_columns(task.predict(champion, X), task.classes(champion))
    for name, values in answers.items():
        assert packed_scores.column(name).to_pylist() == np.asarray(values).tolist(), name
