"""Tier 3 (minutes): the generated workflows' steps, run here as a GitHub runner would run them.

A default bake becomes a real git repository with a bare `origin` (its DVC pre-push hook fills
the local DVC remote). `ci.yml` and `release.yml` run in a fresh clone of `main`;
`model-report.yml` runs in a fresh clone of a pull-request branch that changed a hyperparameter
and committed only params.yaml. `monitor.yml` runs in the `main` clone (after CI by file order;
it needs no CI run) on prediction logs written in the project's record format from the held-out
test split, shifted (drift), into a local folder that stands for the object store, with a
stand-in `gh` that records its calls. `retrain.yml` runs in the `main` clone too (last: it
commits there), and `template-sync.yml` in clones of a project made by `cruft create` from a local
copy of the template, both on each token path (a bot token, none) with `gh` recorded and their
`git push` to GitHub redirected to a bare repository (git's `url.<base>.insteadOf`, only for the
exact token URL the workflow should use). Only steps with no local equivalent are skipped, each
named below with its reason.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
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
        "attest": "publish-only: signs with Sigstore and stores the attestation on GitHub",
    },
    "retrain": {**PROVIDED},
    "template-sync": {**PROVIDED},
    "monitor": {
        **PROVIDED,
        "Upload the monitoring report": "publish-only: uploads to GitHub's artifact store",
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


RELEASE_INPUTS = {"inputs.model_version": "", "inputs.reason": "", "vars.RETIRE_KEEP": ""}


@pytest.fixture(scope="module")
def release_run(ci_run, main_checkout) -> WorkflowRun:
    return run("release", main_checkout, **UNSET_SECRETS, **RELEASE_INPUTS)


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
        "SBOM of the image's Python packages",
        "Render the Kubernetes manifests for this image",
        "Write the release notes",
    ]  # fmt: skip
    rollback = "Roll back to the requested model version"
    assert release_run.skipped == {
        **SKIPPED["release"],
        "Cache uv packages and DVC outputs": "its condition is false: inputs.cache == 'true'",
        rollback: "its condition is false: inputs.model_version != ''",
        "Retire old model versions": "its condition is false: vars.RETIRE_KEEP != ''",
    }
    card = (main_checkout / "build" / "model-card.md").read_text(encoding="utf-8")
    assert "## Metrics (test set)" in card
    assert "(@champion)" in card
    notes = (main_checkout / "build" / "release-notes.md").read_text(encoding="utf-8")
    assert notes.startswith(card)
    assert "## Registry history (latest first)" in notes


def test_release_sbom_lists_the_bentos_locked_packages(release_run, main_checkout):
    """build/sbom.cdx.json is CycloneDX JSON with one component per build/requirements.txt pin."""
    sbom = json.loads((main_checkout / "build" / "sbom.cdx.json").read_text(encoding="utf-8"))
    assert sbom["bomFormat"] == "CycloneDX"
    pins = [line.split(";")[0].strip() for line in
            (main_checkout / "build" / "requirements.txt").read_text().splitlines()
            if line and not line.startswith(("#", " "))]  # fmt: skip
    listed = {f"{c['name'].lower()}=={c['version']}" for c in sbom["components"]}
    assert {pin.lower() for pin in pins} <= listed


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
    reason = "the workflow-run test rolls back"
    inputs = {**RELEASE_INPUTS, "inputs.model_version": "2", "inputs.reason": reason}
    result = run("release", main_checkout, **UNSET_SECRETS, **inputs)
    assert "Roll back to the requested model version" in result.ran
    assert reason in (main_checkout / "build" / "history.md").read_text(encoding="utf-8")
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


# The production side of the monitor: prediction-log records (the service's format, one JSON line
# per row) of the held-out test rows of the developer's reference profile, written twice (three
# full windows of 50), every value of the first feature moved by ten training standard
# deviations, stamped with the md5 of the model the monitored checkout has (argv[2]: the
# developer's working tree may hold another branch's model by then).
WRITE_SHIFTED_LOGS = r"""
import json, sys, uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
import pyarrow.parquet as pq

