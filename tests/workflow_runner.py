"""Run a GitHub Actions workflow's `run:` steps on this machine, as a runner would.

Steps run in order with bash (`-eo pipefail`, GitHub's default shell), the workflow/job/step
`env:` merged, `${{ }}` expressions evaluated from a context the test provides, and the
runner's files (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_ENV) provided. A local composite
action (`uses: ./...`) runs its own steps in place, with its `inputs` from the step's `with:` and
the action's defaults, as GitHub runs it. A job's `if:` is evaluated like a step's, and its
`outputs:` are the later jobs' `needs.<job>.outputs.<name>`. Other `uses:` steps and
publish-only steps have no local equivalent: each must be named in `skipped` with its reason,
so a test states exactly what did not run. A `uses:` step whose outputs later steps read (a token
minted by an action) can instead be `provided`: when its condition holds, its outputs are the
ones the test gives, and the run records why. As on GitHub, an output a step did not set, or of
a step that did not run, reads as an empty string.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
STEP_OUTPUT = re.compile(r"^steps\.([\w-]+)\.outputs\.[\w-]+$")
COMPARISON = re.compile(r"^(.+?)\s*(==|!=)\s*(.+)$")


@dataclass
class WorkflowRun:
    """What happened: the steps that ran, the ones skipped (with why), outputs and summary."""

    ran: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    provided: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    job_outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    summary: str = ""
    log: str = ""


def parse_outputs(text: str) -> dict[str, str]:
    """GITHUB_OUTPUT's two forms: `key=value` lines and `key<<DELIMITER` blocks."""
    outputs: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delimiter = line.split("<<", 1)
            block = []
            for inner in lines:
                if inner == delimiter:
                    break
                block.append(inner)
            outputs[key] = "\n".join(block)
        elif "=" in line:
            key, value = line.split("=", 1)
            outputs[key] = value
    return outputs


class Evaluator:
    """The subset of GitHub's expression language these workflows use."""

    def __init__(self, context: dict[str, Any]) -> None:
        self.context = context

    def value(self, expression: str) -> Any:
        expression = expression.strip()
        if " || " in expression:
            for part in expression.split(" || "):
                if result := self.value(part):
                    return result
            return ""
        if match := COMPARISON.match(expression):
            left, operator, right = match.groups()
            equal = str(self.value(left)) == str(self.value(right))
            return equal if operator == "==" else not equal
        if expression.startswith("'") and expression.endswith("'"):
            return expression[1:-1]
        if expression in {"true", "false"}:
            return expression == "true"
        if expression in self.context:
            return self.context[expression]
        step_output = STEP_OUTPUT.match(expression)
        if step_output and f"steps.{step_output.group(1)}" in self.context:
            return ""  # a step this job reached, which did not set that output
        raise KeyError(f"no value for the expression {expression!r} in this test's context")

    def render(self, text: str) -> str:
        return EXPRESSION.sub(lambda match: str(self.value(match.group(1))), text)

    def condition(self, text: str | None) -> bool:
        if text is None:
            return True
        match = EXPRESSION.fullmatch(text.strip())
        return bool(self.value(match.group(1) if match else text))


def step_name(step: dict[str, Any]) -> str:
    return step.get("name") or step.get("uses", "").split("@")[0] or step["run"].splitlines()[0]


