"""Expected failures, and the one rule for showing them.

An expected failure (bad params, missing data, a git ref that does not exist, ...) is a
`PipelineError` whose message says what is wrong and what to do: commands print it as one line
and exit 1. Any other exception keeps its traceback, so bugs stay visible.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable

EXPECTED_FAILURE = 1
# The shell's convention for a process ended by a signal: 128 + the signal's number.
STOPPED = 128


class PipelineError(ValueError):
    """An expected failure, shown to the user as one message."""


class Terminated(BaseException):
    """The process was asked to stop (SIGTERM) while it held something open, e.g. an MLflow run.

    A BaseException, like KeyboardInterrupt, so no `except Exception` swallows it.
    """


def run_command(name: str, action: Callable[[], int | None]) -> int:
    """Run `action`; an expected failure becomes one line on stderr and exit code 1."""
    try:
        return action() or 0
    except PipelineError as error:
        print(f"{name}: {error}", file=sys.stderr)
        return EXPECTED_FAILURE
    except Terminated as stop:
        print(f"{name}: stopped by {stop}; no MLflow run is left RUNNING", file=sys.stderr)
        return STOPPED + signal.SIGTERM
