"""The facts behind `make report`, `make gate` and `make model-card`: gathered from git, uv,
MLflow and the pipeline's committed outputs (the edges); rendered by `reports.markdown`."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import yaml

from .. import git, task, tracking
from ..api import described_features
from ..config import load_params
from ..data_io import md5, read_json, read_table
from ..errors import PipelineError
from ..paths import (
    API_SCHEMA_FILE,
    METRICS_FILE,
    MODEL_FILE,
    PARAMS_FILE,
    PLOTS_DIR,
    PYPROJECT,
    TEST_DATA,
    TRAIN_DATA,
    UV_LOCK,
)
from ..registry import audit
from ..vocabulary import CHAMPION, RAW_DATA_TAG
from . import markdown


def serving_requirements(project: Path) -> str:
    """The bento's requirements as `make build` exports them: the serving group, locked."""
    uv = os.environ.get("UV", "uv")  # `uv run` tells its children where it is
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [uv, "export", "--quiet", "--frozen", "--only-group", "serving", "--no-hashes",
         "--no-emit-project", "--format", "requirements-txt", "--project", str(project)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return result.stdout


def exported_packages(project: Path) -> dict[str, str]:
    """The service's packages (the bento's, so the image's), by name."""
    return markdown.parse_requirements(serving_requirements(project))


def base_packages(base: str) -> dict[str, str] | None:
    texts = {path.name: git.file_at(base, str(path)) for path in (PYPROJECT, UV_LOCK)}
    if any(text is None for text in texts.values()):
        return None
    # A base from before the bento's packages became the serving group has nothing to match.
    if "serving" not in tomllib.loads(texts[PYPROJECT.name] or "").get("dependency-groups", {}):
        return None
    with tempfile.TemporaryDirectory() as scratch:
        for name, text in texts.items():
            (Path(scratch) / name).write_text(text or "", encoding="utf-8")
        return exported_packages(Path(scratch))


def committed_metrics(base: str) -> dict[str, float]:
    return dict(json.loads(git.file_at(base, str(METRICS_FILE)) or "{}"))


def pull_request_facts(base: str, plots_url: str | None) -> markdown.PullRequestFacts:
    if not git.is_commit(base):
        raise PipelineError(f"unknown git ref {base!r}")
    registry = load_params(PARAMS_FILE).registry
    base_params, base_schema = (git.file_at(base, str(p)) for p in (PARAMS_FILE, API_SCHEMA_FILE))
    return markdown.PullRequestFacts(
        base_ref=base,
        head_ref=git.short_head(),
        params_base=yaml.safe_load(base_params or "{}") or {},
        params_head=yaml.safe_load(PARAMS_FILE.read_text(encoding="utf-8")),
        metrics_base=committed_metrics(base),
        metrics_head=read_json(METRICS_FILE),
        gate_metric=registry.metric,
        gate_margin=registry.min_improvement,
        plots=sorted(path.as_posix() for path in PLOTS_DIR.glob("*.png")),
        plots_url=plots_url or None,
        schema_base=None if base_schema is None else json.loads(base_schema),
        schema_head=read_json(API_SCHEMA_FILE),
        packages_base=base_packages(base),
        packages_head=exported_packages(Path.cwd()),
    )


def promotion_gate(base: str) -> tuple[str, bool]:
    """The gate's verdict against the metrics committed at `base`, and whether it promotes."""
    registry = load_params(PARAMS_FILE).registry
    gate = (registry.metric, read_json(METRICS_FILE), committed_metrics(base))
    verdict = markdown.verdict(*gate, registry.min_improvement)
    return verdict, markdown.gate_alias(*gate, registry.min_improvement) == CHAMPION


def succession(name: str, version: str | None) -> tuple[str | None, str | None]:
    """(the version this one replaced as champion, the one that replaced it): its audit trail."""
    if version is None:
        return None, None
    return audit.succession(audit.events_of(version, tracking.version_tags(name, version)))


def registered_champion(name: str) -> tuple[str | None, str | None, str | None]:
    """(version, alias, run id) of this model file in the registry, if it is registered."""
    tracking.configure()
    trained = tracking.training_run(md5(MODEL_FILE))
    if trained is None:
        return None, None, None
    versions = tracking.versions_of_run(name, trained.run_id)
    if not versions:
        return None, None, trained.run_id
    # The champion version wins over later challengers.
    version, aliases = max(versions, key=lambda v: (CHAMPION in v[1], int(v[0])))
    return version, ", ".join(aliases) or "no alias", trained.run_id


def project_metadata() -> dict[str, Any]:
    return dict(tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"])


def model_card_facts() -> markdown.ModelCardFacts:
    params = load_params(PARAMS_FILE)
    raw = yaml.safe_load(PARAMS_FILE.read_text(encoding="utf-8"))
    schema = read_json(API_SCHEMA_FILE)
    features = described_features(schema)
    version, alias, run_id = registered_champion(params.registry.model_name)
    supersedes, superseded_by = succession(params.registry.model_name, version)
    source = params.ingest.path or f"scikit-learn bundled dataset `{params.ingest.dataset}`"
    return markdown.ModelCardFacts(
        name=params.registry.model_name,
        description=project_metadata()["description"],
        task=task.NAME,
        version=version,
        alias=alias,
        run_id=run_id,
        git_commit=git.head_commit() or "none (nothing committed yet)",
        data_source=str(source),
        data_md5=tracking.dvc_lock_hashes().get(RAW_DATA_TAG),
        rows={"train": len(read_table(TRAIN_DATA)), "test": len(read_table(TEST_DATA))},
        features=features,
        target=params.ingest.target,
        params=raw["train"],
        metrics=read_json(METRICS_FILE),
        thresholds={name: value for name, value in params.evaluate.thresholds.items()},
        supersedes=supersedes,
        superseded_by=superseded_by,
    )
