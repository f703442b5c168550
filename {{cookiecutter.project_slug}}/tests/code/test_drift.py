"""Unit tests of the drift decisions: windows, per-column tests, Bonferroni, k of n, verdicts
(tables in memory, no files)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }} import task
from {{ cookiecutter.package_name }}.config import MonitorParams
from {{ cookiecutter.package_name }}.errors import PipelineError
from {{ cookiecutter.package_name }}.monitoring import drift, shifts
from {{ cookiecutter.package_name }}.monitoring.reference import OUTPUT_PREFIX, Reference
from tests.helpers import PARAMS

SETTINGS = PARAMS.monitor
RNG = np.random.default_rng(0)
FEATURES = ["a", "b"]


def make_outputs(rows: int) -> dict[str, np.ndarray]:
    """Outputs of this task's shape: two classes' probabilities, or a value."""
    p = RNG.uniform(size=rows)
    if task.CATEGORICAL_PREDICTION:
        return {"no": 1 - p, "yes": p}
    return {"value": p}


def make_reference(rows: int = 400) -> Reference:
    train = pd.DataFrame({name: RNG.normal(size=rows) for name in FEATURES})
    classes = np.array(["no", "yes"]) if task.CATEGORICAL_PREDICTION else None
    return Reference(train=train, test=train.iloc[:100], outputs=make_outputs(100),
                     actual=np.zeros(100), model_md5="m", target="t", classes=classes)  # fmt: skip


def make_window(rows: int, shift: float = 0.0) -> pd.DataFrame:
    window = pd.DataFrame({name: RNG.normal(size=rows) + shift for name in FEATURES})
    for name, values in make_outputs(rows).items():
        window[f"{OUTPUT_PREFIX}{name}"] = values
    return window


def test_windows_are_newest_first_and_an_incomplete_oldest_one_is_dropped():
    """25 rows in windows of 10: two windows, the newest rows first, the 5 oldest left out."""
    stamps = np.arange(25)
    windows = drift.window_positions(stamps, np.ones(25, bool), window_rows=10, windows=3)
    assert [list(w) for w in windows] == [list(range(24, 14, -1)), list(range(14, 4, -1))]


def test_only_the_newest_n_windows_are_taken():
    """100 rows, windows of 10, n = 3: the 30 newest rows."""
    windows = drift.window_positions(np.arange(100), np.ones(100, bool), 10, 3)
    assert len(windows) == 3
    assert min(min(w) for w in windows) == 70


def test_rows_of_another_model_are_not_windowed():
    """Rows another model served never enter a window."""
    served = np.arange(30) % 2 == 0
    windows = drift.window_positions(np.arange(30), served, 5, 3)
    assert all(served[w].all() for w in windows)


def test_same_distribution_gives_a_high_ks_p_value():
    """Samples of one distribution are not told apart."""
    assert drift.ks_test(RNG.normal(size=500), RNG.normal(size=100))["p_value"] > 0.01


def test_shifted_distribution_gives_a_tiny_ks_p_value():
    """A 2-std shift is found in 50 rows."""
    assert drift.ks_test(RNG.normal(size=500), RNG.normal(size=50) + 2)["p_value"] < 1e-6


def test_missing_values_are_left_out_of_the_test():
    """NaNs are not values: a window of NaNs only has no p-value."""
    assert drift.ks_test(RNG.normal(size=50), [np.nan, np.nan])["p_value"] is None


def test_class_shares_that_moved_give_a_tiny_chi2_p_value():
    """All predictions one class, against a 50/50 reference, is a shift."""
    result = drift.chi2_test(["no", "yes"] * 100, ["yes"] * 50)
    assert result["p_value"] < 1e-6
    assert result["shares"] == {"no": 0.0, "yes": 1.0}


def test_one_class_on_both_sides_leaves_nothing_to_test():
    """No difference can be measured when both sides predict one class: p = 1."""
    assert drift.chi2_test(["yes"] * 10, ["yes"] * 5)["p_value"] == 1.0


def test_thresholds_share_alpha_between_the_prediction_and_the_features():
    """Weighted Bonferroni: half of alpha for the prediction, half split among the features."""
    assert drift.prediction_threshold(0.05) == pytest.approx(0.025)
    assert drift.threshold(0.05, ["a", "b", "c", "d", "e"]) == pytest.approx(0.005)
    assert drift.prediction_threshold(0.05) + 5 * drift.threshold(0.05, list("abcde")) == 0.05


def test_a_shifted_feature_drifts_its_window():
    """A window whose feature moved by 3 std drifts, naming the feature."""
    result = drift.assess_window(make_reference(), make_window(50).assign(a=lambda w: w.a + 3),
                                 FEATURES, SETTINGS.alpha)  # fmt: skip
    assert result["drifted"]
    assert "a" in result["drifted_columns"]


def test_out_of_range_and_missing_shares_are_reported():
    """Values beyond the reference's range and missing values are counted per feature."""
    window = make_window(10)
    window.loc[:1, "a"] = 1e6
    window.loc[2, "b"] = np.nan
    result = drift.assess_window(make_reference(), window, FEATURES, SETTINGS.alpha)
    assert result["features"]["a"]["out_of_range_share"] == pytest.approx(0.2)
    assert result["features"]["b"]["missing_share"] == pytest.approx(0.1)


