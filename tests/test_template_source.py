"""Tier 1 (milliseconds): the template's own sources read as what they are.

Variants are whole files chosen at bake time (hooks/post_gen_project.py), never Jinja branches:
no Python file of the template holds a Jinja control block, and the package's modules hold no
Jinja at all, so the template's ruff lints them as they are (`make lint`). The README's map of this
repository is true.
"""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.helpers import TEMPLATE, tree_entries

PROJECT = TEMPLATE / "{{cookiecutter.project_slug}}"
PYTHON_FILES = sorted(PROJECT.rglob("*.py"))
PACKAGE_FILES = [path for path in PYTHON_FILES if "{{cookiecutter.package_name}}" in path.parts]
# A name from an answer in an import path (`from {{ cookiecutter.package_name }}.x import y`) or
# a string; never a block.
CONTROL_BLOCK = re.compile(r"\{%")
JINJA = re.compile(r"\{\{|\{%|\{#")


def relative(path) -> str:
    return path.relative_to(PROJECT).as_posix()


def test_template_holds_python_files():
    """The scan below sees the package, its tests and the task variants."""
    names = {relative(path) for path in PYTHON_FILES}
    assert "tests/conftest.py" in names
    assert any(name.startswith("variants/task/regression/") for name in names)
    assert len(PACKAGE_FILES) > 20


@pytest.mark.parametrize("path", PYTHON_FILES, ids=relative)
def test_no_jinja_control_blocks_in_python(path):
    """Options choose whole files; no Python file branches on an answer."""
    assert not CONTROL_BLOCK.search(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", PACKAGE_FILES, ids=relative)
def test_package_modules_are_plain_python(path):
    """The package's modules use relative imports and no answer at all: plain Python."""
    assert not JINJA.search(path.read_text(encoding="utf-8"))


def test_readme_maps_this_repository():
    """The README's tree lists every tracked top-level entry and every file of tests/, and
    nothing that does not exist."""
    entries = tree_entries(
        (TEMPLATE / "README.md").read_text(encoding="utf-8"), "## This repository"
    )
    for entry in entries:
        assert (TEMPLATE / entry).exists(), f"the README lists a missing {entry}"
    # A listed path lists its folders too (`tools/actionlint.cjs` lists `tools`).
    listed = {"/".join(entry.split("/")[:n]) for entry in entries for n in range(1, 9)}
    tracked = subprocess.run(["git", "ls-files"], cwd=TEMPLATE, capture_output=True, text=True)
    if tracked.returncode != 0:
        pytest.skip("this checkout has no git metadata")
    top_level = {name.split("/")[0] for name in tracked.stdout.splitlines()} - {"README.md"}
    assert top_level <= {entry.split("/")[0] for entry in listed}, sorted(top_level)
    tests = {f"tests/{path.name}" for path in (TEMPLATE / "tests").iterdir()}
    missing = tests - listed - {"tests/__init__.py", "tests/__pycache__"}
    assert not missing, sorted(missing)
