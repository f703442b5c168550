"""promote: point @champion at a version already in the registry (a rollback).

The version comes from the MODEL_VERSION environment variable (`make promote MODEL_VERSION=3`);
every version stays registered, only the alias moves.
"""

from __future__ import annotations

import os

from .. import tracking
from ..config import Params
from ..errors import PipelineError
from ..vocabulary import CHALLENGER, CHAMPION


def run(name: str, version: str) -> None:
    tracking.configure(create=False)
    aliases = tracking.aliases_of(name, version)
    previous = tracking.version_with_alias(name, CHAMPION)
    tracking.set_alias(name, CHAMPION, version)
    if CHALLENGER in aliases:  # a version is one or the other
        tracking.delete_alias(name, CHALLENGER)
    print(f"promote: {name} @{CHAMPION} v{previous} -> v{version}")


def main(params: Params) -> None:
    version = os.environ.get("MODEL_VERSION", "").strip()
    if not version.isdigit():
        raise PipelineError(f"set MODEL_VERSION to a registered version number, not {version!r}")
    run(params.registry.model_name, version)
