"""Validate the answers before cookiecutter writes any file.

On a bad answer this prints one line naming the answer and what is allowed, then exits 1:
cookiecutter then deletes the half-made project folder. The answers are read as JSON, each on
its own line inside a raw string, so no answer (quotes, backslashes, code) can break this file.
Kept self-contained: cookiecutter hooks cannot import template-local modules. The template's
Jinja extension (local_extensions.AnswerCheck) runs this file's `validate` at the end of
prompting, before the project folder exists; this hook is the gate for runs that skip prompting.
"""

from __future__ import annotations

import json
import keyword
import posixpath
import re
import sys
import unicodedata

CHOICES = {
    "python_version": ("3.11", "3.12", "3.13"),
    "task": ("classification", "regression"),
    "dvc_remote": ("local", "s3", "gcs", "azure"),
    "license": ("MIT", "Apache-2.0", "BSD-3-Clause", "Proprietary"),
}

# Import names the generated project depends on (or that its tooling claims): a package with one
# of these names would shadow the real library.
RESERVED_PACKAGE_NAMES = frozenset(
    {
        "bentoml",
        "dvc",
        "joblib",
        "matplotlib",
        "mlflow",
        "numpy",
        "pandas",
        "pandera",
        "pyarrow",
        "pydantic",
        "pytest",
        "ruff",
        "scipy",
        "sklearn",
        "scikit_learn",
        "skops",
        "src",
        "test",
        "tests",
        "yaml",
        "setuptools",
        "pip",
        "uv",
        "conftest",
        "site",
    }
)

# Names Windows reserves for devices in every folder: a folder or package named so cannot be
# created (or checked out) there.
RESERVED_DEVICE_NAMES = frozenset(
    {"con", "prn", "aux", "nul"} | {f"{port}{n}" for port in ("com", "lpt") for n in range(10)}
)

SLUG_RE = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
PACKAGE_RE = re.compile(r"[a-z][a-z0-9_]*")
EMAIL_RE = re.compile(
    r"[A-Za-z0-9!#$%&*+/=?^_`|~-]+(?:\.[A-Za-z0-9!#$%&*+/=?^_`|~-]+)*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
)
GITHUB_OWNER_RE = re.compile(r"[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}")
REMOTE_URL_RE = {
    "s3": re.compile(r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[A-Za-z0-9._-]+)*/?"),
    "gcs": re.compile(r"gs://[a-z0-9][a-z0-9._-]{1,61}[a-z0-9](/[A-Za-z0-9._-]+)*/?"),
    "azure": re.compile(r"azure://[a-z0-9](?:-?[a-z0-9]){2,62}(/[A-Za-z0-9._-]+)*/?"),
    "local": re.compile(r"(\.\./|/)[A-Za-z0-9._/-]*[A-Za-z0-9_-]"),
}
REMOTE_URL_HINT = {
    "s3": "s3://<bucket>/<path>",
    "gcs": "gs://<bucket>/<path>",
    "azure": "azure://<container>/<path>",
    "local": "a folder outside the project, e.g. ../my-project-dvc-storage or /srv/dvc-storage",
}
TEXT_LIMITS = {"project_name": 80, "description": 300, "author_name": 100}
# Folder and package names; cookiecutter.json caps the slug it derives from the name to match.
MAX_NAME_LENGTH = 64
MAX_URL_LENGTH = 255


class AnswerError(ValueError):
    """An answer the template cannot accept; the message is the one line shown to the user."""


# Control characters (newline, tab, ...), line/paragraph separators and lone surrogates.
FORBIDDEN_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Cs"})


def _has_control_characters(text: str) -> bool:
    return any(unicodedata.category(char) in FORBIDDEN_CATEGORIES for char in text)


def check_text(name: str, value: str) -> None:
    limit = TEXT_LIMITS[name]
    if not value.strip():
        raise AnswerError(f"{name} is empty: give a short text (at most {limit} characters).")
    if len(value) > limit:
        raise AnswerError(f"{name} is {len(value)} characters long: at most {limit} are allowed.")
    if _has_control_characters(value):
        raise AnswerError(f"{name} contains a newline or control character: keep it on one line.")


def check_name_length(name: str, value: str) -> None:
    if len(value) > MAX_NAME_LENGTH:
        raise AnswerError(
            f"{name} is {len(value)} characters long: at most {MAX_NAME_LENGTH} are allowed."
        )


