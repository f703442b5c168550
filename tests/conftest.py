"""Template tests run from the repository root, where pytest-cookies finds the template."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def quiet_tools():
    """No analytics or telemetry from the tools the baked projects run."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DVC_NO_ANALYTICS", "1")
        patch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
        patch.setenv("DO_NOT_TRACK", "1")
        # Baked projects are git repositories of their own: keep the author identity local.
        for key, value in {
            "GIT_AUTHOR_NAME": "Template Tests",
            "GIT_AUTHOR_EMAIL": "tests@example.com",
            "GIT_COMMITTER_NAME": "Template Tests",
            "GIT_COMMITTER_EMAIL": "tests@example.com",
        }.items():
            patch.setenv(key, os.environ.get(key, value))
        yield
