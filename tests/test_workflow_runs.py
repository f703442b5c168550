"""Tier 3 (minutes): the generated workflows' steps, run here as a GitHub runner would run them.

A default bake becomes a real git repository with a bare `origin` (its DVC pre-push hook fills
the local DVC remote). `ci.yml` and `release.yml` run in a fresh clone of `main`;
`model-report.yml` runs in a fresh clone of a pull-request branch that changed a hyperparameter
and committed only params.yaml. Only steps with no local equivalent are skipped, each named
below with its reason.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

from tests.helpers import TEMPLATE
from tests.workflow_runner import WorkflowRun, environment_without_venv, run_workflow

pytestmark = pytest.mark.slow

REPOSITORY = "jane-doe/breast-cancer-classifier"
PROVIDED = {
    "actions/checkout": "provided by the test: a fresh `git clone` of the bare origin",
    "actions/setup-python": "provided by the test: this machine's Python, with pip",
}
NO_CACHE_SERVICE = "no GitHub cache service here; the shared uv cache stands in"
SKIPPED = {
    "ci": {**PROVIDED, "Cache uv packages and DVC outputs": NO_CACHE_SERVICE},
    "model-report": {
        **PROVIDED,
        "Cache uv packages and DVC outputs": NO_CACHE_SERVICE,
        "Upload the plots": "publish-only: uploads to GitHub's artifact store",
        "comment": "publish-only: creates or updates the pull-request comment via GitHub's API",
    },
    "release": {
        **PROVIDED,
        "Build the container image": "needs a container engine; the container test builds it",
        "Push the image to GHCR": "publish-only: pushes to GitHub's container registry",
        "Publish the GitHub release": "publish-only: creates a GitHub release",
    },
}
PLOTS_URL = "https://github.example/artifacts/plots"
# Secrets nobody configured read as empty strings on GitHub.
UNSET_SECRETS = {f"secrets.{name}": "" for name in (
    "MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD",
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AZURE_STORAGE_CONNECTION_STRING",
)}  # fmt: skip


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                            env=environment_without_venv(), timeout=900)  # fmt: skip
    assert result.returncode == 0, f"git {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result.stdout


def make(cwd: Path, *targets: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(["make", *targets], cwd=cwd, capture_output=True, text=True,
                            env=env or environment_without_venv(), timeout=1800)  # fmt: skip
    assert result.returncode == 0, f"make {' '.join(targets)}:\n{result.stdout[-4000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def origin(tmp_path_factory) -> Path:
    """A developer's first commit pushed to a bare origin, plus a pull-request branch."""
    root = tmp_path_factory.mktemp("repos")
    developer = Path(cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(root)))
    env = {**environment_without_venv(), "BENTOML_HOME": str(root / "bentoml-developer")}
    make(developer, "setup", "repro", env=env)
    git(developer, "branch", "-M", "main")
    git(developer, "add", "--all")
    git(developer, "commit", "--quiet", "--message", "First model")
    bare = root / "origin.git"
    git(root, "init", "--quiet", "--bare", str(bare))
    git(developer, "remote", "add", "origin", str(bare))
    git(developer, "push", "--quiet", "origin", "main")  # DVC's pre-push hook pushes the data
    git(developer, "switch", "--quiet", "--create", "tune-c")
    params = developer / "params.yaml"
    params.write_text(params.read_text().replace("C: 1.0", "C: 0.3"))
    git(developer, "commit", "--quiet", "--all", "--message", "Weaker regularisation")
    git(developer, "push", "--quiet", "origin", "tune-c")
    return bare


def runner_env(checkout: Path) -> dict[str, str]:
    """What a GitHub runner provides: CI=true, GITHUB_* and a `python` with pip."""
    shims = checkout.parent / f"{checkout.name}-bin"
    shims.mkdir(exist_ok=True)
    python = shims / "python"
    if not python.exists():
        python.symlink_to(getattr(sys, "_base_executable", sys.executable))
    env = environment_without_venv()
    env.update(
        PATH=f"{shims}{os.pathsep}{env['PATH']}", CI="true", GITHUB_ACTIONS="true",
        GITHUB_REPOSITORY=REPOSITORY, GITHUB_RUN_ID="4242", GITHUB_ACTOR="jane-doe",
        GITHUB_SHA=git(checkout, "rev-parse", "HEAD").strip(),
        BENTOML_HOME=str(checkout.parent / f"{checkout.name}-bentoml"),
    )  # fmt: skip
    return env