def window(drifted: bool) -> dict:
    return {"drifted": drifted, "drifted_columns": ["a"] if drifted else []}


def test_no_window_is_not_enough_data():
    """Without one full window there is no verdict."""
    assert drift.verdict([], None) == drift.NOT_ENOUGH_DATA


def test_the_newest_window_decides_drift():
    """Drift in the newest window is drift; drift only in older ones is not (yet)."""
    assert drift.verdict([window(True), window(False)], None) == drift.DRIFT
    assert drift.verdict([window(False), window(True)], None) == drift.NO_DRIFT


def test_a_degraded_live_score_is_drift():
    """A live score worse than allowed is drift even when the inputs look the same."""
    assert drift.verdict([window(False)], {"degraded": True}) == drift.DRIFT


def test_sustained_needs_k_of_n_windows():
    """One noisy window is not sustained drift; `sustained` windows are."""
    params = MonitorParams(windows=3, sustained=2)
    assert not drift.sustained([window(True), window(False), window(False)], params)
    assert drift.sustained([window(True), window(False), window(True)], params)


def test_metric_drop_is_worse_in_either_direction():
    """A drop is positive when the live score is worse, for scores and for errors alike."""
    for name in task.LOWER_IS_BETTER:
        assert drift.metric_drop(name, live=2.0, test=1.0) == 1.0
    assert drift.metric_drop("anything-higher-is-better", live=0.8, test=0.9) == pytest.approx(0.1)


def test_features_the_reference_lacks_are_named():
    """monitor.features naming a column the reference lacks fails with its name."""
    with pytest.raises(PipelineError, match=r"monitor\.features: 'z'"):
        drift.monitored_features(make_reference(), ["a", "z"])


def test_a_feature_shift_moves_only_that_feature():
    """SHIFT=feature adds SIZE standard deviations to one feature and leaves the rest."""
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0.0, 0.0, 1.0]})
    shifted = shifts.feature_shift(X, "a", 2.0)
    assert list(shifted["a"]) == [3.0, 4.0, 5.0]
    assert shifted["b"].equals(X["b"])


def test_default_shifted_feature_is_the_first_directional_one():
    """Without FEATURE, the first behaviour-test feature moves, else the first feature."""
    assert shifts.default_feature({"b": "increase"}, ["a", "b"]) == "b"
    assert shifts.default_feature({}, ["a", "b"]) == "a"


def test_batches_cover_every_row_once():
    """The traffic's batches cover every row exactly once, in order."""
    assert shifts.batches(5, 2) == [slice(0, 2), slice(2, 4), slice(4, 5)]


@pytest.mark.parametrize("margin", [2.0, 0.5])
def test_a_live_score_worse_by_more_than_max_metric_drop_is_degraded(margin: float):
    """Live `registry.metric` worse than the test set's by more than `max_metric_drop`
    (window_rows labelled rows) is degraded; by less, it is not."""
    rows, metric = SETTINGS.window_rows, PARAMS.registry.metric
    classes = make_reference().classes
    outputs = task.outputs_of(make_outputs(rows))
    truth = task.monitored_prediction(task.outputs_of(make_outputs(rows)), classes)
    live = task.scores(task.truth_values(truth, classes), outputs, classes)[metric]
    better = -1 if metric in task.LOWER_IS_BETTER else 1
    test_scores = {metric: live + better * margin * SETTINGS.max_metric_drop}
    result = drift.live_scores(outputs, truth, classes, test_scores, metric, SETTINGS)
    assert result["degraded"] == (margin > 1)
