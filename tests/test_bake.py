"""Tier 2 (seconds): every supported option combination bakes into a clean, parseable project."""

from __future__ import annotations

import ast
import itertools
import re
import subprocess
import sys
import tomllib

import pytest
import yaml

from tests.helpers import parse_structured, project_files

PACKAGE = "breast_cancer_classifier"
GITHUB_EXPRESSION = re.compile(r"\$\{\{.*?\}\}")

COMMON_FILES = {
    ".devcontainer/devcontainer.json",
    ".dockerignore",
    ".dvc/.gitignore",
    ".dvc/config",
    ".dvcignore",
    ".env.example",
    ".github/dependabot.yml",
    ".github/workflows/ci.yml",
    ".github/workflows/model-report.yml",
    ".github/workflows/release.yml",
    ".github/workflows/retrain.yml",
    ".github/workflows/template-sync.yml",
    ".gitignore",
    ".pre-commit-config.yaml",
    ".python-version",
    ".secrets.baseline",
    "Dockerfile",
    "Makefile",
    "bentofile.yaml",
    "README.md",
    "data/external/README.md",
    "deploy/k8s/base/deployment.yaml",
    "deploy/k8s/base/hpa.yaml",
    "deploy/k8s/base/kustomization.yaml",
    "deploy/k8s/base/pdb.yaml",
    "deploy/k8s/base/service.yaml",
    "deploy/k8s/overlays/production/kustomization.yaml",
    "deploy/mlflow/Dockerfile",
    "deploy/mlflow/entrypoint.sh",
    "docker-compose.yml",
    "dvc.yaml",
    "loadtest/locustfile.py",
    "loadtest/run.py",
    "params.yaml",
    "pyproject.toml",
    "tests/__init__.py",
    "tests/conftest.py",
    "tests/code/__init__.py",
    "tests/code/test_api.py",
    "tests/code/test_cli.py",
    "tests/code/test_config.py",
    "tests/code/test_data_io.py",
    "tests/code/test_features.py",
    "tests/code/test_metrics.py",
    "tests/code/test_reporting.py",
    "tests/code/test_schema.py",
    "tests/code/test_tracking.py",
    "tests/data/__init__.py",
    "tests/data/test_dataset.py",
    "tests/model/__init__.py",
    "tests/model/test_model.py",
    "tests/service/__init__.py",
    "tests/service/conftest.py",
    "tests/service/test_contract.py",
    "tests/service/test_http.py",
    *(
        f"src/{PACKAGE}/{module}.py"
        for module in (
            "__init__", "api", "cli", "config", "data_io", "features", "metrics", "plots",
            "report", "reporting", "schema", "service", "tracking", "stages/__init__",
            "stages/ingest", "stages/prepare", "stages/contract", "stages/train",
            "stages/evaluate", "stages/register", "stages/promote", "stages/bento_model",
        )
    ),
}  # fmt: skip

# task and dvc_remote interact (code, params, dependencies and remote config all depend on
# them): their full product is baked. python_version and license are independent of everything
# else and of each other, so they are cycled across the product: every value appears at least once.
TASKS = ("classification", "regression")
REMOTES = ("local", "s3", "gcs", "azure")
PYTHONS = ("3.11", "3.12", "3.13")
LICENSES = ("MIT", "Apache-2.0", "BSD-3-Clause", "Proprietary")
COMBINATIONS = [
    {"task": task, "dvc_remote": remote, "python_version": python, "license": license_}
    for (task, remote), python, license_ in zip(
        itertools.product(TASKS, REMOTES),
        itertools.cycle(PYTHONS),
        itertools.cycle(LICENSES),
        strict=False,
    )
]
REMOTE_SCHEMES = {"local": "../../", "s3": "s3://", "gcs": "gs://", "azure": "azure://"}
LICENSE_FIRST_LINES = {
    "MIT": "MIT License",
    "Apache-2.0": "Apache License",
    "BSD-3-Clause": "BSD 3-Clause License",
}


def combination_id(answers: dict[str, str]) -> str:
    return "-".join(answers.values())


@pytest.fixture(scope="module", params=COMBINATIONS, ids=combination_id)
def baked(request, cookies_session):
    """One bake per option combination, shared by the checks below."""
    result = cookies_session.bake(extra_context=request.param)
    assert result.exit_code == 0, result.exception
    return result.project_path, request.param