table = pq.read_table("data/reference/reference.parquet")
frame = table.to_pandas()
outputs = [c for c in frame.columns if c.startswith("output.")]
features = [c for c in frame.columns if c not in {"split", "actual", *outputs}]
shifted = features[0]
shift = 10 * frame.loc[frame["split"] == "train", shifted].std()
test = frame[frame["split"] == "test"]
now = datetime.now(timezone.utc)
rows = [row for _ in range(2) for _, row in test.iterrows()]
folder = Path(sys.argv[1]) / "predictions" / now.strftime("%Y-%m-%d")
folder.mkdir(parents=True, exist_ok=True)
value = lambda v: None if v != v else float(v)
with (folder / "runner-1-0-0.jsonl").open("w") as sink:
    for index, row in enumerate(rows):
        features_of_row = {name: value(row[name]) for name in features}
        features_of_row[shifted] = features_of_row[shifted] + shift
        sink.write(json.dumps({
            "request_id": uuid.uuid4().hex, "row": 0,
            "timestamp": (now - timedelta(seconds=len(rows) - index)).isoformat(),
            "model_name": "breast-cancer-classifier", "model_version": "1",
            "bento_model": "breast-cancer-classifier:runner", "model_md5": sys.argv[2],
            "features": features_of_row,
            "outputs": {name.removeprefix("output."): value(row[name]) for name in outputs},
        }) + "\n")
print(len(rows))
"""

# `gh` as the alert job calls it: every call recorded (stdin bodies too); `gh issue list`
# answers what the test says is open.
FAKE_GH = """#!/bin/sh
printf '%s\\n' "$*" >> "${GH_CALLS}"
printf '%s\\n' "${GH_TOKEN}" >> "${GH_CALLS}.tokens"
case "$1 $2" in
  "issue list") cat "${GH_OPEN_ISSUE}" ;;
  "pr list") cat "${GH_OPEN_PR}" ;;
  "issue comment"|"issue create"|"pr create"|"pr edit") cat >> "${GH_CALLS}.body" ;;
