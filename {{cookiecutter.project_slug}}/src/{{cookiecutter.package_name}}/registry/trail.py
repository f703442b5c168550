"""The audit trail's edge: stamps events with who, when and which commit, writes them to the
registry as version tags (`registry.audit` says how) and reads its timeline (`make history`).

Who: GITHUB_ACTOR in GitHub Actions, else the local user. Which commit: GITHUB_SHA there (the
commit the workflow runs for), else git's HEAD.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterable
from datetime import UTC, datetime

from .. import git, tracking
from ..config import Params
from ..errors import PipelineError
from . import audit

ACTOR_ENV = "GITHUB_ACTOR"
COMMIT_ENV = "GITHUB_SHA"


def who() -> str:
    if actor := os.environ.get(ACTOR_ENV):
        return actor
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container's user without a passwd entry or LOGNAME
        return "unknown"


def stamp() -> audit.Stamp:
    commit = os.environ.get(COMMIT_ENV) or git.head_commit() or "none"
    return audit.Stamp(who=who(), when=datetime.now(UTC), commit=commit)


def record(name: str, events: Iterable[audit.Event]) -> None:
    for event in events:
        key, value = audit.tag(event)
        tracking.tag_version(name, event.version, {key: value})


def versions(name: str) -> list[audit.Version]:
    return [
        audit.Version(
            version=found["version"],
            run_id=found["run_id"],
            aliases=tuple(found["aliases"]),
            tags=found["tags"],
            description=found["description"],
            created=datetime.fromtimestamp(found["created_ms"] / 1000, UTC),
        )
        for found in tracking.model_versions(name)
    ]


def history(params: Params, last: int | None) -> str:
    """The registry's timeline for the model as markdown, newest first."""
    if last is not None and last < 1:
        raise PipelineError(f"LAST={last}: show 1 or more rows (or leave it unset for all)")
    tracking.configure(create=False)
    name = params.registry.model_name
    return audit.history_table(name, audit.timeline(versions(name), params.registry.metric), last)