def test_matrix_covers_every_value():
    """Each value of every choice is baked at least once."""
    for name, values in {"python_version": PYTHONS, "license": LICENSES}.items():
        assert {c[name] for c in COMBINATIONS} == set(values)
    assert len({(c["task"], c["dvc_remote"]) for c in COMBINATIONS}) == len(TASKS) * len(REMOTES)


def test_exact_file_set(baked):
    """The project holds exactly the expected files, no more and no fewer."""
    path, answers = baked
    expected = set(COMMON_FILES)
    if answers["license"] != "Proprietary":
        expected.add("LICENSE")
    assert project_files(path) == expected


def test_no_template_syntax_left(baked):
    """No file still contains Jinja markers after rendering (GitHub's `${{ }}` is not Jinja)."""
    path, _ = baked
    leftovers = [
        name
        for name in project_files(path)
        if "{{" in (text := GITHUB_EXPRESSION.sub("", (path / name).read_text(encoding="utf-8")))
        or "{%" in text
    ]
    assert leftovers == []


def test_structured_files_parse(baked):
    """Every TOML, YAML and JSON file parses, and every Python file compiles."""
    path, _ = baked
    for name in project_files(path):
        file = path / name
        if file.suffix in {".toml", ".yaml", ".yml", ".json"}:
            parse_structured(file)
        elif file.suffix == ".py":
            ast.parse(file.read_text(encoding="utf-8"), filename=name)


def test_python_version_sets_requirement_and_ruff_target(baked):
    """The chosen Python is the floor, the pinned interpreter and ruff's target."""
    path, answers = baked
    pyproject = tomllib.loads((path / "pyproject.toml").read_text())
    version = answers["python_version"]
    assert pyproject["project"]["requires-python"] == f">={version}"
    assert pyproject["tool"]["ruff"]["target-version"] == f"py{version.replace('.', '')}"
    assert (path / ".python-version").read_text().strip() == version


def test_core_stack_has_floors(baked):
    """bentoml, mlflow and dvc carry the floors that keep the resolver off ancient releases."""
    path, answers = baked
    dependencies = tomllib.loads((path / "pyproject.toml").read_text())["project"]["dependencies"]
    dvc = "dvc>=3" if answers["dvc_remote"] == "local" else f"dvc[{answers['dvc_remote']}]>=3"
    assert {"bentoml>=1.4", "mlflow>=3", dvc} <= set(dependencies)


def test_dvc_remote_points_at_the_chosen_kind(baked):
    """`.dvc/config` names the chosen remote kind's URL and holds no credentials."""
    path, answers = baked
    config = (path / ".dvc" / "config").read_text()
    url_line = next(line for line in config.splitlines() if line.strip().startswith("url ="))
    assert url_line.split("=", 1)[1].strip().startswith(REMOTE_SCHEMES[answers["dvc_remote"]])
    assert "analytics = false" in config
    for secret in ("access_key", "secret", "credentialpath", "connection_string", "sas_token"):
        assert secret not in config


def test_task_chooses_data_and_metric(baked):
    """params.yaml starts from the task's bundled dataset and promotion metric."""
    path, answers = baked
    params = yaml.safe_load((path / "params.yaml").read_text())
    expected = {"classification": ("breast_cancer", "roc_auc"), "regression": ("diabetes", "rmse")}
    assert (params["ingest"]["dataset"], params["registry"]["metric"]) == expected[answers["task"]]


def test_license_file_and_metadata_agree(baked):
    """The LICENSE text and the package metadata name the chosen license."""
    path, answers = baked
    metadata = tomllib.loads((path / "pyproject.toml").read_text())["project"]
    if answers["license"] == "Proprietary":
        assert metadata["license"] == "LicenseRef-Proprietary"
        assert "Private :: Do Not Upload" in metadata["classifiers"]
    else:
        assert metadata["license"] == answers["license"]
        first_line = (path / "LICENSE").read_text().strip().splitlines()[0].strip()
        assert first_line == LICENSE_FIRST_LINES[answers["license"]]


def test_baked_code_passes_ruff(baked):
    """The generated code passes its own ruff settings (the full gate uses its locked ruff)."""
    path, _ = baked
    ruff = [sys.executable, "-m", "ruff"]
    for command in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
        result = subprocess.run([*ruff, *command], cwd=path, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