esac
"""


def fake_gh(folder: Path, open_issue: str, open_pr: str = "") -> dict[str, str]:
    """A `gh` on PATH that records its calls (and the token of each); `issue list` and
    `pr list` answer what the test says is open. Returns the environment that selects it."""
    folder.mkdir(parents=True, exist_ok=True)
    gh = folder / "gh"
    gh.write_text(FAKE_GH, encoding="utf-8")
    gh.chmod(0o755)
    (folder / "open-issue").write_text(open_issue, encoding="utf-8")
    (folder / "open-pr").write_text(open_pr, encoding="utf-8")
    for name in ("calls", "calls.body", "calls.tokens"):
        (folder / name).unlink(missing_ok=True)
    return {"GH_CALLS": str(folder / "calls"), "GH_OPEN_ISSUE": str(folder / "open-issue"),
            "GH_OPEN_PR": str(folder / "open-pr")}  # fmt: skip


def gh_calls(env: dict[str, str]) -> list[str]:
    calls = Path(env["GH_CALLS"])
    return calls.read_text(encoding="utf-8").splitlines() if calls.exists() else []


def run_monitor(checkout: Path, gh_env: dict[str, str], skipped: dict[str, str], **context):
    path = checkout / ".github" / "workflows" / "monitor.yml"
    base = {"github.token": "", "github.repository": REPOSITORY, "github.run_id": "4242",
            "github.server_url": "https://github.example", **UNSET_SECRETS}  # fmt: skip
    env = runner_env(checkout)
    env.update(gh_env, PATH=f"{Path(gh_env['GH_CALLS']).parent}{os.pathsep}{env['PATH']}")
    result = run_workflow(path, checkout, context={**base, **context}, skipped=skipped, env=env)
    print(f"\nmonitor.yml ran: {result.ran}\nmonitor.yml skipped: {result.skipped}")
    return result


def main_model_md5(checkout: Path) -> str:
    """The md5 of the model file `main` holds, as its dvc.lock records it."""
    lock = yaml.safe_load((checkout / "dvc.lock").read_text(encoding="utf-8"))
    return next(out["md5"] for out in lock["stages"]["train"]["outs"]
                if out["path"] == "models/model.joblib")  # fmt: skip


@pytest.fixture(scope="module")
def monitor_run(origin, main_checkout) -> tuple[WorkflowRun, dict[str, str]]:
    """monitor.yml on shifted logs, with no open drift issue."""
    store = origin.parent / "log-store"
    developer = origin.parent / "breast-cancer-classifier"
    model_md5 = main_model_md5(main_checkout)
    written = subprocess.run(["uv", "run", "python", "-c", WRITE_SHIFTED_LOGS, str(store),
                              model_md5],
                             cwd=developer, capture_output=True, text=True, check=True,
                             env=environment_without_venv(), timeout=300).stdout  # fmt: skip
    assert int(written) >= 150
    gh_env = fake_gh(origin.parent / "gh-first", open_issue="")
    context = {"vars.PREDICTION_LOGS_URL": str(store)}
    return run_monitor(main_checkout, gh_env, SKIPPED["monitor"], **context), gh_env


def test_monitor_reports_sustained_drift_opens_the_issue_and_dispatches_retraining(
    monitor_run, main_checkout
):
    """Shifted logs: pull, fetch, monitor (drift, sustained), the summary in the job summary,
    the `drift` label and one new issue holding it, then `gh workflow run retrain.yml`."""
    result, gh_env = monitor_run
    assert result.ran == [
        "Install uv", "Set up the locked environment",
        "Restore the data, the model and its reference from the DVC remote",
        "Fetch the prediction logs", "Compare the logs with the reference",
        "Open or update the drift issue", "Start retraining on sustained drift",
    ]  # fmt: skip
    assert result.job_outputs["monitor"]["verdict"] == "drift"
    assert result.job_outputs["monitor"]["sustained"] == "true"
    summary_md = (main_checkout / "build/monitor/summary.md").read_text(encoding="utf-8")
    assert result.summary.strip() == summary_md.strip()
    summary = json.loads((main_checkout / "build/monitor/summary.json").read_text())
    assert (summary["verdict"], summary["sustained"]) == ("drift", True)
    calls = gh_calls(gh_env)
    assert [call.split(" --")[0] for call in calls] == [
        "label create drift", "issue list", "issue create", "workflow run retrain.yml",
    ]  # fmt: skip
    assert "--label drift --state open" in calls[1]
    assert "--label drift" in calls[2]
    body = Path(gh_env["GH_CALLS"] + ".body").read_text(encoding="utf-8")
    assert summary_md.strip().splitlines()[0] in body
    assert "https://github.example/jane-doe/breast-cancer-classifier/actions/runs/4242" in body


def test_monitor_comments_on_the_open_drift_issue_without_retraining(monitor_run, main_checkout):
    """Drift that is not sustained, with issue 7 open: a comment on 7, no new issue, no dispatch."""
    result, _ = monitor_run
    gh_env = fake_gh(main_checkout.parent / "gh-open", open_issue="7\n")
    needs = {"needs.monitor.outputs.verdict": "drift", "needs.monitor.outputs.sustained": "false",
             "needs.monitor.outputs.summary": result.job_outputs["monitor"]["summary"]}  # fmt: skip
    skipped = {"monitor": "ran in the first run; its outputs are given"}
    alert = run_monitor(main_checkout, gh_env, skipped, **needs)
    assert alert.ran == ["Open or update the drift issue"]
    assert "Start retraining on sustained drift" in alert.skipped
    calls = [call.split(" --")[0] for call in gh_calls(gh_env)]
    assert calls == ["label create drift", "issue list", "issue comment 7"]


def test_monitor_without_drift_touches_no_issue(main_checkout):
    """verdict no_drift: the alert job does not run, `gh` is never called."""
    gh_env = fake_gh(main_checkout.parent / "gh-quiet", open_issue="")
    needs = {"needs.monitor.outputs.verdict": "no_drift", "needs.monitor.outputs.summary": "",
             "needs.monitor.outputs.sustained": "false"}  # fmt: skip
    skipped = {"monitor": "its outputs are given"}
    alert = run_monitor(main_checkout, gh_env, skipped, **needs)
    assert alert.ran == []
    condition = "needs.monitor.outputs.verdict == 'drift'"
    assert alert.skipped["alert"] == f"its condition is false: {condition}"
    assert gh_calls(gh_env) == []


# The bot workflows. A token never leaves this machine: `git push` to GitHub with exactly the
# expected token is redirected to a bare repository, any other URL would try GitHub and fail.
APP_TOKEN = "app-installation-token-from-the-test"
PAT = "fine-grained-token-from-the-test"
GITHUB_TOKEN = "workflow-token-from-the-test"
NO_BOT_SECRETS = {f"secrets.{name}": "" for name in ("APP_ID", "APP_PRIVATE_KEY", "BOT_TOKEN")}
APP_SECRETS = {**NO_BOT_SECRETS, "secrets.APP_ID": "Iv23-test-client-id",
               "secrets.APP_PRIVATE_KEY": "not-a-real-key"}  # fmt: skip
MINT = "Mint the GitHub App token"
MINTED = {MINT: ("provided by the test: GitHub mints installation tokens only for a real App",
                 {"token": APP_TOKEN})}  # fmt: skip


def push_redirect(bare: Path, token: str) -> dict[str, str]:
    """git's environment config: the workflow's push URL for `token` means `bare`."""
    url = f"https://x-access-token:{token}@github.com/{REPOSITORY}.git"
    return {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": f"url.{bare}.insteadOf",
            "GIT_CONFIG_VALUE_0": url}  # fmt: skip


def run_bot(workflow: str, checkout: Path, gh_env: dict[str, str], *, push: dict[str, str],
            secrets: dict[str, str], provided=None) -> WorkflowRun:  # fmt: skip
    path = checkout / ".github" / "workflows" / f"{workflow}.yml"
    context = {"github.token": GITHUB_TOKEN, "github.repository": REPOSITORY,
               **UNSET_SECRETS, **secrets}  # fmt: skip
    env = runner_env(checkout)
    env.update(gh_env, **push, PATH=f"{Path(gh_env['GH_CALLS']).parent}{os.pathsep}{env['PATH']}")
    result = run_workflow(path, checkout, context=context, skipped=SKIPPED[workflow], env=env,
                          provided=provided)  # fmt: skip
    print(f"\n{workflow}.yml ran: {result.ran}\n{workflow}.yml skipped: {result.skipped}")
    return result


def recorded(gh_env: dict[str, str], suffix: str = "") -> list[str]:
    path = Path(gh_env["GH_CALLS"] + suffix)
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def commands(gh_env: dict[str, str]) -> list[str]:
    return [" ".join(call.split(" --")[0].split()[:2]) for call in recorded(gh_env)]


def ref(bare: Path, name: str) -> str | None:
    result = subprocess.run(["git", "rev-parse", "--verify", "--quiet", name], cwd=bare,
                            capture_output=True, text=True, check=False)  # fmt: skip
    return result.stdout.strip() or None


@pytest.fixture(scope="module")
def unscored_main(ci_run, main_checkout, release_run) -> Path:
    """The main clone (its pipeline outputs in place, after the CI and release runs) with a
    commit whose metrics.json lacks the gate's metric: the base has no score to beat, so the
    retrained model (the same model, re-run) passes `make gate BASE=HEAD` honestly."""
    params = yaml.safe_load((main_checkout / "params.yaml").read_text(encoding="utf-8"))
    metrics_file = main_checkout / "metrics.json"
    metrics = json.loads(metrics_file.read_text(encoding="utf-8"))
    del metrics[params["registry"]["metric"]]
    metrics_file.write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    git(main_checkout, "commit", "--quiet", "--no-verify", "--all", "--message", "No score yet")
    return main_checkout


@pytest.fixture(scope="module")
def retrain_with_app(origin, unscored_main) -> tuple[WorkflowRun, dict[str, str]]:
    """retrain.yml with the App secrets set and no retrain pull request open."""
    gh_env = fake_gh(origin.parent / "gh-retrain-app", open_issue="")
    result = run_bot("retrain", unscored_main, gh_env, push=push_redirect(origin, APP_TOKEN),
                     secrets=APP_SECRETS, provided=MINTED)  # fmt: skip
    return result, gh_env


def test_retrain_with_an_app_token_pushes_the_branch_and_opens_the_pull_request(
    retrain_with_app, origin, unscored_main
):
    """Gate passes, `kind=app`, the App token (given) pushes `retrain` with the retrained
    metrics and opens the one pull request with the report; GITHUB_TOKEN opens nothing."""
    result, gh_env = retrain_with_app
    assert result.outputs["gate"]["promote"] == "true"
    assert result.outputs["bot"]["kind"] == "app"
    assert result.provided == {MINT: MINTED[MINT][0]}
    assert result.ran[-3:] == ["Promotion gate against the committed model",
                               "Which bot token is configured",
                               "Push the data, then propose the model"]  # fmt: skip
    assert commands(gh_env) == ["pr list", "pr create"]
    assert "--head retrain" in recorded(gh_env)[1]
    assert set(recorded(gh_env, ".tokens")) == {APP_TOKEN}
    report = (unscored_main / "build" / "report.md").read_text(encoding="utf-8")
    assert recorded(gh_env, ".body") == report.splitlines()
    metric = yaml.safe_load((unscored_main / "params.yaml").read_text())["registry"]["metric"]
    pushed = json.loads(git(origin, "show", "retrain:metrics.json"))
    assert metric in pushed


@pytest.fixture(scope="module")
def retrain_without_token(origin, unscored_main, retrain_with_app):
    """retrain.yml again from the unscored main, with no bot secret and no open issue."""
    git(unscored_main, "switch", "--quiet", "main")
    git(unscored_main, "branch", "--quiet", "--delete", "--force", "retrain")
    before = ref(origin, "retrain")
    gh_env = fake_gh(origin.parent / "gh-retrain-none", open_issue="")
    result = run_bot("retrain", unscored_main, gh_env, push={}, secrets=NO_BOT_SECRETS)
    return result, gh_env, before


def test_retrain_without_a_token_opens_one_issue_and_pushes_nothing(retrain_without_token, origin):
    """No bot secret: no App token, no push, no pull request; GITHUB_TOKEN opens the `retrain`
    issue with the commands to run and how to configure a token."""
    result, gh_env, before = retrain_without_token
    assert result.outputs["bot"]["kind"] == "none"
    assert result.skipped[MINT] == "its condition is false: steps.bot.outputs.kind == 'app'"
    assert commands(gh_env) == ["label create", "issue list", "issue create"]
    assert "--label retrain" in recorded(gh_env)[2]
    assert set(recorded(gh_env, ".tokens")) == {GITHUB_TOKEN}
    body = "\n".join(recorded(gh_env, ".body"))
    for expected in ("make retrain", "gh pr create", "gh secret set APP_ID",
                     "APP_PRIVATE_KEY", "gh secret set BOT_TOKEN", "Workflows"):  # fmt: skip
        assert expected in body, expected
    assert ref(origin, "retrain") == before


# template-sync: a project made by `cruft create` from a local copy of the template, then the
# template moves (test_size 0.2 -> 0.3, the issue's measured case).
def cruft_cli(*args: str, cwd: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "cruft", *args], cwd=cwd, capture_output=True,
                            text=True, env=environment_without_venv(), timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def synced_origin(tmp_path_factory) -> Path:
    """The bare origin of a cruft-made project whose template has since changed test_size."""
    if not (TEMPLATE / ".git").exists():
        pytest.skip("cruft reads the template through git; this checkout has no .git")
    root = tmp_path_factory.mktemp("sync")
    template = root / "template"
    git(root, "clone", "--quiet", str(TEMPLATE), str(template))
    cruft_cli("create", "--no-input", "--output-dir", str(root), str(template), cwd=root)
    project = root / "breast-cancer-classifier"
    git(project, "init", "--quiet", "--initial-branch", "main")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "--no-verify", "--message", "Created with cruft")
    bare = root / "project.git"
    git(root, "init", "--quiet", "--bare", "--initial-branch", "main", str(bare))
    git(project, "push", "--quiet", str(bare), "main")
    params = template / "{{cookiecutter.project_slug}}/variants/task/classification/params.yaml"
    params.write_text(params.read_text().replace("test_size: 0.2", "test_size: 0.3"))
    git(template, "commit", "--quiet", "--all", "--message", "Template: test_size 0.3")
    return bare


def sync_checkout(bare: Path, name: str) -> Path:
    checkout = bare.parent / name
    git(bare.parent, "clone", "--quiet", str(bare), str(checkout))
    return checkout


def test_template_sync_with_a_token_updates_the_open_pull_request(synced_origin):
    """Behind, clean update, BOT_TOKEN set and pull request 12 open: `template-sync` is
    force-pushed with the template's change and #12 is edited, not a second one opened."""
    checkout = sync_checkout(synced_origin, "sync-token")
    gh_env = fake_gh(synced_origin.parent / "gh-sync-token", open_issue="", open_pr="12\n")
    secrets = {**NO_BOT_SECRETS, "secrets.BOT_TOKEN": PAT}
    result = run_bot("template-sync", checkout, gh_env, push=push_redirect(synced_origin, PAT),
                     secrets=secrets)  # fmt: skip
    assert result.outputs["check"]["behind"] == "true"
    assert result.outputs["update"]["conflicts"] == "false"
    assert result.outputs["bot"]["kind"] == "token"
    assert commands(gh_env) == ["pr list", "pr edit"]
    assert recorded(gh_env)[1].startswith("pr edit 12 ")
    assert set(recorded(gh_env, ".tokens")) == {PAT}
    assert "test_size: 0.3" in git(synced_origin, "show", "template-sync:params.yaml")
    template_head = git(synced_origin.parent / "template", "rev-parse", "HEAD").strip()
    assert template_head in git(synced_origin, "show", "template-sync:.cruft.json")


