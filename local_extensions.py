"""Jinja settings of this template, loaded by cookiecutter (and cruft) through `_extensions`."""

from __future__ import annotations

from jinja2 import Environment
from jinja2.ext import Extension


class UnicodeJson(Extension):
    """Make `tojson` write non-ASCII text as UTF-8 instead of `\\u` escapes.

    JSON escapes characters beyond the Basic Multilingual Plane (emoji) as surrogate pairs, which
    TOML rejects; literal UTF-8 is valid in TOML, YAML, JSON and Python strings alike.
    """

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
