"""Spark tier (`make test-spark`; minutes; not part of `make test`): the generated README's "On
Spark" snippet, run as written in a trained bake of each task, scores the registered champion
through `mlflow.pyfunc.spark_udf` with pyspark in local mode, as the champion does in process.

Kept out of `make test` by measurement: even with pyspark in uv's cache, one run of the snippet
(Spark's JVM, the Python workers importing MLflow and scikit-learn, the model) takes about a
minute on 2 cores, and that suite has 2 minutes of its 40 left. The `spark` marker is deselected
by the addopts in pyproject.toml; `make test-spark` selects it (and installs a JRE if missing).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

from tests.helpers import TEMPLATE, on_spark, run

pytestmark = [pytest.mark.slow, pytest.mark.spark]

# pyspark 4 runs on Java 17 or newer.
MIN_JAVA = 17

# The champion's own predictions on the snippet's table, against what the snippet wrote.
COMPARE = """
import json, sys
import mlflow
import pandas as pd
name, table, scored, column = sys.argv[1:]
version = mlflow.MlflowClient().get_model_version_by_alias(name, "champion").version
model = mlflow.pyfunc.load_model(f"models:/{name}/{version}")
rows = pd.read_parquet(table)
expected = model.predict(rows[model.metadata.get_input_schema().input_names()])
got = pd.read_parquet(scored)
print(json.dumps({
    "rows": [len(rows), len(got)],
    "inputs_kept_in_order": bool(got[rows.columns].equals(rows)),
    "equal": [str(a) for a in got[column]] == [str(e) for e in expected],
    "unequal": int((got[column].astype(str) != pd.Series(expected).astype(str)).sum()),
    "versions": sorted(set(got["model_version"])) + [version],
}))
"""


def java_major() -> int:
    """The major version of the `java` on PATH (`java -version` prints it on stderr)."""
    try:
        shown = subprocess.run(
            ["java", "-version"], capture_output=True, text=True, check=True
        ).stderr
    except (OSError, subprocess.CalledProcessError):
        return 0
    match = re.search(r'version "(\d+)', shown)
    return int(match[1]) if match else 0


def quoted(pattern: str, script: str) -> str:
    """The string the snippet gives where `pattern` matches (its model name, table, output)."""
    match = re.search(pattern, script, flags=re.MULTILINE)
    assert match, f"the README's snippet no longer matches {pattern!r}"
    return match[1]


@pytest.fixture(scope="module", params=["classification", "regression"])
def trained(request, tmp_path_factory) -> Path:
    """A bake of the task after `make setup repro register`: the registry holds a champion."""
    assert java_major() >= MIN_JAVA, (
        f"pyspark 4 needs Java {MIN_JAVA}+ on PATH (`make test-spark` installs it with apt)"
    )
    baked = Path(
        cookiecutter(
            str(TEMPLATE),
            no_input=True,
            output_dir=str(tmp_path_factory.mktemp("spark")),
            extra_context={"task": request.param},
        )
    )
    run(baked, "make", "setup", "repro", "register")
    return baked


def test_readme_snippet_scores_on_spark_as_the_champion_does_in_process(trained: Path):
    """The README's snippet, as written, gives the champion's in-process predictions."""
    command, script = on_spark((trained / "README.md").read_text(encoding="utf-8"))
    script_name = re.search(r"python (\S+\.py)", command)
    assert script_name, f"the README's command runs no script: {command}"
    (trained / script_name[1]).write_text(script, encoding="utf-8")
    run(trained, "bash", "-c", command)

    name = quoted(r'^NAME = "([^"]+)"', script)
    table = quoted(r'spark\.read\.parquet\("([^"]+)"\)', script)
    scored = quoted(r'\.parquet\("([^"]+)"\)\s*\nspark\.stop', script)
    column = quoted(r'withColumn\("(\w+)", predict\(\)\)', script)
    output = run(trained, "uv", "run", "python", "-c", COMPARE, name, table, scored, column)
    result = json.loads(output.strip().splitlines()[-1])
    assert result["rows"][0] == result["rows"][1] > 0
    assert result["inputs_kept_in_order"]
    assert result["equal"], f"{result['unequal']} predictions differ from the champion's"
    assert len(set(result["versions"])) == 1, f"scored by another version: {result['versions']}"
