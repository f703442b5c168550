"""Tier 3 (minutes): the generated pre-commit hooks, run by git in a baked project.

One default bake after `make setup` and `make repro`, committed like a user's first commit: every
hook runs the project's locked tools offline, and the guards refuse data files and secrets.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

from tests.helpers import TEMPLATE

pytestmark = pytest.mark.slow

# A well-known fake AWS key pair (AWS documentation's example), which any scanner must catch.
FAKE_SECRET = (
    'AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"\n'
    'AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"\n'
)


def git_env(project: Path) -> dict[str, str]:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    env.update(
        GIT_AUTHOR_NAME="Test", GIT_AUTHOR_EMAIL="test@example.com",
        GIT_COMMITTER_NAME="Test", GIT_COMMITTER_EMAIL="test@example.com",
        BENTOML_HOME=str(project.parent / "bentoml-home"),
    )  # fmt: skip
    env.pop("VIRTUAL_ENV", None)
    return env


def run(project: Path, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=project, env=git_env(project), capture_output=True, text=True, timeout=900
    )


def ok(project: Path, *command: str) -> str:
    result = run(project, *command)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{output[-6000:]}"
    return output


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    """A default bake after `make setup`, committed through the hooks, before any `make repro`."""
    baked = Path(
        cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(tmp_path_factory.mktemp("git")))
    )
    ok(baked, "make", "setup")
    ok(baked, "git", "add", "--all")
    ok(baked, "git", "commit", "--quiet", "--message", "Fresh project")
    return baked


@pytest.fixture(scope="module")
def project(fresh: Path) -> Path:
    """The same project after `make repro`, its pipeline outputs committed through the hooks."""
    ok(fresh, "make", "repro")
    ok(fresh, "git", "add", "--all")
    ok(fresh, "git", "commit", "--quiet", "--message", "First run of the pipeline")
    return fresh


# Runs first, on the project before its first `make repro` (tests run in file order).
def test_checkout_before_the_first_repro_is_quiet(fresh: Path):
    """With the hooks installed and no `make repro` yet, switching branches prints no DVC error."""
    output = ok(fresh, "git", "switch", "--create", "experiment")
    assert "ERROR" not in output
    assert "failed" not in output.lower()


def refused_commit(project: Path, path: str, content: str) -> str:
    """Stage a new file, try to commit it; return the hooks' output and undo everything."""
    target = project / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(content)
    try:
        ok(project, "git", "add", "--force", path)
        result = run(project, "git", "commit", "--quiet", "--message", f"Add {path}")
        assert result.returncode != 0, f"committing {path} was accepted"
        return result.stdout + result.stderr
    finally:
        ok(project, "git", "reset", "--quiet", "--", path)
        target.unlink()


def test_setup_installs_commit_push_and_checkout_hooks(project: Path):
    """`make setup` installs pre-commit's hook for commits, pushes and checkouts."""
    for hook in ("pre-commit", "pre-push", "post-checkout"):
        assert "pre-commit" in (project / ".git" / "hooks" / hook).read_text(), hook


def test_first_commit_passes_every_hook(project: Path):
    """A fresh project's commit and its pipeline outputs' went through the hooks unchanged."""
    log = ok(project, "git", "log", "--format=%s").splitlines()
    assert log == ["First run of the pipeline", "Fresh project"]
    assert ok(project, "git", "status", "--porcelain").strip() == ""


def test_pre_commit_passes_on_all_files(project: Path):
    """`pre-commit run --all-files` passes on the committed project, offline."""
    output = ok(project, "uv", "run", "pre-commit", "run", "--all-files")
    for hook in ("ruff check", "check yaml", "detect secrets", "dvc status"):
        assert hook in output


def test_committing_data_is_refused_with_the_dvc_hint(project: Path):
    """A file under data/ is refused with the hint to track it with `dvc add`."""
    output = refused_commit(project, "data/external/patients.csv", "age,label\n42,1\n")
    assert "track it with `dvc add`" in output
    assert "data/external/patients.csv" in output


def test_committing_a_model_file_is_refused(project: Path):
    """A file under models/ is refused the same way."""
    output = refused_commit(project, "models/copy.pkl", "not a model\n")
    assert "track it with `dvc add`" in output


def test_committing_a_secret_is_refused(project: Path):
    """A fake AWS key in source code is caught by the offline secret scanner."""
    output = refused_commit(project, "src/settings_local.py", FAKE_SECRET)
    assert "AWS Access Key" in output


def test_dvc_pointer_and_cruft_state_commit_past_the_secret_scan(project: Path, tmp_path):
    """A `dvc add`-ed file's pointer and cruft's `.cruft.json` hold hashes, not secrets: they
    commit (the scan leaves them out by design, with no re-baselining)."""
    data = project / "data/external/patients.csv"
    data.write_text("age,label\n42,1\n51,0\n")
    ok(project, "uv", "run", "dvc", "add", "data/external/patients.csv")
    created = subprocess.run(
        [sys.executable, "-m", "cruft", "create", "--no-input", "--output-dir", str(tmp_path),
         str(TEMPLATE)], capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    cruft_state = next(tmp_path.glob("*/.cruft.json"))
    (project / ".cruft.json").write_text(cruft_state.read_text())
    ok(project, "git", "add", "data/external/patients.csv.dvc", "data/external/.gitignore",
       ".cruft.json")  # fmt: skip
    ok(project, "git", "commit", "--quiet", "--message", "Own data and the template's state")
    assert "data/external/patients.csv.dvc" in ok(project, "git", "ls-files")
