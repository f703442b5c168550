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
        # The baked projects' schemathesis run: the full gate gives it its own budget
        # (test_gate.GATE_FUZZ_SECONDS); every other run of the service tests here a short one,
        # though not below what schemathesis needs to finish its coverage phase on 2 cores (5-7 s
        # for the 9 operations; at 5 s it ran out and tested nothing).
        patch.setenv("FUZZ_SECONDS", os.environ.get("FUZZ_SECONDS", "15"))
        # Baked projects are git repositories of their own: keep the author identity local.
        for key, value in {
            "GIT_AUTHOR_NAME": "Template Tests",
            "GIT_AUTHOR_EMAIL": "tests@example.com",
            "GIT_COMMITTER_NAME": "Template Tests",
            "GIT_COMMITTER_EMAIL": "tests@example.com",
        }.items():
            patch.setenv(key, os.environ.get(key, value))
        yield
