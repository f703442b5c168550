"""Tier 2 (seconds): every supported option combination bakes into a clean, parseable project."""

from __future__ import annotations

import ast
import itertools
import os
import re
import subprocess
import sys
import tomllib

import pytest
import yaml

from tests.helpers import TEMPLATE, on_spark, parse_structured, project_files, tree_entries

GITHUB_EXPRESSION = re.compile(r"\$\{\{.*?\}\}")
# Other tools' own templates, copied unrendered: Prometheus alert text (`{{ $labels.label }}`)
# and Grafana legends (`{{label}}`, a bare name: an answer would be `cookiecutter.<name>`).
OTHER_TEMPLATES = re.compile(r"\{\{ \$[\w.]+ \}\}|\{\{\w+\}\}")
# Jinja for BentoML (`bentoml build` renders it), copied unrendered (`_copy_without_render`).
BENTOML_TEMPLATES = ("deploy/bento/Dockerfile.j2",)

COMMON_FILES = {
    ".devcontainer/devcontainer.json",
    ".dockerignore",
    ".dvc/.gitignore",
    ".dvc/config",
    ".dvcignore",
    ".env.example",
    ".github/CODEOWNERS",
    ".github/actions/setup/action.yml",
    ".github/dependabot.yml",
    ".github/rulesets/main.json",
    ".github/scripts/propose.sh",
    ".github/scripts/retrain-by-hand.md",
    ".github/scripts/template-sync-by-hand.md",
    ".github/workflows/ci.yml",
    ".github/workflows/model-report.yml",
    ".github/workflows/monitor.yml",
    ".github/workflows/release.yml",
    ".github/workflows/retrain.yml",
    ".github/workflows/score.yml",
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
    "deploy/bento/Dockerfile.j2",
    "deploy/grafana/dashboards/model-service.json",
    "deploy/grafana/provisioning/dashboards/dashboards.yml",
    "deploy/grafana/provisioning/datasources/prometheus.yml",
    "deploy/k8s/base/deployment.yaml",
    "deploy/k8s/batch/cronjob.yaml",
    "deploy/k8s/batch/kustomization.yaml",
    "deploy/k8s/base/hpa.yaml",
    "deploy/k8s/base/kustomization.yaml",
    "deploy/k8s/base/pdb.yaml",
    "deploy/k8s/base/service.yaml",
    "deploy/k8s/overlays/production/kustomization.yaml",
    "deploy/k8s/overlays/production/stable.yaml",
    "deploy/k8s/overlays/canary/kustomization.yaml",
    "deploy/k8s/overlays/canary/champion-replicas.yaml",
    "deploy/k8s/overlays/canary/challenger/kustomization.yaml",
    "deploy/k8s/overlays/canary/challenger/canary.yaml",
    "deploy/mlflow/Dockerfile",
    "deploy/mlflow/entrypoint.sh",
    "deploy/prometheus/prometheus.yml",
    "deploy/prometheus/rules/drift.yml",
    "deploy/prometheus/rules/service.yml",
    "deploy/prometheus/tests/drift.test.yml",
    "deploy/prometheus/tests/service.test.yml",
    "docker-compose.yml",
    "dvc.yaml",
    "loadtest/locustfile.py",
    "loadtest/run.py",
    "notebooks/1.0-explore-data.ipynb",
    "notebooks/README.md",
    "params.yaml",
    "pyproject.toml",
    *(
        f"tests/{name}.py"
        for name in (
            "__init__", "conftest", "helpers",
            "code/__init__", "code/test_api", "code/test_cli", "code/test_config",
            "code/test_data_contract", "code/test_data_io", "code/test_estimator",
            "code/test_git", "code/test_metrics", "code/test_registry", "code/test_reports",
            "code/test_split", "code/test_stages", "code/test_structure", "code/test_tracking",
            "code/test_task", "code/test_drift", "code/test_monitoring_edges",
            "code/test_prediction_log", "code/test_scoring", "code/test_audit",
            "code/test_model_loader",
            "data/__init__", "data/test_dataset", "data/test_notebooks", "data/test_target",
            "model/__init__", "model/test_model", "model/test_task_behaviour", "model/test_monitor",
            "service/__init__", "service/conftest", "service/fuzz_hooks",
            "service/test_contract", "service/test_http", "service/test_refusals",
            "service/test_serving_set", "service/test_packed_scoring",
        )
    ),
    "tests/service/schemathesis.toml",
}  # fmt: skip
MODULES = (
    "__init__", "api", "charts", "cli", "config", "data_contract", "data_io", "errors",
    "estimator", "feature_matrix", "git", "metrics", "model_loader", "paths", "plots",
    "prediction_log", "release", "request_guard", "service",
    "split", "task", "tracking", "vocabulary",
    "registry/__init__", "registry/bento_store", "registry/promote", "registry/register",
    "registry/audit", "registry/retire", "registry/trail",
    "reports/__init__", "reports/facts", "reports/markdown",
    "scoring/__init__", "scoring/batches", "scoring/run",
    "monitoring/__init__", "monitoring/drift", "monitoring/logs", "monitoring/monitor",
    "monitoring/reference", "monitoring/report", "monitoring/shifts", "monitoring/shipping",
    "monitoring/traffic",
    "stages/__init__", "stages/api_schema", "stages/evaluate", "stages/ingest",
    "stages/prepare", "stages/train",
)  # fmt: skip


# Files only some values of an answer have.
TASK_FILES = {"classification": {".dvc/plots/confusion_counts.json"}, "regression": set()}


def expected_files(package: str, task: str, license_: str) -> set[str]:
    files = COMMON_FILES | TASK_FILES[task] | {f"src/{package}/{module}.py" for module in MODULES}
    return files if license_ == "Proprietary" else files | {"LICENSE"}


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
    return result.project_path, {**request.param, "package_name": result.context["package_name"]}


