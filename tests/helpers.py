"""Shared helpers for the template's tests: answers, hook modules and baked-file inspection."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import socket
import subprocess
import time
import tomllib
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import yaml
from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config

TEMPLATE = Path(__file__).resolve().parents[1]
HOOKS = TEMPLATE / "hooks"
SKIP_DIRS = {".venv", ".git", "__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache"}


# Text that must survive rendering into TOML, YAML, Python and the hooks' JSON unchanged.
HOSTILE_TEXT = {
    "double-quote": 'The "Best" Model',
    "apostrophe": "Jane's churn model",
    "backslash": "C:\\models\\new",
    "trailing-backslash": "ends with a backslash\\",
    "triple-quotes": "say \"\"\"hi\"\"\" and '''bye'''",
    "python-injection": "\"; __import__('os').system('echo pwned') #",
    "toml-injection": 'x"\n[tool.evil]\nrun = "yes',
    "yaml-injection": "x: y\n- !!python/object/apply:os.system ['id']",
    "jinja-like": "{{ 7 * 7 }} and {% raw %}",
    "unicode": "D\u00e9tection d\u2019anomalies \u2014 \u65e5\u672c\u8a9e \u2713",
    "emoji": "Model 🚀",
    "html": "<script>alert(1)</script> & co",
    "dollar-braces": "${{ github.token }} $(rm -rf /)",
    "percent": "100% accurate %s %(name)s",
    "tab-and-newline": "tab\there\nnew line",
    "line-separator": "one\u2028two",
    "path-separators": "a/b\\c and ../../etc",
    "leading-dot": ".hidden model",
    "trailing-dot-and-space": "ends with a dot. ",
    "device-name": "con",
    "very-long": "x" * 5000,
    "empty": "",
    "only-spaces": "   ",
}


def default_answers(**overrides: str) -> dict[str, str]:
    """The answers cookiecutter would render with --no-input (derived ones included)."""
    context = generate_context(
        context_file=str(TEMPLATE / "cookiecutter.json"), extra_context=overrides
    )
    rendered = prompt_for_config(context, no_input=True)
    return {key: value for key, value in rendered.items() if not key.startswith("_")}


def load_hook(name: str) -> ModuleType:
    """Import a hook file as a module (its Jinja block only runs under __main__)."""
    spec = importlib.util.spec_from_file_location(name, HOOKS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def project_files(root: Path) -> set[str]:
    """Every file below root, as POSIX paths relative to it (tool caches left out)."""
    return {
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and not SKIP_DIRS.intersection(path.relative_to(root).parts)
    }


def parse_structured(path: Path) -> object:
    """Parse a TOML, YAML or JSON file by its name; raise when it does not parse."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".toml":
        return tomllib.loads(text)
    if path.suffix in {".yaml", ".yml"}:
        return yaml.safe_load(text)
    return json.loads(text)


TREE_ENTRY = re.compile(r"^(?P<indent>(?:[│ ] {3})*)[├└]── (?P<name>\S+)(?P<note>.*)$")


def tree_entries(markdown: str, heading: str) -> dict[str, str]:
    """The file tree in the first `text` block after `heading`: every listed path -> comment."""
    block = markdown.split(heading, 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    entries: dict[str, str] = {}
    parents: list[str] = []
    for line in block.splitlines()[1:]:
        match = TREE_ENTRY.match(line)
        assert match, f"not a file-tree line: {line!r}"
        depth = len(match["indent"]) // 4
        name = match["name"].rstrip("/")
        parents[depth:] = [f"{parents[depth - 1]}/{name}" if depth else name]
        entries[parents[depth]] = match["note"]
    return entries


def on_spark(readme: str) -> tuple[str, str]:
    """The generated README's "On Spark" subsection: its shell command and its Python script."""
    assert "### On Spark\n" in readme, "the generated README has no '### On Spark' subsection"
    section = re.split(r"\n#{2,3} ", readme.split("### On Spark\n", 1)[1], maxsplit=1)[0]
    blocks = dict(re.findall(r"```(bash|python)\n(.*?)```", section, flags=re.DOTALL))
    assert blocks.keys() == {"bash", "python"}, "expected one bash and one python block"
    return blocks["bash"].split("#", 1)[0].strip(), blocks["python"]


# Commands the slow tiers run inside a baked project, as its developer would.


def project_env(project: Path) -> dict[str, str]:
    """The environment of a developer of this project, with a BentoML store of its own.

    `CI` is dropped whatever runs this suite: tests that want CI's behaviour set it themselves.
    """
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    env["BENTOML_HOME"] = str(project.parent / "bentoml-home")
    for variable in ("VIRTUAL_ENV", "CI"):
        env.pop(variable, None)
    return env


def attempt(project: Path, *command: str, timeout: int = 900, **env: str):
    """Run a command in the project (extra environment variables as keywords), output merged."""
    return subprocess.run(
        command, cwd=project, env={**project_env(project), **env},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout,
    )  # fmt: skip


def run(project: Path, *command: str, timeout: int = 900, **env: str) -> str:
    """Run a command in the project; fail with its output when it fails."""
    result = attempt(project, *command, timeout=timeout, **env)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout[-6000:]}"
    return result.stdout


def make(project: Path, *targets: str) -> str:
    return run(project, "make", *targets)


# Servers the slow tiers start: free loopback ports and readiness polling.


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_ok(url: str) -> bool:
    """True when `url` answers 200; False while nothing (or an error) answers."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def wait_until(
    check: Callable[[], bool],
    what: str,
    *,
    alive: Callable[[], bool] = lambda: True,
    timeout: float = 180,
) -> None:
    """Poll `check` until it holds; fail early when `alive` says the server has exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise AssertionError(f"{what} exited before it was ready")
        if check():
            return
        time.sleep(1)
    raise AssertionError(f"{what} not ready after {timeout:.0f} s")


# Reads the registry champion's prediction for the golden payload (the first row of the input
# example logged with the model); run inside a baked project's environment.
CHAMPION_PROBE = """
import json, sys
import mlflow, pandas as pd
name = sys.argv[1]
local = mlflow.artifacts.download_artifacts(f"models:/{name}@champion")
row = mlflow.models.Model.load(local).load_input_example(local).head(1)
model = mlflow.sklearn.load_model(f"models:/{name}@champion")
output = (model.predict_proba(row) if hasattr(model, "predict_proba") else model.predict(row))[0]
payload = row.astype(object).where(row.notna(), None).to_dict(orient="records")[0]  # NaN: null
print(json.dumps({"row": payload, "expected": output.tolist()}))
"""
