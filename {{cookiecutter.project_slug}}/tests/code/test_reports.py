"""Unit tests of the pull-request report, the gate's verdict and the model card (pure)."""

from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }}.reports import markdown
from tests.helpers import HIGHER, LOWER


def facts(**overrides) -> markdown.PullRequestFacts:
    values = {
        "base_ref": "main",
        "head_ref": "abc1234",
        "params_base": {"train": {"seed": 42, "hyperparameters": {"alpha": 1.0}}},
        "params_head": {"train": {"seed": 42, "hyperparameters": {"alpha": 0.5}}},
        "metrics_base": {HIGHER: 0.80, LOWER: 0.30},
        "metrics_head": {HIGHER: 0.85, LOWER: 0.35},
        "gate_metric": HIGHER,
        "gate_margin": 0.01,
        "plots": ["plots/a.png"],
        "plots_url": None,
        "schema_base": {"/predict": {"request": {"x": 1}}},
        "schema_head": {"/predict": {"request": {"x": 1}}},
        "packages_base": {"numpy": "2.0.0", "pandas": "2.2.0"},
        "packages_head": {"numpy": "2.1.0", "pandas": "2.2.0", "scipy": "1.14.0"},
    }
    return markdown.PullRequestFacts(**{**values, **overrides})


@pytest.mark.parametrize(
    ("name", "base", "head", "marker"),
    [
        (HIGHER, 0.8, 0.9, "▲ better"),
        (HIGHER, 0.9, 0.8, "▼ worse"),
        (LOWER, 0.3, 0.2, "▼ better"),
        (LOWER, 0.2, 0.3, "▲ worse"),
        (HIGHER, 0.8, 0.8, "= unchanged"),
        (HIGHER, None, 0.8, "new"),
    ],
    ids=["score-up", "score-down", "error-down", "error-up", "same", "new"],
)
def test_metric_marker_knows_which_direction_is_better(name, base, head, marker):
    """The marker shows the direction of the number and whether that is an improvement."""
    assert markdown.MetricChange(name, base, head).marker == marker


def test_changed_params_are_dotted_and_only_the_changed_ones():
    """Only parameters whose value differs are listed, by their dotted path."""
    changed = markdown.changed_params(facts().params_base, facts().params_head)
    assert changed == [("train.hyperparameters.alpha", 1.0, 0.5)]


def test_package_changes_list_upgrades_and_additions():
    """Upgraded and added packages appear with both versions; unchanged ones do not."""
    text = "numpy==2.1.0\n    # via pandas\nscipy==1.14.0 ; python_full_version >= '3.11'\n"
    head = markdown.parse_requirements(text)
    assert markdown.package_changes({"numpy": "2.0.0"}, head) == [
        ("numpy", "2.0.0", "2.1.0"),
        ("scipy", "-", "1.14.0"),
    ]


@pytest.mark.parametrize(
    ("head", "expected"),
    [(0.85, "would become **champion**"), (0.805, "would stay **challenger**")],
    ids=["beats-margin", "within-margin"],
)
def test_verdict_applies_the_promotion_margin(head, expected):
    """The gate promotes only an improvement larger than the margin."""
    assert expected in markdown.verdict(HIGHER, {HIGHER: head}, {HIGHER: 0.80}, 0.01)


def test_report_starts_with_its_marker_and_shows_deltas():
    """The report can be found again (marker) and carries each metric's delta and marker."""
    report = markdown.render_report(facts())
    assert report.startswith(markdown.REPORT_MARKER)
    assert f"| {HIGHER} | 0.8000 | 0.8500 | +0.0500 | ▲ better |" in report
    assert "| `train.hyperparameters.alpha` | `1.0` | `0.5` |" in report
    assert "| numpy | 2.0.0 | 2.1.0 |" in report


def test_report_shows_an_api_change_as_a_diff():
    """A changed API schema appears as a diff block, an unchanged one as 'No change'."""
    changed = markdown.render_report(facts(schema_head={"/predict": {"request": {"x": 2}}}))
    assert '-      "x": 1' in changed
    assert '+      "x": 2' in changed
    assert "No change: clients" in markdown.render_report(facts())


def test_model_card_has_every_section():
    """The card covers intended use, data, metrics, parameters, lineage and limitations."""
    card = markdown.render_model_card(
        markdown.ModelCardFacts(
            name="m", description="d", task="t", version="3", alias="champion", run_id="r1",
            git_commit="c0ffee", data_source="bundled", data_md5="abc", rows={"train": 8},
            features=["x"], target="y", params={"seed": 1}, metrics={HIGHER: 0.9},
            thresholds={HIGHER: 0.5},
        )
    )  # fmt: skip
    for heading in ("Intended use", "Data", "Metrics", "Training parameters", "Lineage"):
        assert f"## {heading}" in card
    assert "version 3 (@champion), run `r1`" in card


def test_model_card_says_what_the_version_superseded_and_what_superseded_it():
    """The lineage names the champion this version replaced and the one that replaced it."""
    card = markdown.render_model_card(
        markdown.ModelCardFacts(
            name="m", description="d", task="t", version="3", alias="no alias", run_id="r1",
            git_commit="c0ffee", data_source="bundled", data_md5="abc", rows={"train": 8},
            features=["x"], target="y", params={}, metrics={}, thresholds={},
            supersedes="2", superseded_by="4",
        )
    )  # fmt: skip
    assert "- Supersedes: version 2\n- Superseded by: version 4\n" in card
