"""Keep the files of the chosen options, drop the others.

Two manifests: files that exist only for some values of an answer (pruned for the others), and
answers whose value picks whole files (`variants/<answer>/<value>/` holds them at the paths they
take in the project: the chosen value's are moved into place, then `variants/` is removed).
Both steps are idempotent because cruft re-runs this hook on `cruft update`. No network and no
`git init` here: `make setup` owns the repository. Kept self-contained: cookiecutter hooks cannot
import template-local modules.
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
# Answers whose value picks whole files from variants/<answer>/<value>/.
VARIANT_ANSWERS = ("task",)
VARIANTS_DIR = "variants"


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


def place_variants(project: Path, answers: dict[str, str]) -> list[str]:
    """Move the chosen variants' files into place, remove variants/; return the placed paths."""
    variants = project / VARIANTS_DIR
    placed = []
    for answer in VARIANT_ANSWERS:
        chosen = variants / answer / answers[answer]
        for source in sorted(chosen.rglob("*")):
            if source.is_file():
                relative = source.relative_to(chosen)
                (project / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.move(source, project / relative)
                placed.append(relative.as_posix())
    shutil.rmtree(variants, ignore_errors=True)
    return placed


def rendered_answers() -> dict[str, str]:
    return json.loads(r"""
{
"license":
{{ cookiecutter.license | tojson }},
"task":
{{ cookiecutter.task | tojson }}
}
""")


def main() -> int:
    answers = rendered_answers()
    place_variants(Path.cwd(), answers)
    prune(Path.cwd(), answers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
