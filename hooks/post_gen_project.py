"""Remove the files of options that were not chosen.

One manifest says which paths belong to which answer. Pruning is idempotent because cruft re-runs
this hook on `cruft update`. No network and no `git init` here: `make setup` owns the repository.
Kept self-contained: cookiecutter hooks cannot import template-local modules.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

# answer -> value -> paths (relative to the project folder) that exist only for other values.
PRUNE_MANIFEST: dict[str, dict[str, list[str]]] = {
    "license": {"Proprietary": ["LICENSE"]},
}


def paths_to_remove(answers: dict[str, str]) -> list[str]:
    return [
        path
        for answer, by_value in PRUNE_MANIFEST.items()
        for path in by_value.get(answers[answer], [])
    ]


def prune(project: Path, answers: dict[str, str]) -> list[str]:
    """Delete the unchosen paths under `project`; return the ones that were present."""
    removed = []
    for relative in paths_to_remove(answers):
        target = project / relative
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        else:
            continue
        removed.append(relative)
    return removed


def rendered_answers() -> dict[str, str]:
    return json.loads(r"""
{
"license":
{{ cookiecutter.license | tojson }}
}
""")


def main() -> int:
    prune(Path.cwd(), rendered_answers())
    return 0


if __name__ == "__main__":
    sys.exit(main())
