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


def run_cookiecutter(tmp_path: Path, *answers: str) -> subprocess.CompletedProcess[str]:
    """The real command line, non-interactive, baking into `tmp_path / "out"`."""
    (tmp_path / "out").mkdir()
    command = [sys.executable, "-m", "cookiecutter", "--no-input", "-o", str(tmp_path / "out")]
    return subprocess.run(
        [*command, str(TEMPLATE), *answers], capture_output=True, text=True, check=False
    )


def output_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    """Everything the command printed, stdout then stderr, line by line."""
    return (result.stdout + result.stderr).splitlines()


def left_behind(tmp_path: Path) -> list[str]:
    """What a run left in the output folder, or beside it (a slug like `../x` escapes it)."""
    out = tmp_path / "out"
    return sorted(
        path.relative_to(tmp_path).as_posix() for path in tmp_path.rglob("*") if path != out
    )


@pytest.mark.parametrize("text", REJECTED.values(), ids=REJECTED.keys())
def test_hostile_text_that_breaks_rules_is_refused_without_a_folder(tmp_path, text: str):
    """Empty, multi-line or overlong text stops generation with one ERROR line and no folder."""
    result = run_cookiecutter(tmp_path, f"description={text}")
    assert result.returncode != 0
    assert [line[:19] for line in output_lines(result)] == ["ERROR: description "]
    assert left_behind(tmp_path) == []


CLI_REFUSALS = {
    "shadowing-package": (["package_name=pandas"], "package_name 'pandas' shadows a package"),
    "bad-email": (["author_email=not-an-email"], "author_email 'not-an-email' is not a valid"),
    "remote-kind-mismatch": (
        ["dvc_remote=s3", "dvc_remote_url=gs://bucket/x"],
        "dvc_remote_url 'gs://bucket/x' does not fit dvc_remote 's3'",
    ),
    "name-too-long-for-a-folder": (
        ["project_name=" + "x" * 300],
        "project_name is 300 characters long: at most 80",
    ),
    "slug-too-long": (["project_slug=" + "a" * 300], "project_slug is 300 characters long"),
    "slug-with-slash": (["project_slug=a/b"], "project_slug 'a/b' is not a valid slug"),
    "slug-climbing-out": (["project_slug=../escape"], "project_slug '../escape' is not a valid"),
    "slug-with-backslash": (["project_slug=a\\b"], "project_slug 'a\\\\b' is not a valid slug"),
    "slug-absolute": (["project_slug=/tmp/x"], "project_slug '/tmp/x' is not a valid slug"),
    "slug-leading-dot": (["project_slug=.hidden"], "project_slug '.hidden' is not a valid slug"),
    "slug-trailing-dot": (["project_slug=model."], "project_slug 'model.' is not a valid slug"),
    "slug-trailing-space": (["project_slug=model "], "project_slug 'model ' is not a valid slug"),
    "slug-empty": (["project_slug="], "project_slug '' is not a valid slug"),
    "slug-device-name": (["project_slug=con"], "project_slug 'con' is a device name reserved"),
    "slug-serial-port": (["project_slug=com1"], "project_slug 'com1' is a device name reserved"),
    "package-device-name": (["package_name=nul"], "package_name 'nul' is a device name reserved"),
    "package-with-slash": (["package_name=a/b"], "package_name 'a/b' is not a valid Python"),
    "package-leading-dot": (["package_name=.pkg"], "package_name '.pkg' is not a valid Python"),
    "name-only-symbols": (["project_name=🚀"], "project_slug '' is not a valid slug"),
    "owner-with-slash": (["github_owner=a/b"], "github_owner 'a/b' is not a valid GitHub"),
    "remote-url-too-long": (
        ["dvc_remote_url=../" + "x" * 300],
        "dvc_remote_url is 303 characters long",
    ),
}


@pytest.mark.parametrize(("answers", "message"), CLI_REFUSALS.values(), ids=CLI_REFUSALS.keys())
def test_cli_refuses_bad_answer_in_one_line_and_leaves_nothing(tmp_path, answers, message):
    """The cookiecutter command exits non-zero, prints only our ERROR line (no traceback) and
    leaves no folder in the output directory or beside it."""
    result = run_cookiecutter(tmp_path, *answers)
    assert result.returncode != 0
    lines = output_lines(result)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"ERROR: {message}")
    assert left_behind(tmp_path) == []


def test_longest_project_name_bakes_into_a_capped_folder(cookies):
    """An 80-character name (the limit) bakes; the slug derived from it is cut to 64."""
    result = cookies.bake(extra_context={"project_name": "Model " + "x" * 74})
    assert result.exit_code == 0, result.exception
    assert result.project_path.name == "model-" + "x" * 58
    assert (result.project_path / "src" / ("model_" + "x" * 58) / "__init__.py").exists()


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
