"""Unit tests of the git edge: one helper, one failure rule."""

from __future__ import annotations

import subprocess

import pytest

from {{ cookiecutter.package_name }} import git


@pytest.fixture
def fresh_repository(tmp_path, monkeypatch):
    """An empty repository, as right after `make setup` in a new project."""
    subprocess.run(["git", "init", "--quiet", str(tmp_path)], check=True)  # noqa: S603, S607
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_failing_git_raises_with_gits_own_message(tmp_path, monkeypatch):
    """Outside a repository a git command raises GitError carrying git's explanation."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    with pytest.raises(git.GitError, match="not a git repository"):
        git.run("rev-parse", "HEAD")


def test_no_commit_yet_is_none_not_an_error(fresh_repository):
    """A fresh repository has no HEAD: lineage and the model card say so instead of failing."""
    assert git.head_commit() is None


def test_unknown_ref_is_not_a_commit(fresh_repository):
    """A ref that names no commit is reported as such."""
    assert not git.is_commit("no-such-branch")


def test_file_missing_at_a_ref_is_none(fresh_repository):
    """A file that did not exist at the ref reads as None."""
    (fresh_repository / "a.txt").write_text("a\n")
    subprocess.run(["git", "add", "a.txt"], check=True)  # noqa: S607
    subprocess.run(["git", "commit", "--quiet", "-m", "a"], check=True)  # noqa: S607
    assert git.file_at("HEAD", "a.txt") == "a\n"
    assert git.file_at("HEAD", "b.txt") is None
