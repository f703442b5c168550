"""Command line: `python -m {{ cookiecutter.package_name }}.cli <stage>` runs one pipeline step."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from .config import PARAMS_FILE, PipelineError, load_params

STAGES = (
    "ingest", "prepare", "contract", "train", "evaluate", "register", "promote", "bento-model"
)  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("stage", choices=STAGES, help="pipeline step to run")
    parser.add_argument("--params", type=Path, default=PARAMS_FILE, help="parameters file")
    args = parser.parse_args(argv)
    try:
        params = load_params(args.params)
        # Imported on demand: each stage pays only for the libraries it uses.
        module = args.stage.replace("-", "_")
        importlib.import_module(f"{__package__}.stages.{module}").main(params)
    except PipelineError as error:
        print(f"{args.stage}: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
