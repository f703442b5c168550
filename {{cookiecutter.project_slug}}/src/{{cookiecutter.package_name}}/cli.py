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
from .errors import PipelineError, run_command
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


def history(args: argparse.Namespace) -> int:
    from .registry import trail

    write(trail.history(load_params(args.params), args.last), args.out)
    return 0


def retire(args: argparse.Namespace) -> int:
    from .registry import retire

    retire.main(load_params(args.params).registry.model_name, args.keep, confirm=args.confirm)
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


# `monitor`'s exit codes besides 0 (no drift) and errors.EXPECTED_FAILURE, for CI and cron.
DRIFT_EXIT = 3
NOT_ENOUGH_DATA_EXIT = 4
VERDICT_EXITS = {"no_drift": 0, "drift": DRIFT_EXIT, "not_enough_data": NOT_ENOUGH_DATA_EXIT}


def monitor(args: argparse.Namespace) -> int:
    from .monitoring import monitor, report
    from .paths import MONITOR_DIR

    params = load_params(args.params)
    summary = monitor.run(params, labels=args.labels)
    print(f"monitor: {report.headline(summary)}")
    print(f"monitor: report {MONITOR_DIR / report.REPORT_HTML}")
    if not args.no_mlflow:
        # Imported only now, after the report is written: a tracking server that is down
        # costs the run in MLflow, never the report.
        from . import tracking

        written = [MONITOR_DIR / report.SUMMARY_JSON, MONITOR_DIR / report.REPORT_HTML]
        files = [*sorted(MONITOR_DIR.glob("*.png")), *written]
        run_id = tracking.log_monitoring_run(
            f"{params.train.experiment}-monitoring", summary["model_md5"],
            report.run_tags(summary), report.run_metrics(summary), files,
        )  # fmt: skip
        print(f"monitor: logged as MLflow run {run_id}")
    return VERDICT_EXITS[summary["verdict"]]


def traffic(args: argparse.Namespace) -> int:
    from .data_io import read_table
    from .monitoring import shifts, traffic
    from .paths import TEST_DATA

    params = load_params(args.params)
    test = read_table(TEST_DATA)
    X, y = test.drop(columns=[params.ingest.target]), test[params.ingest.target]
    feature = args.feature or shifts.default_feature(params.evaluate.directional, list(X.columns))
    try:
        X, y = shifts.shifted(X, y, args.shift, feature=feature, size=args.size, seed=args.seed)
    except ValueError as error:
        raise PipelineError(str(error)) from None
    sent = traffic.send(args.url, X, y, feedback=args.feedback)
    what = {
        "none": "the held-out test split",
        "labels": "a label-balance shift",
        "feature": f"{feature} moved by {args.size:g} standard deviations",
    }[args.shift]
    print(f"traffic: {sent['rows']} rows ({what}) to {args.url}; {sent['feedback']} feedback")
    return 0


def logs_pull(args: argparse.Namespace) -> int:
    from .monitoring import shipping

    url, folder = shipping.logs_url(), load_params(args.params).monitor.logs
    print(f"logs-pull: {shipping.pull(url, folder)} files from {url} into {folder}")
    return 0


def logs_push(args: argparse.Namespace) -> int:
    from .monitoring import shipping

    url, folder = shipping.logs_url(), load_params(args.params).monitor.logs
    print(f"logs-push: {shipping.push(folder, url)} files from {folder} to {url}")
    return 0


def score(args: argparse.Namespace) -> int:
    from .scoring import run

    model_name = load_params(args.params).registry.model_name
    if not (args.input and args.output):
        raise PipelineError("set --input (a CSV/Parquet file or folder) and --output (.parquet)")
    run.main(model_name, args.input, args.output, args.id_column or None, packed=args.packed)
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
    "promote": ("make MODEL_VERSION (already registered) the champion: a rollback (why: "
                "PROMOTE_REASON)", promote, ()),
    "history": ("the registry's timeline for the model, newest first: alias changes, who, "
                "when, commit, why", history, ("--last", "--out")),
    "retire": ("archive versions older than the newest --keep that hold no alias (a dry run "
               "without --confirm)", retire, ("--keep", "--confirm")),
    "bento-model": ("import the champion into the BentoML model store", bento_model, ()),
    "bento-tag": ("print the tag of the latest bento (what `make serve` serves)", bento_tag, ()),
    "model-name": ("print the registered model's name (params.yaml)", model_name, ()),
    "report": ("report this branch's model against a base ref", report,
               ("--base", "--plots-url", "--out")),
    "gate": ("exit 0 only if this model would become champion against --base", gate, ("--base",)),
    "model-card": ("model card of the trained model", model_card, ("--out",)),
    "oci-labels": ("container image labels, one key=value a line", oci_labels, ("--out",)),
    "monitor": ("compare logged predictions with the reference: exit 0 no drift, 3 drift, "
                "4 not enough data", monitor, ("--labels", "--no-mlflow")),
    "traffic": ("send the held-out test split, optionally shifted, to a running service",
                traffic, ("--url", "--shift", "--feature", "--size", "--seed", "--feedback")),
    "score": ("score a CSV/Parquet file or folder with @champion (or MODEL_VERSION) into "
              "a Parquet file", score, ("--input", "--output", "--id-column", "--packed")),
    "logs-pull": ("copy the prediction logs from PREDICTION_LOGS_URL into monitor.logs",
                  logs_pull, ()),
    "logs-push": ("copy monitor.logs to PREDICTION_LOGS_URL", logs_push, ()),
}  # fmt: skip
OPTIONS = {
    "--base": {"required": True, "help": "git ref to compare with, e.g. main"},
    "--plots-url": {"default": None, "help": "where CI uploaded the plot images"},
    "--out": {"type": Path, "help": "also write the output to this file"},
    "--labels": {"type": Path, "default": None,
                 "help": "CSV/Parquet file of request_id, actual[, row]: ground truth in batch"},
    "--no-mlflow": {"action": "store_true", "help": "write the report only, log no MLflow run"},
    "--url": {"default": "http://127.0.0.1:3000", "help": "the service's base URL"},
    "--shift": {"default": "none", "choices": ["none", "feature", "labels"],
                "help": "none: as it is; feature: FEATURE moved SIZE std; labels: one class"},
    "--feature": {"default": None, "help": "the feature to shift (default: the first "
                  "evaluate.directional feature, else the first feature)"},
    "--size": {"type": float, "default": 2.0, "help": "the feature shift in standard deviations"},
    "--seed": {"type": int, "default": 0, "help": "seed of the label shift's row draw"},
    "--feedback": {"action": "store_true", "help": "then POST each row's actual to /feedback"},
    "--last": {"type": int, "default": None, "help": "only the newest N events"},
    "--keep": {"type": int, "default": 5, "help": "the newest N versions are never archived"},
    "--confirm": {"action": "store_true", "help": "act (without it: print what it would do)"},
    "--input": {"default": None, "help": "CSV/Parquet file or folder, a path or fsspec URL"},
    "--output": {"default": None, "help": "the Parquet file to write, a path or fsspec URL"},
    "--id-column": {"default": None, "help": "an input column copied into the output"},
    "--packed": {"action": "store_true",
                 "help": "score with the model packed in the bento (the service image)"},
}  # fmt: skip


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
