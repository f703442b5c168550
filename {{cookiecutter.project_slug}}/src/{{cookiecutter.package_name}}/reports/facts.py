"""`make report`, `make model-card` and image labels: gather facts (git, uv, MLflow), render.

Usage:
  python -m {{ cookiecutter.package_name }}.report pr --base main [--plots-url URL] [--out FILE]
  python -m {{ cookiecutter.package_name }}.report model-card [--out FILE]
  python -m {{ cookiecutter.package_name }}.report oci-labels [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from . import TASK, reporting
from .config import PARAMS_FILE, PipelineError, load_params
from .stages import API_SCHEMA_FILE, METRICS_FILE, MODEL_FILE, PLOTS_DIR

LOCK_FILES = ("pyproject.toml", "uv.lock")


def git(*args: str) -> str:
    result = subprocess.run(  # noqa: S603 - fixed command, arguments from this module
        ["git", *args],  # noqa: S607 - git is found on PATH like every developer tool
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise PipelineError(f"git {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


def head_commit() -> str | None:
    try:
        return git("rev-parse", "--verify", "HEAD").strip()
    except PipelineError:
        return None


def at_base(base: str, path: str) -> str | None:
    """A file's text at the base ref, or None when it did not exist there."""
    try:
        return git("show", f"{base}:{path}")
    except PipelineError:
        return None


