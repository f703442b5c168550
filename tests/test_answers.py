"""Tier 2 (seconds): answers reach the files they should, and bad answers leave nothing behind."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.helpers import HOSTILE_TEXT, TEMPLATE, default_answers, parse_structured, project_files

# One changed value per answer; the bake must differ from the default bake in some file.
CHANGED_ANSWERS = {
    "project_name": "Fraud Detector",
    "project_slug": "custom-slug",
    "package_name": "custom_package",
    "description": "Another description.",
    "author_name": "Ada Lovelace",
    "author_email": "ada@example.org",
    "github_owner": "analytical-engines",
    "python_version": "3.13",
    "task": "regression",
    "dvc_remote": "s3",
    "dvc_remote_url": "../elsewhere-dvc-storage",
    "license": "BSD-3-Clause",
}
# Accepted hostile text: anything on one line within the length limits.
ACCEPTED = {
    name: text
    for name, text in HOSTILE_TEXT.items()
    if text.strip() and not {"\n", "\t", "\u2028"} & set(text) and len(text) <= 80
}
REJECTED = {name: text for name, text in HOSTILE_TEXT.items() if name not in ACCEPTED}


def contents(path) -> dict[str, str]:
    """Relative path -> text of every file, with the project folder name itself normalised."""
    return {name: (path / name).read_text(encoding="utf-8") for name in project_files(path)}


@pytest.fixture(scope="module")
def default_bake(cookies_session):
    result = cookies_session.bake()
    assert result.exit_code == 0, result.exception
    return contents(result.project_path)


@pytest.mark.parametrize(("answer", "value"), CHANGED_ANSWERS.items(), ids=CHANGED_ANSWERS)
def test_every_answer_changes_a_generated_file(cookies, default_bake, answer: str, value: str):
    """No dead options: changing any single answer changes at least one generated file."""
    result = cookies.bake(extra_context={answer: value})
    assert result.exit_code == 0, result.exception
    assert contents(result.project_path) != default_bake


@pytest.mark.parametrize("text", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_hostile_text_renders_into_parseable_files(cookies, text: str):
    """Quotes, code, markup and unicode in free-text answers keep every file parseable."""
    # The slug is derived from the name; fix it so only the free-text answers vary.
    answers = {"project_name": text, "description": text, "author_name": text}
    result = cookies.bake(extra_context=answers | {"project_slug": "hostile-text"})
    if result.exit_code != 0:
        # cookiecutter itself renders answers as Jinja: text that is broken Jinja stops it
        # before any file is written.
        assert "{%" in text or "{{" in text, result.exception
        assert result.project_path is None
        return
    path = result.project_path
    for name in project_files(path):
        if name.endswith((".toml", ".yaml", ".json")):
            parse_structured(path / name)
        elif name.endswith(".py"):
            ast.parse((path / name).read_text(encoding="utf-8"), filename=name)
    metadata = tomllib.loads((path / "pyproject.toml").read_text())["project"]
    rendered = result.context["description"]
    assert metadata["description"] == rendered
    assert metadata["authors"][0]["name"] == rendered
    assert yaml.safe_load((path / "params.yaml").read_text())["registry"]["model_name"]


def run_cookiecutter(output: Path, *answers: str) -> subprocess.CompletedProcess[str]:
    """The real command line, non-interactive, baking into `output`."""
    command = [sys.executable, "-m", "cookiecutter", "--no-input", "-o", str(output)]
    return subprocess.run(
        [*command, str(TEMPLATE), *answers], capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize("text", REJECTED.values(), ids=REJECTED.keys())
def test_hostile_text_that_breaks_rules_is_refused_without_a_folder(tmp_path, text: str):
    """Empty, multi-line or overlong text stops generation with one ERROR line and no folder."""
    result = run_cookiecutter(tmp_path, f"description={text}")
    assert result.returncode != 0
    assert [line for line in result.stderr.splitlines() if line.startswith("ERROR:")] != []
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        (["package_name=pandas"], "ERROR: package_name 'pandas' shadows a package"),
        (["project_slug=../escape"], "ERROR: project_slug '../escape' is not a valid slug"),
        (["author_email=not-an-email"], "ERROR: author_email 'not-an-email' is not a valid"),
        (
            ["dvc_remote=s3", "dvc_remote_url=gs://bucket/x"],
            "ERROR: dvc_remote_url 'gs://bucket/x' does not fit dvc_remote 's3'",
        ),
    ],
    ids=["shadowing-package", "path-traversal-slug", "bad-email", "remote-kind-mismatch"],
)
def test_cli_refuses_bad_answer_in_one_line_and_leaves_nothing(tmp_path, answers, message):
    """The cookiecutter command exits non-zero, prints our one ERROR line and creates no folder."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cookiecutter",
            "--no-input",
            "-o",
            str(tmp_path),
            str(TEMPLATE),
            *answers,
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("ERROR:")]
    assert len(error_lines) == 1
    assert error_lines[0].startswith(message)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("task", "name"),
    [
        ("classification", "Breast Cancer Classifier"),
        ("regression", "Diabetes Progression Regressor"),
    ],
)
def test_default_name_follows_the_task(cookies, task: str, name: str):
    """The task is asked first and the default name fits its bundled dataset."""
    result = cookies.bake(extra_context={"task": task})
    assert result.exit_code == 0, result.exception
    assert result.context["project_name"] == name
    readme = (result.project_path / "README.md").read_text(encoding="utf-8")
    assert readme.startswith(f"# {name}\n")
    assert next(iter(default_answers())) == "task"
