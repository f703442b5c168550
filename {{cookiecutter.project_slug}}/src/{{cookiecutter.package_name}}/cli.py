"""The project's command line: registry operations and reports, as the Makefile runs them.

`python -m <package>.cli <command>`; pipeline stages run through DVC (`make repro`).

Expected failures print one line and exit 1 (`errors.run_command`). Each command imports what
it uses when it runs, so a command pays only for its own libraries.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .config import load_params
from .errors import run_command
from .paths import PARAMS_FILE


def write(text: str, out: Path | None) -> None:
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    print(text, end="")


def register(args: argparse.Namespace) -> int:
    from .registry import register

    register.main(load_params(args.params))
    return 0


def promote(args: argparse.Namespace) -> int:
    from .registry import promote

    promote.main(load_params(args.params))
    return 0


def bento_model(args: argparse.Namespace) -> int:
    from .registry import bento_store

    bento_store.main(load_params(args.params))
    return 0


def bento_tag(args: argparse.Namespace) -> int:
    from .registry import bento_store

    print(bento_store.latest_bento(load_params(args.params).registry.model_name))
    return 0


def model_name(args: argparse.Namespace) -> int:
    print(load_params(args.params).registry.model_name)
    return 0


def report(args: argparse.Namespace) -> int:
    from .reports import facts, markdown

    write(markdown.render_report(facts.pull_request_facts(args.base, args.plots_url)), args.out)
    return 0


def gate(args: argparse.Namespace) -> int:
    from .reports import facts

    verdict, promotes = facts.promotion_gate(args.base)
    print(verdict)
    return 0 if promotes else 1


def model_card(args: argparse.Namespace) -> int:
    from .reports import facts, markdown

    write(markdown.render_model_card(facts.model_card_facts()), args.out)
    return 0


def oci_labels(args: argparse.Namespace) -> int:
    from .release import oci_labels

    write("".join(f"{key}={value}\n" for key, value in oci_labels().items()), args.out)
    return 0


Command = Callable[[argparse.Namespace], int]
# name -> (what it does, the function, whether it takes --base / --plots-url / --out)
COMMANDS: dict[str, tuple[str, Command, tuple[str, ...]]] = {
    "register": ("register the trained model; champion only if it beats the current one",
                 register, ()),
    "promote": ("make MODEL_VERSION (already registered) the champion: a rollback", promote, ()),
    "bento-model": ("import the champion into the BentoML model store", bento_model, ()),
    "bento-tag": ("print the tag of the latest bento (what `make serve` serves)", bento_tag, ()),
    "model-name": ("print the registered model's name (params.yaml)", model_name, ()),
    "report": ("report this branch's model against a base ref", report,
               ("--base", "--plots-url", "--out")),
    "gate": ("exit 0 only if this model would become champion against --base", gate, ("--base",)),
    "model-card": ("model card of the trained model", model_card, ("--out",)),
    "oci-labels": ("container image labels, one key=value a line", oci_labels, ("--out",)),
}  # fmt: skip
OPTIONS = {
    "--base": {"required": True, "help": "git ref to compare with, e.g. main"},
    "--plots-url": {"default": None, "help": "where CI uploaded the plot images"},
    "--out": {"type": Path, "help": "also write the output to this file"},
}


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    root.add_argument("--params", type=Path, default=PARAMS_FILE, help="parameters file")
    commands = root.add_subparsers(dest="command", required=True)
    for name, (help_text, _, options) in COMMANDS.items():
        command = commands.add_parser(name, help=help_text)
        for option in options:
            command.add_argument(option, **OPTIONS[option])  # type: ignore[arg-type]
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    action = COMMANDS[args.command][1]
    return run_command(args.command, lambda: action(args))


if __name__ == "__main__":
    sys.exit(main())