def check_device_name(name: str, value: str) -> None:
    if value in RESERVED_DEVICE_NAMES:
        raise AnswerError(
            f"{name} {value!r} is a device name reserved by Windows: choose another name."
        )


def check_slug(slug: str) -> None:
    check_name_length("project_slug", slug)
    if not SLUG_RE.fullmatch(slug):
        raise AnswerError(
            f"project_slug {slug!r} is not a valid slug: use lowercase letters, digits and "
            "single dashes, starting with a letter, e.g. 'churn-model'."
        )
    check_device_name("project_slug", slug)


def check_package_name(package: str) -> None:
    check_name_length("package_name", package)
    if not PACKAGE_RE.fullmatch(package) or keyword.iskeyword(package):
        raise AnswerError(
            f"package_name {package!r} is not a valid Python package name: use lowercase letters, "
            "digits and underscores, starting with a letter, e.g. 'churn_model'."
        )
    check_device_name("package_name", package)
    if package in sys.stdlib_module_names:
        raise AnswerError(
            f"package_name {package!r} shadows the Python standard library module of that "
            "name: choose another name."
        )
    if package in RESERVED_PACKAGE_NAMES:
        raise AnswerError(
            f"package_name {package!r} shadows a package the project depends on or uses: "
            "choose another name."
        )


def check_email(email: str) -> None:
    if len(email) > 254 or not EMAIL_RE.fullmatch(email):
        raise AnswerError(
            f"author_email {email!r} is not a valid email address, e.g. 'jane.doe@example.com'."
        )


def check_github_owner(owner: str) -> None:
    if not GITHUB_OWNER_RE.fullmatch(owner):
        raise AnswerError(
            f"github_owner {owner!r} is not a valid GitHub user or organisation name: letters, "
            "digits and single dashes, at most 39 characters."
        )


def check_choice(name: str, value: str) -> None:
    allowed = CHOICES[name]
    if value not in allowed:
        raise AnswerError(f"{name} {value!r} is not supported: choose one of {', '.join(allowed)}.")


def check_remote(kind: str, url: str, slug: str) -> None:
    """The URL must be of the chosen kind: a mismatch is a combination we do not support."""
    if len(url) > MAX_URL_LENGTH:
        raise AnswerError(
            f"dvc_remote_url is {len(url)} characters long: at most {MAX_URL_LENGTH} are allowed."
        )
    if not REMOTE_URL_RE[kind].fullmatch(url):
        raise AnswerError(
            f"dvc_remote_url {url!r} does not fit dvc_remote {kind!r}: "
            f"expected {REMOTE_URL_HINT[kind]}."
        )
    if kind == "local":
        project = posixpath.join("/parent", slug)
        storage = posixpath.normpath(posixpath.join(project, url))
        if storage == project or storage.startswith(project + "/"):
            raise AnswerError(
                f"dvc_remote_url {url!r} lies inside the project: a local DVC remote must be "
                "a folder outside it."
            )


def validate(answers: dict[str, str]) -> None:
    """Raise AnswerError for the first answer the template cannot accept."""
    for name in TEXT_LIMITS:
        check_text(name, answers[name])
    for name in CHOICES:
        check_choice(name, answers[name])
    check_slug(answers["project_slug"])
    check_package_name(answers["package_name"])
    check_email(answers["author_email"])
    check_github_owner(answers["github_owner"])
    check_remote(answers["dvc_remote"], answers["dvc_remote_url"], answers["project_slug"])


def rendered_answers() -> dict[str, str]:
    return json.loads(r"""
{
"project_name":
{{ cookiecutter.project_name | tojson }},
"project_slug":
{{ cookiecutter.project_slug | tojson }},
"package_name":
{{ cookiecutter.package_name | tojson }},
"description":
{{ cookiecutter.description | tojson }},
"author_name":
{{ cookiecutter.author_name | tojson }},
"author_email":
{{ cookiecutter.author_email | tojson }},
"github_owner":
{{ cookiecutter.github_owner | tojson }},
"python_version":
{{ cookiecutter.python_version | tojson }},
"task":
{{ cookiecutter.task | tojson }},
"dvc_remote":
{{ cookiecutter.dvc_remote | tojson }},
"dvc_remote_url":
{{ cookiecutter.dvc_remote_url | tojson }},
"license":
{{ cookiecutter.license | tojson }}
}
""")


def main() -> int:
    try:
        validate(rendered_answers())
    except AnswerError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