def exported_packages(project: Path) -> dict[str, str]:
    """The service's packages as `make build` exports them for the bento (no dev tools)."""
    uv = os.environ.get("UV", "uv")  # `uv run` tells its children where it is
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [uv, "export", "--quiet", "--frozen", "--no-dev", "--no-hashes", "--no-emit-project",
         "--format", "requirements-txt", "--project", str(project)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return reporting.parse_requirements(result.stdout)


def base_packages(base: str) -> dict[str, str] | None:
    texts = {name: at_base(base, name) for name in LOCK_FILES}
    if any(text is None for text in texts.values()):
        return None
    with tempfile.TemporaryDirectory() as scratch:
        for name, text in texts.items():
            (Path(scratch) / name).write_text(text or "", encoding="utf-8")
        return exported_packages(Path(scratch))


def pull_request_facts(base: str, plots_url: str | None) -> reporting.PullRequestFacts:
    if not git("rev-parse", "--verify", "--quiet", base + "^{commit}").strip():
        raise PipelineError(f"unknown git ref {base!r}")
    params_head = yaml.safe_load(PARAMS_FILE.read_text(encoding="utf-8"))
    registry = load_params(PARAMS_FILE).registry
    base_params, base_metrics, base_schema = (
        at_base(base, str(path)) for path in (PARAMS_FILE, METRICS_FILE, API_SCHEMA_FILE)
    )
    return reporting.PullRequestFacts(
        base_ref=base,
        head_ref=git("rev-parse", "--short", "HEAD").strip(),
        params_base=yaml.safe_load(base_params or "{}") or {},
        params_head=params_head,
        metrics_base=json.loads(base_metrics or "{}"),
        metrics_head=json.loads(METRICS_FILE.read_text(encoding="utf-8")),
        gate_metric=registry.metric,
        gate_margin=registry.min_improvement,
        plots=sorted(path.as_posix() for path in PLOTS_DIR.glob("*.png")),
        plots_url=plots_url or None,
        schema_base=None if base_schema is None else json.loads(base_schema),
        schema_head=json.loads(API_SCHEMA_FILE.read_text(encoding="utf-8")),
        packages_base=base_packages(base),
        packages_head=exported_packages(Path.cwd()),
    )


def registered_champion(name: str) -> tuple[str | None, str | None, str | None]:
    """(version, alias, run id) of this model file in the registry, if it is registered."""
    from . import tracking
    from .data_io import md5

    tracking.configure()
    trained = tracking.training_run(md5(MODEL_FILE))
    if trained is None:
        return None, None, None
    from mlflow import MlflowClient

    client = MlflowClient()
    run_id = trained.info.run_id
    found = client.search_model_versions(f"name = '{name}' and run_id = '{run_id}'")
    if not found:
        return None, None, run_id
    # Search results omit aliases; the champion version wins over later challengers.
    versions = [client.get_model_version(name, version.version) for version in found]
    best = max(versions, key=lambda v: ("champion" in v.aliases, int(v.version)))
    return str(best.version), ", ".join(best.aliases) or "no alias", run_id


def model_card_facts() -> reporting.ModelCardFacts:
    from .data_io import RAW_DATA, TEST_DATA, TRAIN_DATA, read_table
    from .tracking import dvc_lock_hashes

    params = load_params(PARAMS_FILE)
    raw = yaml.safe_load(PARAMS_FILE.read_text(encoding="utf-8"))
    schema = json.loads(API_SCHEMA_FILE.read_text(encoding="utf-8"))
    features = list(schema["/predict"]["request"]["features"]["properties"])
    version, alias, run_id = registered_champion(params.registry.model_name)
    source = params.ingest.path or f"scikit-learn bundled dataset `{params.ingest.dataset}`"
    project = project_metadata()
    return reporting.ModelCardFacts(
        name=params.registry.model_name,
        description=project["description"],
        task=TASK,
        version=version,
        alias=alias,
        run_id=run_id,
        git_commit=head_commit() or "none (nothing committed yet)",
        data_source=str(source),
        data_md5=dvc_lock_hashes().get(f"dvc.ingest.{RAW_DATA.as_posix()}"),
        rows={"train": len(read_table(TRAIN_DATA)), "test": len(read_table(TEST_DATA))},
        features=features,
        target=params.ingest.target,
        params=raw["train"],
        metrics=json.loads(METRICS_FILE.read_text(encoding="utf-8")),
        thresholds=dict(params.evaluate.thresholds),
    )


def project_metadata() -> dict[str, Any]:
    import tomllib

    return tomllib.loads(Path("pyproject.toml").read_text(encoding="utf-8"))["project"]


def promotion_gate(base: str) -> int:
    """Print the gate's verdict against the metrics committed at `base`; 0 means promote."""
    registry = load_params(PARAMS_FILE).registry
    head = json.loads(METRICS_FILE.read_text(encoding="utf-8"))
    committed = json.loads(at_base(base, str(METRICS_FILE)) or "{}")
    gate = (registry.metric, head, committed, registry.min_improvement)
    print(reporting.verdict(*gate))
    return 0 if reporting.gate_alias(*gate) == "champion" else 1


def oci_labels() -> dict[str, str]:
    """Image labels: the OCI standard ones plus the model's lineage from the BentoML store."""
    import bentoml

    params = load_params(PARAMS_FILE)
    model = bentoml.models.get(f"{params.registry.model_name}:latest")
    lineage = model.info.labels
    project = project_metadata()
    labels = {
        "org.opencontainers.image.title": project["name"],
        "org.opencontainers.image.revision": git("rev-parse", "HEAD").strip(),
        "org.opencontainers.image.version": f"model-{lineage['mlflow_version']}",
        "org.opencontainers.image.source": project.get("urls", {}).get("Repository", ""),
        "org.opencontainers.image.licenses": project.get("license", ""),
        "io.mlflow.model": lineage["mlflow_model"],
        "io.mlflow.model-version": lineage["mlflow_version"],
        "io.mlflow.run-id": lineage["mlflow_run_id"],
        "io.dvc.data-md5": lineage["data_md5"],
    }
    # One `key=value` per line for the shell: values with spaces would split.
    return {key: value for key, value in labels.items() if value and " " not in value}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    pr = commands.add_parser("pr", help="report this branch's model against a base ref")
    pr.add_argument("--base", required=True, help="git ref to compare with, e.g. main")
    pr.add_argument("--plots-url", default=None, help="where CI uploaded the plot images")
    pr.add_argument("--out", type=Path, help="also write the markdown to this file")
    gate = commands.add_parser("gate", help="exit 0 only if this model would become champion")
    gate.add_argument("--base", required=True, help="git ref holding the model to beat")
    card = commands.add_parser("model-card", help="model card of the trained model")
    card.add_argument("--out", type=Path, help="also write the markdown to this file")
    labels = commands.add_parser("oci-labels", help="container image labels, one key=value a line")
    labels.add_argument("--out", type=Path, help="also write the labels to this file")
    args = parser.parse_args(argv)
    try:
        if args.command == "pr":
            text = reporting.render_report(pull_request_facts(args.base, args.plots_url))
        elif args.command == "gate":
            return promotion_gate(args.base)
        elif args.command == "model-card":
            text = reporting.render_model_card(model_card_facts())
        else:
            text = "".join(f"{key}={value}\n" for key, value in oci_labels().items())
    except PipelineError as error:
        print(f"{args.command}: {error}", file=sys.stderr)
        return 2
    except FileNotFoundError as error:
        missing = f"{error.filename} is missing: run `make repro` first"
        print(f"{args.command}: {missing}", file=sys.stderr)
        return 2
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
