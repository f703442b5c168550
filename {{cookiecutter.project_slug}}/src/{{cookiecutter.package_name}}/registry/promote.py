"""promote: point @champion at a version already in the registry (a rollback).

The version comes from the MODEL_VERSION environment variable (`make promote MODEL_VERSION=3`);
every version stays registered, only the alias moves. Both versions get an audit event (why:
PROMOTE_REASON, `make promote REASON="..."`).
"""

from __future__ import annotations

import os

from .. import tracking
from ..config import Params
from ..errors import PipelineError
from ..vocabulary import CHALLENGER, CHAMPION, PROMOTE
from . import audit, trail

# Why the champion moved, for the audit trail (`make promote REASON="..."`).
REASON_ENV = "PROMOTE_REASON"
DEFAULT_REASON = "rollback requested"


def run(name: str, version: str, reason: str = DEFAULT_REASON) -> None:
    tracking.configure(create=False)
    aliases = tracking.aliases_of(name, version)
    previous = tracking.version_with_alias(name, CHAMPION)
    if previous == version:
        print(f"promote: {name} v{version} is already @{CHAMPION}: nothing changed")
        return
    tracking.set_alias(name, CHAMPION, version)
    dropped = [CHALLENGER] if CHALLENGER in aliases else []
    if dropped:  # a version is one or the other
        tracking.delete_alias(name, CHALLENGER)
    events = audit.alias_moved(trail.stamp(), PROMOTE, reason, CHAMPION, version, previous, dropped)
    trail.record(name, events)
    print(f"promote: {name} @{CHAMPION} v{previous} -> v{version} ({reason})")


def main(params: Params) -> None:
    version = os.environ.get("MODEL_VERSION", "").strip()
    if not version.isdigit():
        raise PipelineError(f"set MODEL_VERSION to a registered version number, not {version!r}")
    reason = os.environ.get(REASON_ENV, "").strip() or DEFAULT_REASON
    run(params.registry.model_name, version, reason)