def clone(origin: Path, name: str, branch: str) -> Path:
    """Like actions/checkout: a fresh clone, beside the developer's so the DVC remote resolves."""
    checkout = origin.parent / name
    git(origin.parent, "clone", "--quiet", "--branch", branch, str(origin), str(checkout))
    return checkout


def run(workflow: str, checkout: Path, **context: str) -> WorkflowRun:
    path = checkout / ".github" / "workflows" / f"{workflow}.yml"
    base = {"github.token": "", "github.repository": REPOSITORY, "github.actor": "jane-doe"}
    result = run_workflow(path, checkout, context={**base, **context},
                          skipped=SKIPPED[workflow], env=runner_env(checkout))  # fmt: skip
    print(f"\n{workflow}.yml ran: {result.ran}\n{workflow}.yml skipped: {result.skipped}")
    return result


@pytest.fixture(scope="module")
def main_checkout(origin) -> Path:
    return clone(origin, "runner-main", "main")


@pytest.fixture(scope="module")
def ci_run(main_checkout) -> WorkflowRun:
    return run("ci", main_checkout)


@pytest.fixture(scope="module")
def report_run(origin) -> tuple[Path, WorkflowRun]:
    checkout = clone(origin, "runner-pr", "tune-c")
    context = {"github.base_ref": "main", "steps.plots.outputs.artifact-url": PLOTS_URL}
    return checkout, run("model-report", checkout, **context)


@pytest.fixture(scope="module")
def release_run(ci_run, main_checkout) -> WorkflowRun:
    return run("release", main_checkout, **UNSET_SECRETS, **{"inputs.model_version": ""})


def test_ci_runs_every_step_on_a_fresh_clone(ci_run):
    """hooks, code/data tests, repro with an unchanged dvc.lock, model/service tests, bento."""
    assert ci_run.ran == [
        "Install uv", "Set up the locked environment", "Lint (every git hook on all files)",
        "Code tests", "Data tests", "Pipeline check (dvc repro; dvc.lock must not change)",
        "Model tests", "Service contract tests", "Build the bento",
    ]  # fmt: skip
    assert ci_run.skipped == SKIPPED["ci"]


def test_model_report_reports_the_changed_hyperparameter(report_run):
    """The pull request's report names the param change, metric deltas and the gate verdict."""
    _, result = report_run
    report = result.outputs["report"]["markdown"]
    assert "| `train.hyperparameters.C` | `1.0` | `0.3` |" in report
    assert "**Promotion gate:**" in report
    assert any(marker in report for marker in ("▲ better", "▼ better", "▲ worse", "▼ worse"))
    assert f"[download the plots artifact]({PLOTS_URL})" in report


def test_model_report_goes_to_the_job_summary_and_names_skipped_steps(report_run):
    """The summary holds the same report; only the publish/provided steps were skipped."""
    _, result = report_run
    assert result.summary.strip() == result.outputs["report"]["markdown"].strip()
    assert result.ran == [
        "Install uv", "Set up the locked environment",
        "Reproduce the pipeline on the pull request's head", "Write the report",
    ]  # fmt: skip
    assert result.skipped == SKIPPED["model-report"]


def test_ci_pipeline_check_fails_on_a_stale_dvc_lock(report_run):
    """The branch committed params.yaml without re-running: CI's pipeline check refuses it."""
    checkout, _ = report_run
    result = subprocess.run(["make", "repro-check"], cwd=checkout, capture_output=True,
                            text=True, env=runner_env(checkout), timeout=900)  # fmt: skip
    assert result.returncode != 0
    assert "dvc.lock changed" in result.stderr


