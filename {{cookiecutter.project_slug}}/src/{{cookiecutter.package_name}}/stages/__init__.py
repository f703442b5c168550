"""DVC stage entry points (`python -m <package>.stages.<stage>`, as dvc.yaml runs them).

Each stage reads its own params.yaml section, does its I/O and calls the pure core.
"""

from __future__ import annotations

from collections.abc import Callable

from ..config import Params, load_params
from ..errors import run_command


def run_stage(name: str, main: Callable[[Params], None]) -> int:
    """A stage's command line: params from params.yaml, expected failures as one line."""
    return run_command(name, lambda: main(load_params()))