@dataclass
class Runner:
    """One workflow run's state: where it runs, what it was told, and what happened."""

    project: Path
    scratch: Path
    skipped: dict[str, str]
    env: dict[str, str]
    timeout: int
    provided: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)
    result: WorkflowRun = field(default_factory=WorkflowRun)

    @property
    def summary(self) -> Path:
        return self.scratch / "summary.md"

    def job(self, workflow: Path, job_id: str, spec: dict[str, Any], context: dict[str, Any]):
        """The job's steps in order; returns its `outputs:` (read by later jobs as `needs.`)."""
        job = spec["jobs"][job_id]
        if not Evaluator(context).condition(job.get("if")):
            self.result.skipped[job_id] = f"its condition is false: {job['if']}"
            return {}
        step_outputs: dict[str, dict[str, str]] = {}
        layers = [spec.get("env", {}), job.get("env", {})]
        flat = {**context}
        for index, step in enumerate(job["steps"]):
            flat = {**context}
            for step_id, values in step_outputs.items():
                flat[f"steps.{step_id}"] = True
                flat.update({f"steps.{step_id}.outputs.{k}": v for k, v in values.items()})
            self.step(workflow, f"{job_id}-{index}", step, flat, layers, step_outputs)
        for step_id, values in step_outputs.items():
            flat[f"steps.{step_id}"] = True
            flat.update({f"steps.{step_id}.outputs.{k}": v for k, v in values.items()})
        evaluator = Evaluator(flat)
        outputs = job.get("outputs", {})
        return {name: evaluator.render(str(value)) for name, value in outputs.items()}

    def step(self, workflow, key, step, context, layers, step_outputs) -> None:
        name = step_name(step)
        evaluator = Evaluator(context)
        if name in self.skipped:
            self.result.skipped[name] = self.skipped[name]
            if (step_id := step.get("id")) and step_id not in step_outputs:
                step_outputs[step_id] = {}
            return
        if not evaluator.condition(step.get("if")):
            self.result.skipped[name] = f"its condition is false: {step['if']}"
            if step_id := step.get("id"):
                step_outputs[step_id] = {}
            return
        if name in self.provided:
            reason, outputs = self.provided[name]
            self.result.provided[name] = reason
            if step_id := step.get("id"):
                step_outputs[step_id] = {**outputs}
                self.result.outputs[step_id] = {**outputs}
            return
        if step.get("uses", "").startswith("./"):
            self.composite(workflow, key, step, evaluator, context, layers)
            return
        if "uses" in step:
            message = f"{workflow.name}: no stand-in for the action step {name!r}"
            raise AssertionError(message)
        assert "${{" not in step["run"], f"{name}: expression inside a run: script"
        output_file = self.scratch / f"{key}.out"
        output_file.touch()
        merged = {**self.env}
        for layer in (*layers, step.get("env", {})):
            merged.update({k: evaluator.render(str(v)) for k, v in layer.items()})
        merged.update(
            GITHUB_OUTPUT=str(output_file),
            GITHUB_STEP_SUMMARY=str(self.summary),
            GITHUB_ENV=str(self.scratch / "env"),
        )
        script = self.scratch / f"{key}.sh"
        script.write_text(step["run"], encoding="utf-8")
        completed = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=self.project, env=merged, capture_output=True, text=True, timeout=self.timeout,
        )  # fmt: skip
        log = completed.stdout + completed.stderr
        self.result.log += f"\n### {name}\n{log}"
        assert completed.returncode == 0, f"step {name!r} failed:\n{log[-6000:]}"
        self.result.ran.append(name)
        if step_id := step.get("id"):
            outputs = parse_outputs(output_file.read_text(encoding="utf-8"))
            step_outputs[step_id] = outputs
            self.result.outputs[step_id] = outputs

    def composite(self, workflow, key, step, evaluator, context, layers) -> None:
        """A local composite action: its steps, with `inputs` from `with:` and the defaults."""
        action = yaml.safe_load(
            (self.project / step["uses"] / "action.yml").read_text(encoding="utf-8")
        )
        assert action["runs"]["using"] == "composite", step["uses"]
        given = {k: evaluator.render(str(v)) for k, v in step.get("with", {}).items()}
        unknown = set(given) - set(action.get("inputs", {}))
        assert not unknown, f"{step['uses']} has no inputs {sorted(unknown)}"
        inputs = {
            f"inputs.{name}": given.get(name, str(spec.get("default", "")))
            for name, spec in action.get("inputs", {}).items()
        }
        inner: dict[str, dict[str, str]] = {}
        for index, inner_step in enumerate(action["runs"]["steps"]):
            assert "run" not in inner_step or inner_step.get("shell") == "bash", inner_step
            self.step(workflow, f"{key}-{index}", inner_step, {**context, **inputs},
                      [*layers, step.get("env", {})], inner)  # fmt: skip


def run_workflow(
    workflow: Path,
    project: Path,
    *,
    context: dict[str, Any],
    skipped: dict[str, str],
    env: dict[str, str],
    timeout: int = 1800,
    provided: dict[str, tuple[str, dict[str, str]]] | None = None,
) -> WorkflowRun:
    """Run every job's steps in order; fail on the first failing step with its output.

    `provided`: step name -> (why it does not run here, the outputs it gives later steps).
    """
    spec = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="runner-") as scratch:
        runner = Runner(project, Path(scratch), skipped, env, timeout, provided or {})
        runner.summary.touch()
        context = {**context}
        for job_id in spec["jobs"]:
            if job_id in skipped:
                runner.result.skipped[job_id] = skipped[job_id]
                continue
            outputs = runner.job(workflow, job_id, spec, context)
            runner.result.job_outputs[job_id] = outputs
            context.update({f"needs.{job_id}.outputs.{k}": v for k, v in outputs.items()})
        runner.result.summary = runner.summary.read_text(encoding="utf-8")
    return runner.result


def action_scripts(action: Path) -> list[tuple[str, str]]:
    """(step name, script) for every `run:` step of a composite action."""
    spec = yaml.safe_load(action.read_text(encoding="utf-8"))
    return [(step_name(step), step["run"]) for step in spec["runs"]["steps"] if "run" in step]


def run_scripts(workflow: Path) -> list[tuple[str, str]]:
    """(step name, script) for every `run:` step of a workflow."""
    spec = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    return [
        (f"{job_id}/{step_name(step)}", step["run"])
        for job_id, job in spec["jobs"].items()
        for step in job["steps"]
        if "run" in step
    ]


def environment_without_venv() -> dict[str, str]:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    env.pop("VIRTUAL_ENV", None)
    return env
