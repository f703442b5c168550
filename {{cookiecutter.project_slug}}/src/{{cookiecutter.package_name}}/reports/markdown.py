"""The pull-request model report, the promotion gate's verdict and the model card: pure
functions from the facts `reports.facts` gathers to markdown."""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..metrics import improvement, promotion_alias
from ..paths import API_SCHEMA_FILE
from ..vocabulary import CHAMPION

# The first line of the report: how the workflow finds its own comment to update in place.
REPORT_MARKER = "<!-- model-report -->"


def flatten(mapping: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested params as `section.key` -> value."""
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def changed_params(base: Mapping[str, Any], head: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """(name, base value, head value) for every parameter added, removed or changed."""
    old, new = flatten(base), flatten(head)
    return [
        (name, old.get(name), new.get(name))
        for name in sorted(old.keys() | new.keys())
        if old.get(name) != new.get(name)
    ]


@dataclass(frozen=True)
class MetricChange:
    name: str
    base: float | None
    head: float | None

    @property
    def delta(self) -> float | None:
        if self.base is None or self.head is None:
            return None
        return self.head - self.base

    @property
    def marker(self) -> str:
        """▲/▼ for the direction of the number, and whether that is better or worse."""
        base, head = self.base, self.head
        if base is None or head is None:
            return "new" if base is None else "removed"
        if head == base:
            return "= unchanged"
        arrow = "▲" if head > base else "▼"
        better = improvement(self.name, head, base) > 0
        return f"{arrow} {'better' if better else 'worse'}"


def metric_changes(base: Mapping[str, float], head: Mapping[str, float]) -> list[MetricChange]:
    return [
        MetricChange(name, base.get(name), head.get(name))
        for name in sorted(base.keys() | head.keys())
    ]


def parse_requirements(text: str) -> dict[str, str]:
    """`name==version` lines (as `uv export` writes them) -> {name: version}."""
    packages = {}
    for line in text.splitlines():
        requirement = line.split(";")[0].strip()
        if "==" in requirement and not requirement.startswith("#"):
            name, version = requirement.split("==", 1)
            packages[name.strip().lower()] = version.strip()
    return packages


def package_changes(base: Mapping[str, str], head: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(name, base version, head version) for packages added, removed or upgraded."""
    return [
        (name, base.get(name, "-"), head.get(name, "-"))
        for name in sorted(base.keys() | head.keys())
        if base.get(name) != head.get(name)
    ]


def schema_diff(base: Mapping[str, Any] | None, head: Mapping[str, Any]) -> list[str]:
    """Unified diff of the two API schemas, pretty-printed with sorted keys."""
    if base is None:
        return []

    def lines(schema: Mapping[str, Any]) -> list[str]:
        return json.dumps(schema, indent=2, sort_keys=True).splitlines()

    names = (f"base/{API_SCHEMA_FILE}", f"head/{API_SCHEMA_FILE}")
    return list(difflib.unified_diff(lines(base), lines(head), *names, lineterm=""))


def _number(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.4f}"


def _value(value: Any) -> str:
    return "-" if value is None else f"`{value}`"


def gate_alias(
    metric: str, head: Mapping[str, float], base: Mapping[str, float], margin: float
) -> str | None:
    """`champion` or `challenger` against the base's score; None when this branch has none."""
    candidate = head.get(metric)
    if candidate is None:
        return None
    return promotion_alias(metric, candidate, base.get(metric), margin)


def verdict(
    metric: str, head: Mapping[str, float], base: Mapping[str, float], margin: float
) -> str:
    """Would this model become champion against the base branch's model?"""
    candidate, incumbent = head.get(metric), base.get(metric)
    alias = gate_alias(metric, head, base, margin)
    if alias is None:
        return f"⚠️ no `{metric}` in this branch's metrics.json: the gate cannot decide"
    if incumbent is None:
        reason = f"`{metric}` {_number(candidate)}; the base branch has no score to beat"
    else:
        reason = (
            f"`{metric}` {_number(candidate)} vs {_number(incumbent)} on the base branch "
            f"(needs an improvement above {margin})"
        )
    if alias == CHAMPION:
        return f"✅ would become **champion**: {reason}"
    return f"⏸️ would stay **challenger**: {reason}"


@dataclass(frozen=True)
class PullRequestFacts:
    base_ref: str
    head_ref: str
    params_base: Mapping[str, Any]
    params_head: Mapping[str, Any]
    metrics_base: Mapping[str, float]
    metrics_head: Mapping[str, float]
    gate_metric: str
    gate_margin: float
    plots: list[str]
    plots_url: str | None
    schema_base: Mapping[str, Any] | None
    schema_head: Mapping[str, Any]
    packages_base: Mapping[str, str] | None
    packages_head: Mapping[str, str]


def render_report(facts: PullRequestFacts) -> str:
    out = [REPORT_MARKER, f"## Model report: `{facts.head_ref}` against `{facts.base_ref}`", ""]
    gate = verdict(facts.gate_metric, facts.metrics_head, facts.metrics_base, facts.gate_margin)
    out += [f"**Promotion gate:** {gate}", "", "### Metrics (test set)", ""]
    out += ["| metric | base | head | change | |", "|---|---:|---:|---:|---|"]
    for change in metric_changes(facts.metrics_base, facts.metrics_head):
        delta = "-" if change.delta is None else f"{change.delta:+.4f}"
        row = [change.name, _number(change.base), _number(change.head), delta, change.marker]
        out.append("| " + " | ".join(row) + " |")

    out += ["", "### Parameters", ""]
    params = changed_params(facts.params_base, facts.params_head)
    if params:
        out += ["| parameter | base | head |", "|---|---|---|"]
        out += [f"| `{name}` | {_value(old)} | {_value(new)} |" for name, old, new in params]
    else:
        out.append("No parameter changed.")

    out += ["", "### Plots", ""]
    where = f"[download the plots artifact]({facts.plots_url})" if facts.plots_url else "`plots/`"
    out.append(f"{len(facts.plots)} images in {where}: " + ", ".join(f"`{p}`" for p in facts.plots))

    out += ["", "### API schema", ""]
    if facts.schema_base is None:
        out.append("The base branch has no `api_schema.json`: every endpoint is new.")
    elif diff := schema_diff(facts.schema_base, facts.schema_head):
        out += ["The request/response contract changed; clients may need updating:", ""]
        out += ["```diff", *diff, "```"]
    else:
        out.append("No change: clients of the service are unaffected.")

    out += ["", "### Service packages (bento)", ""]
    if facts.packages_base is None:
        out.append("The base branch has no `uv.lock` or serving group to compare with.")
    elif packages := package_changes(facts.packages_base, facts.packages_head):
        out += ["| package | base | head |", "|---|---|---|"]
        out += [f"| {name} | {old} | {new} |" for name, old, new in packages]
    else:
        out.append(f"No change ({len(facts.packages_head)} packages).")
    return "\n".join(out) + "\n"


@dataclass(frozen=True)
class ModelCardFacts:
    name: str
    description: str
    task: str
    version: str | None
    alias: str | None
    run_id: str | None
    git_commit: str
    data_source: str
    data_md5: str | None
    rows: dict[str, int]
    features: list[str]
    target: str
    params: Mapping[str, Any]
    metrics: Mapping[str, float]
    thresholds: Mapping[str, float]
    # From the audit trail: the version this one replaced as champion, and the one that
    # replaced it (None: none yet).
    supersedes: str | None = None
    superseded_by: str | None = None


def render_model_card(facts: ModelCardFacts) -> str:
    registered = f"MLflow model `{facts.name}`: not registered in this tracking store"
    if facts.version:
        registered = (
            f"MLflow model `{facts.name}` version {facts.version} (@{facts.alias}), "
            f"run `{facts.run_id}`"
        )
    out = [
        f"# Model card: {facts.name}",
        "",
        "## Intended use",
        "",
        f"{facts.description}",
        "",
        f"A {facts.task} model served over HTTP (see the README's API section). It predicts "
        f"`{facts.target}` from the {len(facts.features)} features below and is meant for "
        "inputs like its training data; requests outside that schema are refused (400).",
        "",
        "## Data",
        "",
        f"- Source: {facts.data_source}",
        f"- Raw data md5 (DVC): `{facts.data_md5 or 'unknown'}`",
        *(f"- {split} rows: {count}" for split, count in facts.rows.items()),
        f"- Features: {', '.join(f'`{name}`' for name in facts.features)}",
        "",
        "## Metrics (test set)",
        "",
        "| metric | value | threshold |",
        "|---|---:|---:|",
        *(
            f"| {name} | {_number(value)} | {_number(facts.thresholds.get(name))} |"
            for name, value in sorted(facts.metrics.items())
        ),
        "",
        "## Training parameters",
        "",
        *(f"- `{name}`: `{value}`" for name, value in sorted(flatten(facts.params).items())),
        "",
        "## Lineage",
        "",
        f"- Git commit: `{facts.git_commit}`",
        f"- {registered}",
        *(
            [
                f"- Supersedes: {f'version {facts.supersedes}' if facts.supersedes else 'none'}",
                "- Superseded by: "
                + (f"version {facts.superseded_by}" if facts.superseded_by else "none yet"),
            ]
            if facts.version
            else []
        ),
        "- Reproduce: `git checkout <commit> && make repro` (every hash is in `dvc.lock`)",
        "",
        "## Limitations",
        "",
        "- Scores are measured on one held-out split of the training source; they say nothing "
        "about data from another population or time.",
        "- The promotion gate compares one metric; review the full report before relying on it.",
    ]
    return "\n".join(out) + "\n"