def test_release_registers_builds_and_writes_the_model_card(release_run, main_checkout):
    """On main: verify, register, build, model card; image/push/release are the skipped ones."""
    assert release_run.ran == [
        "Install uv", "Set up the locked environment",
        "Verify the pipeline is reproducible and its outputs are in the DVC remote",
        "Register the model (champion only if it beats the current one)",
        "Build the bento, the model card and the image labels",
        "Render the Kubernetes manifests for this image",
    ]  # fmt: skip
    rollback = "Roll back to the requested model version"
    assert release_run.skipped == {
        **SKIPPED["release"],
        "Cache uv packages and DVC outputs": "its condition is false: inputs.cache == 'true'",
        rollback: "its condition is false: inputs.model_version != ''",
    }
    card = (main_checkout / "build" / "model-card.md").read_text(encoding="utf-8")
    assert "## Metrics (test set)" in card
    assert "(@champion)" in card


def test_release_image_labels_carry_the_lineage(release_run, main_checkout):
    """The image's OCI labels name the git commit, model version, MLflow run and data hash."""
    output = subprocess.run(
        ["uv", "run", "python", "-m", "breast_cancer_classifier.cli", "oci-labels"],
        cwd=main_checkout, capture_output=True, text=True, env=runner_env(main_checkout),
        timeout=600, check=True,
    ).stdout  # fmt: skip
    labels = dict(line.split("=", 1) for line in output.splitlines())
    head = git(main_checkout, "rev-parse", "HEAD").strip()
    assert labels["org.opencontainers.image.revision"] == head
    assert labels["io.mlflow.model-version"].isdigit()
    assert len(labels["io.mlflow.run-id"]) == 32
    lock = (main_checkout / "dvc.lock").read_text(encoding="utf-8")
    assert labels["io.dvc.data-md5"] in lock


def test_release_rollback_serves_the_requested_version(release_run, main_checkout):
    """workflow_dispatch with a model_version moves @champion to that version and rebuilds.

    CI registered version 1 (champion); the release registered the same model again as
    version 2, which stayed challenger: rolling "back" to 2 must make it the champion.
    """
    result = run("release", main_checkout, **UNSET_SECRETS, **{"inputs.model_version": "2"})
    assert "Roll back to the requested model version" in result.ran
    assert "Register the model (champion only if it beats the current one)" in result.skipped
    card = (main_checkout / "build" / "model-card.md").read_text(encoding="utf-8")
    assert "version 2 (@champion" in card
    manifests = (main_checkout / "build" / "k8s.yaml").read_text(encoding="utf-8")
    sha = runner_env(main_checkout)["GITHUB_SHA"]
    assert f"breast-cancer-classifier:model-2-{sha}" in manifests


def test_make_report_prints_metric_deltas_on_the_developers_branch(origin, report_run):
    """`make report BASE=main` on the branch that changed C prints the report to the terminal."""
    developer = origin.parent / "breast-cancer-classifier"
    env = {**environment_without_venv(), "BENTOML_HOME": str(origin.parent / "bentoml-developer")}
    output = make(developer, "repro", "report", "BASE=main", env=env)
    assert "## Model report:" in output
    assert "| `train.hyperparameters.C` | `1.0` | `0.3` |" in output
    assert "### Metrics (test set)" in output
    assert any(marker in output for marker in ("▲ better", "▼ better", "▲ worse", "▼ worse"))


def test_gate_agrees_with_the_reports_verdict(origin, report_run):
    """`make gate BASE=main` (retrain's check) succeeds exactly when the report says champion."""
    developer = origin.parent / "breast-cancer-classifier"
    env = {**environment_without_venv(), "BENTOML_HOME": str(origin.parent / "bentoml-developer")}
    report = (developer / "build" / "report.md").read_text(encoding="utf-8")
    gate = subprocess.run(["make", "gate", "BASE=main"], cwd=developer, capture_output=True,
                          text=True, env=env, timeout=600)  # fmt: skip
    assert ("would become **champion**" in report) == (gate.returncode == 0), gate.stdout
    assert "**champion**" in gate.stdout or "**challenger**" in gate.stdout