def test_template_sync_without_a_token_opens_the_issue(synced_origin):
    """Behind, clean update, no bot secret: the `template-sync` issue says what to run; the
    update is committed only locally, nothing is pushed."""
    checkout = sync_checkout(synced_origin, "sync-none")
    before = ref(synced_origin, "template-sync")
    gh_env = fake_gh(synced_origin.parent / "gh-sync-none", open_issue="")
    result = run_bot("template-sync", checkout, gh_env, push={}, secrets=NO_BOT_SECRETS)
    assert result.outputs["bot"]["kind"] == "none"
    assert commands(gh_env) == ["label create", "issue list", "issue create"]
    assert set(recorded(gh_env, ".tokens")) == {GITHUB_TOKEN}
    body = "\n".join(recorded(gh_env, ".body"))
    assert "cruft update" in body
    assert "permission" in body
    assert ref(synced_origin, "template-sync") == before


def test_template_sync_reports_conflicts_in_an_issue_and_commits_none(synced_origin):
    """The user set test_size 0.25, the template 0.3: cruft exits 0 leaving markers; the run
    lists params.yaml in the issue (with a token configured), commits and pushes nothing."""
    checkout = sync_checkout(synced_origin, "sync-conflict")
    params = checkout / "params.yaml"
    params.write_text(params.read_text().replace("test_size: 0.2", "test_size: 0.25"))
    git(checkout, "commit", "--quiet", "--no-verify", "--all", "--message", "Bigger test set")
    head = git(checkout, "rev-parse", "HEAD").strip()
    before = ref(synced_origin, "template-sync")
    gh_env = fake_gh(synced_origin.parent / "gh-sync-conflict", open_issue="3\n")
    secrets = {**NO_BOT_SECRETS, "secrets.BOT_TOKEN": PAT}
    result = run_bot("template-sync", checkout, gh_env, push={}, secrets=secrets)
    assert result.outputs["update"]["conflicts"] == "true"
    assert "<<<<<<< ours" in params.read_text()
    assert "Which bot token is configured" in result.skipped
    assert commands(gh_env) == ["label create", "issue list", "issue comment"]
    assert recorded(gh_env)[2].startswith("issue comment 3 ")
    assert "- `params.yaml`" in recorded(gh_env, ".body")
    assert git(checkout, "rev-parse", "HEAD").strip() == head
    assert ref(synced_origin, "template-sync") == before


def test_template_sync_fails_when_cruft_check_itself_fails(synced_origin):
    """A template cruft cannot reach is an error of the job, not "behind": no update, no gh."""
    checkout = sync_checkout(synced_origin, "sync-unreachable")
    state = json.loads((checkout / ".cruft.json").read_text(encoding="utf-8"))
    state["template"] = str(synced_origin.parent / "no-such-template")
    (checkout / ".cruft.json").write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    git(checkout, "commit", "--quiet", "--no-verify", "--all", "--message", "Template moved")
    gh_env = fake_gh(synced_origin.parent / "gh-sync-unreachable", open_issue="")
    with pytest.raises(AssertionError, match="step 'Check the template' failed") as failure:
        run_bot("template-sync", checkout, gh_env, push={}, secrets=NO_BOT_SECRETS)
    assert "which is not 'behind'" in str(failure.value)
    assert recorded(gh_env) == []
