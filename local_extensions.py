"""Jinja settings of this template, loaded by cookiecutter (and cruft) through `_extensions`."""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType

from cookiecutter.exceptions import FailedHookException
from jinja2 import Environment
from jinja2.ext import Extension

PRE_GEN_HOOK = Path(__file__).resolve().parent / "hooks" / "pre_gen_project.py"


class UnicodeJson(Extension):
    """Make `tojson` write non-ASCII text as UTF-8 instead of `\\u` escapes.

    JSON escapes characters beyond the Basic Multilingual Plane (emoji) as surrogate pairs, which
    TOML rejects; literal UTF-8 is valid in TOML, YAML, JSON and Python strings alike.
    """

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}


class AnswerRefused(FailedHookException):
    """A bad answer, found while prompting; the message is the one line shown to the user.

    A FailedHookException because cookiecutter's command line prints those as one line and
    exits 1 (anything else ends in a traceback), and because it is the pre-gen hook's own verdict.
    """


@functools.cache
def _pre_gen_hook() -> ModuleType:
    # The hook stays the one place the rules live (it must be self-contained); its answer block
    # is Jinja inside a raw string, so the file imports as plain Python.
    spec = importlib.util.spec_from_file_location("pre_gen_project", PRE_GEN_HOOK)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {PRE_GEN_HOOK}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_answers(answers: Mapping[str, object]) -> str:
    """Run the pre-gen hook's checks on the answers given so far; render as nothing."""
    hook = _pre_gen_hook()
    try:
        hook.validate(answers)
    except hook.AnswerError as error:
        raise AnswerRefused(f"ERROR: {error}") from None
    return ""


class AnswerCheck(Extension):
    """The `check_answers` filter, rendered by the last (private) variable of cookiecutter.json.

    Cookiecutter creates the project folder from the slug before the pre-gen hook runs, removes
    only that folder when the hook fails, and logs the failure with a traceback: a slug such as
    `a/b` left `a/` behind, `../x` briefly made a folder outside the output directory, and a name
    too long for the file system ended in an OSError. A private `__` variable is rendered, not
    asked, in its turn; placed after the last answer it sees them all before any folder exists,
    so a refusal there leaves nothing behind. The hook still runs the same checks for the runs
    that skip prompting (`--replay`, `cruft update` with its stored answers).
    """

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["check_answers"] = check_answers