def test_matrix_covers_every_value():
    """Each value of every choice is baked at least once."""
    for name, values in {"python_version": PYTHONS, "license": LICENSES}.items():
        assert {c[name] for c in COMBINATIONS} == set(values)
    assert len({(c["task"], c["dvc_remote"]) for c in COMBINATIONS}) == len(TASKS) * len(REMOTES)


def test_exact_file_set(baked):
    """The project holds exactly the expected files, no more and no fewer."""
    path, answers = baked
    expected = expected_files(answers["package_name"], answers["task"], answers["license"])
    assert project_files(path) == expected


def test_no_template_syntax_left(baked):
    """No file still contains Jinja markers after rendering (GitHub's `${{ }}`, Prometheus's and
    Grafana's templates are not Jinja)."""
    path, _ = baked
    leftovers = [
        name
        for name in project_files(path) - set(BENTOML_TEMPLATES)
        if "{{"
        in (
            text := OTHER_TEMPLATES.sub(
                "", GITHUB_EXPRESSION.sub("", (path / name).read_text(encoding="utf-8"))
            )
        )
        or "{%" in text
    ]
    assert leftovers == []


@pytest.mark.parametrize("name", BENTOML_TEMPLATES)
def test_bentoml_templates_are_copied_unrendered(baked, name):
    """BentoML's Dockerfile template reaches the project byte for byte, its Jinja intact."""
    path, _ = baked
    source = TEMPLATE / "{{cookiecutter.project_slug}}" / name
    assert (path / name).read_bytes() == source.read_bytes()
    assert "{% extends bento_base_template %}" in source.read_text()


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
    """bentoml (serving group), mlflow and dvc carry the floors that keep the resolver off
    ancient releases."""
    path, answers = baked
    pyproject = tomllib.loads((path / "pyproject.toml").read_text())
    dependencies = set(pyproject["project"]["dependencies"])
    dvc = "dvc>=3" if answers["dvc_remote"] == "local" else f"dvc[{answers['dvc_remote']}]>=3"
    assert {"mlflow>=3", dvc} <= dependencies
    assert "bentoml>=1.4" in pyproject["dependency-groups"]["serving"]


def test_uv_installs_the_serving_group_with_the_project(baked):
    """`uv sync` installs the serving group (the service's packages) besides the dev tools."""
    path, _ = baked
    pyproject = tomllib.loads((path / "pyproject.toml").read_text())
    assert set(pyproject["tool"]["uv"]["default-groups"]) == {"serving", "dev"}


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


def test_the_chosen_task_module_is_in_place(baked):
    """The task's variant files replaced the generic names; no other task's files remain."""
    path, answers = baked
    task_module = (path / "src" / answers["package_name"] / "task.py").read_text()
    assert f'NAME = "{answers["task"]}"' in task_module


def run_structure_tests(path, *args: str) -> subprocess.CompletedProcess[str]:
    """The project's own structure tests (plain Python and PyYAML), run with this suite's
    interpreter: no project environment needed."""
    command = [sys.executable, "-m", "pytest", "-q", "--noconftest", "-p", "no:cacheprovider",
               "tests/code/test_structure.py", *args]  # fmt: skip
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(command, cwd=path, capture_output=True, text=True, env=env)


def test_pipeline_structure_holds(baked):
    """dvc.yaml's deps are each stage's import closure, and the other structure rules hold."""
    path, _ = baked
    result = run_structure_tests(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_structure_test_names_a_dependency_dvc_yaml_lost(cookies, tmp_path):
    """Removing a module from a stage's deps fails the project's test, naming stage and file."""
    path = cookies.bake().project_path
    dvc_yaml = path / "dvc.yaml"
    lost = "      - src/breast_cancer_classifier/split.py\n"
    text = dvc_yaml.read_text()
    assert text.count(lost) == 1
    dvc_yaml.write_text(text.replace(lost, ""))
    result = run_structure_tests(path, "-k", "prepare")
    assert result.returncode == 1
    assert "dvc.yaml stage 'prepare' lacks deps it imports" in result.stdout
    assert "src/breast_cancer_classifier/split.py" in result.stdout


# Made by a command, so absent from a fresh bake.
MADE_LATER = "(made by"


def test_readme_layout_lists_the_project(baked):
    """The README's Layout lists every top-level file and folder, every module of the package
    and every file or folder directly under tests/, and nothing that does not exist."""
    path, answers = baked
    layout = tree_entries((path / "README.md").read_text(encoding="utf-8"), "## Layout")
    package = f"src/{answers['package_name']}"
    listed_first = {
        child.relative_to(path).as_posix()
        for folder in (path, path / package, path / "tests")
        for child in folder.iterdir()
        if child.name not in {"__pycache__", ".git"}
    }
    assert listed_first - {"src"} <= set(layout), sorted(listed_first - set(layout))
    for entry, note in layout.items():
        assert MADE_LATER in note or (path / entry).exists(), f"layout lists missing {entry}"


def test_readme_spark_snippet_is_python_for_the_task(baked):
    """The README's "On Spark" script parses, names the registered model and asks Spark for the
    task's answer type (the spark tier, `make test-spark`, runs it)."""
    path, answers = baked
    command, script = on_spark((path / "README.md").read_text(encoding="utf-8"))
    ast.parse(script)
    answer = {"classification": "string", "regression": "double"}[answers["task"]]
    assert f'result_type="{answer}"' in script
    model_name = yaml.safe_load((path / "params.yaml").read_text())["registry"]["model_name"]
    assert f'NAME = "{model_name}"' in script
    assert command.startswith("uv run --with ")
