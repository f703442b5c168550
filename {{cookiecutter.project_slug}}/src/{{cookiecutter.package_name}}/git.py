"""git edge: one helper, one failure rule (a failing or missing git raises `GitError`).

Callers that can do without git (lineage before the first commit) say so explicitly.
"""

from __future__ import annotations

import subprocess

from .errors import PipelineError


class GitError(PipelineError):
    """git failed or is not installed; the message is git's own."""


def run(*args: str) -> str:
    """git's output; raise GitError with git's message when it fails."""
    try:
        result = subprocess.run(  # noqa: S603 - fixed command, arguments from this package
            ["git", *args],  # noqa: S607 - git is found on PATH like every developer tool
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as error:
        raise GitError(f"git {args[0]}: {error.strerror}") from None
    if result.returncode != 0:
        raise GitError(f"git {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


def head_commit() -> str | None:
    """HEAD's commit, or None where there is none (no repository, nothing committed yet)."""
    try:
        return run("rev-parse", "--verify", "HEAD").strip()
    except GitError:
        return None


def is_dirty() -> bool | None:
    """Whether tracked files have uncommitted changes; None outside a repository."""
    try:
        return bool(run("status", "--porcelain", "--untracked-files=no").strip())
    except GitError:
        return None


def is_commit(ref: str) -> bool:
    try:
        run("rev-parse", "--verify", "--quiet", ref + "^{commit}")
    except GitError:
        return False
    return True


def short_head() -> str:
    return run("rev-parse", "--short", "HEAD").strip()


def file_at(ref: str, path: str) -> str | None:
    """A file's text at `ref`, or None when it did not exist there."""
    try:
        return run("show", f"{ref}:{path}")
    except GitError:
        return None
