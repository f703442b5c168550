"""Tier 2 (seconds): projects can be created with cruft and checked against the template."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import TEMPLATE


def cruft(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "cruft", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def cruft_project(tmp_path_factory) -> Path:
    """A default project created by `cruft create` from the template's committed state."""
    if not (TEMPLATE / ".git").exists():
        pytest.skip("cruft reads the template through git; this checkout has no .git")
    output = tmp_path_factory.mktemp("cruft")
    result = cruft("create", "--no-input", "--output-dir", str(output), str(TEMPLATE), cwd=output)
    assert result.returncode == 0, result.stdout + result.stderr
    return output / "breast-cancer-classifier"


def test_cruft_create_records_the_template(cruft_project: Path):
    """`cruft create` writes .cruft.json with the template and its answers (for `cruft update`)."""
    state = json.loads((cruft_project / ".cruft.json").read_text())
    assert state["context"]["cookiecutter"]["package_name"] == "breast_cancer_classifier"
    assert (cruft_project / "src/breast_cancer_classifier/cli.py").exists()


def test_cruft_check_reports_up_to_date(cruft_project: Path):
    """A freshly created project is up to date with its template."""
    result = cruft("check", cwd=cruft_project)
    assert result.returncode == 0, result.stdout + result.stderr
