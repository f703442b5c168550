"""Expected failures, and the one rule for showing them.

An expected failure (bad params, missing data, a git ref that does not exist, ...) is a
`PipelineError` whose message says what is wrong and what to do: commands print it as one line
and exit 2. Any other exception keeps its traceback, so bugs stay visible.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

EXPECTED_FAILURE = 2


class PipelineError(ValueError):
    """An expected failure, shown to the user as one message."""


def run_command(name: str, action: Callable[[], int | None]) -> int:
    """Run `action`; an expected failure becomes one line on stderr and exit code 2."""
    try:
        return action() or 0
    except PipelineError as error:
        print(f"{name}: {error}", file=sys.stderr)
        return EXPECTED_FAILURE
