"""Drift and live-performance decisions: pure functions of tables and `monitor:` params.

A window is `window_rows` logged rows of the reference's model, newest window first. Each window
tests every monitored feature (two-sample Kolmogorov-Smirnov against the training rows) and the
prediction (classification: chi-square on predicted-class counts, regression: KS on predicted
values, both against the model's test-set outputs). A window drifts when the prediction's p-value
is below alpha / 2 or a feature's below alpha / 2 / (features tested): a weighted Bonferroni rule
keeps the false-alarm rate per window at most alpha, and gives half of it to the prediction, the
column that sums up what the model makes of every feature (on the diabetes data, plain
Bonferroni over 11 columns both alarms on the held-out rows and misses a shift of the target).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from .. import task
from ..config import MonitorParams
from ..errors import PipelineError
from .reference import OUTPUT_PREFIX, Reference

Verdict = Literal["no_drift", "drift", "not_enough_data"]
NO_DRIFT: Verdict = "no_drift"
DRIFT: Verdict = "drift"
NOT_ENOUGH_DATA: Verdict = "not_enough_data"
KS, CHI2 = "ks", "chi2"
PREDICTION = "(prediction)"  # its name among the drifting columns (no feature's name has ())
# The share of alpha spent on the prediction's test; the features share the rest.
PREDICTION_SHARE = 0.5


def monitored_features(reference: Reference, chosen: Sequence[str] | None) -> list[str]:
    """The features to test: `monitor.features`, every one of them named in the reference."""
    if chosen is None:
        return reference.features
    unknown = [name for name in chosen if name not in reference.features]
    if unknown:
        raise PipelineError(
            f"monitor.features: {', '.join(map(repr, unknown))} not a feature of the reference "
            f"(features: {', '.join(reference.features)}); name some of them, or null for all"
        )
    return list(chosen)


def window_positions(
    timestamps: np.ndarray, served: np.ndarray, window_rows: int, windows: int
) -> list[np.ndarray]:
    """Row positions of each window, newest window (and row) first.

    `served` marks the rows the reference's model answered. The newest `windows * window_rows`
    of them are cut into windows of `window_rows`; an incomplete oldest window is dropped.
    """
    candidates = np.flatnonzero(served)
    # Newest first; equal timestamps keep the log's order (stable sort, reversed).
    order = candidates[np.argsort(timestamps[candidates], kind="stable")[::-1]]
    newest = order[: window_rows * windows]
    return [
        newest[i * window_rows : (i + 1) * window_rows] for i in range(len(newest) // window_rows)
    ]


def _finite(values: Any) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    return array[~np.isnan(array)]


def ks_test(reference: Any, window: Any) -> dict[str, Any]:
    """Two-sample KS of the non-missing values; no p-value when either side has none."""
    expected, observed = _finite(reference), _finite(window)
    if not len(expected) or not len(observed):
        return {"test": KS, "statistic": None, "p_value": None}
    result = stats.ks_2samp(expected, observed)
    return {"test": KS, "statistic": float(result.statistic), "p_value": float(result.pvalue)}


def chi2_test(reference: Any, window: Any) -> dict[str, Any]:
    """Chi-square on the class counts of both sides (a class neither side has is left out);
    a single class on both sides leaves nothing to compare: p = 1."""
    expected, observed = pd.Series(np.asarray(reference)), pd.Series(np.asarray(window))
    labels = sorted(set(expected.tolist()) | set(observed.tolist()), key=str)
    counts = np.array([
        [int((side == label).sum()) for label in labels] for side in (expected, observed)
    ])  # fmt: skip
    shares = {str(label): float(count) / max(len(observed), 1)
              for label, count in zip(labels, counts[1], strict=True)}  # fmt: skip
    if len(labels) < 2 or not len(observed) or not len(expected):
        return {"test": CHI2, "statistic": 0.0, "p_value": 1.0, "shares": shares}
    result = stats.chi2_contingency(counts)
    return {"test": CHI2, "statistic": float(result.statistic), "p_value": float(result.pvalue),
            "shares": shares}  # fmt: skip


def outputs_of(frame: pd.DataFrame, names: Sequence[str]) -> np.ndarray:
    """The outputs of logged rows (`output.<name>` columns) as the model produced them."""
    return task.outputs_of({name: frame[f"{OUTPUT_PREFIX}{name}"].to_numpy() for name in names})


def reference_prediction(reference: Reference) -> np.ndarray:
    return task.monitored_prediction(task.outputs_of(reference.outputs), reference.classes)


def threshold(alpha: float, features: Sequence[str]) -> float:
    """The p-value below which one feature drifts: the features' share of alpha, divided among
    them (Bonferroni)."""
    return alpha * (1 - PREDICTION_SHARE) / len(features)


def prediction_threshold(alpha: float) -> float:
    """The p-value below which the prediction drifts."""
    return alpha * PREDICTION_SHARE


def assess_window(
    reference: Reference,
    window: pd.DataFrame,
    features: Sequence[str],
    alpha: float,
    expected_prediction: np.ndarray | None = None,
) -> dict[str, Any]:
    """One window's tests: per feature (KS, missing and out-of-range shares) and the
    prediction; `drifted` lists the columns below the Bonferroni threshold."""
    limits = {name: threshold(alpha, features) for name in features}
    limits[PREDICTION] = prediction_threshold(alpha)
    columns: dict[str, dict[str, Any]] = {}
    for name in features:
        values = window[name].to_numpy(dtype=float)
        train = reference.train[name].to_numpy(dtype=float)
        low, high = np.nanmin(train), np.nanmax(train)
        present = ~np.isnan(values)
        columns[name] = {
            **ks_test(train, values),
            "missing_share": float(1 - present.mean()) if len(values) else 0.0,
            "out_of_range_share": float(((values[present] < low) | (values[present] > high)).sum()
                                        / max(len(values), 1)),
        }  # fmt: skip
    if expected_prediction is None:
        expected_prediction = reference_prediction(reference)
    served = task.monitored_prediction(
        outputs_of(window, list(reference.outputs)), reference.classes
    )
    test = chi2_test if task.CATEGORICAL_PREDICTION else ks_test
    prediction = test(expected_prediction, served)
    everything = {**columns, PREDICTION: prediction}
    drifted = [
        name for name, result in everything.items()
        if result["p_value"] is not None and result["p_value"] < limits[name]
    ]  # fmt: skip
    return {
        "rows": len(window),
        "drifted": bool(drifted),
        "drifted_columns": drifted,
        "features": columns,
        "prediction": prediction,
    }


def metric_drop(metric: str, live: float, test: float) -> float:
    """How much worse the live score is than the test-set one (negative: better)."""
    return live - test if metric in task.LOWER_IS_BETTER else test - live


def live_scores(
    outputs: np.ndarray,
    truth: Any,
    classes: np.ndarray | None,
    test_scores: Mapping[str, float],
    metric: str,
    params: MonitorParams,
) -> dict[str, Any]:
    """Scores of the labelled rows (`task.scores`, as evaluate computes them) against the
    test set's; `degraded` needs at least `window_rows` labelled rows."""
    rows = len(outputs)
    result: dict[str, Any] = {
        "rows": rows, "metric": metric, "test_scores": dict(test_scores),
        "scores": None, "drop": None, "degraded": False, "note": "",
    }  # fmt: skip
    if not rows:
        result["note"] = "no feedback or labels joined the logged rows"
        return result
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # sklearn's warnings on tiny or one-class samples
            scores = task.scores(task.truth_values(truth, classes), outputs, classes)
    except ValueError as error:  # e.g. ROC AUC of rows that all have one class
        result["note"] = f"scores not computable on these rows: {error}"
        return result
    result["scores"] = {name: value for name, value in scores.items() if math.isfinite(value)}
    if metric in result["scores"] and metric in test_scores:
        result["drop"] = metric_drop(metric, result["scores"][metric], test_scores[metric])
        if rows >= params.window_rows:
            result["degraded"] = result["drop"] > params.max_metric_drop
        else:
            result["note"] = (
                f"{rows} labelled rows; a degradation verdict needs {params.window_rows}"
            )
    return result


def verdict(windows: Sequence[Mapping[str, Any]], live: Mapping[str, Any] | None) -> Verdict:
    """not_enough_data without a full window; drift when the newest window drifts or the live
    score is degraded; else no_drift."""
    if not windows:
        return NOT_ENOUGH_DATA
    degraded = bool(live and live.get("degraded"))
    return DRIFT if windows[0]["drifted"] or degraded else NO_DRIFT


def sustained(windows: Sequence[Mapping[str, Any]], params: MonitorParams) -> bool:
    """k of n: at least `sustained` of the tested windows drift (time to retrain)."""
    return sum(bool(window["drifted"]) for window in windows) >= params.sustained


def summarize(
    reference: Reference,
    windows: Sequence[pd.DataFrame],
    params: MonitorParams,
    *,
    live: Mapping[str, Any] | None = None,
    rows: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The monitor's whole decision as plain values (summary.json)."""
    features = monitored_features(reference, params.features)
    expected = reference_prediction(reference)
    results = [
        {"index": i, **assess_window(reference, window, features, params.alpha, expected)}
        for i, window in enumerate(windows)
    ]
    decided = verdict(results, live)
    return {
        "verdict": decided,
        "sustained": decided != NOT_ENOUGH_DATA and sustained(results, params),
        "windows_drifted": sum(bool(window["drifted"]) for window in results),
        "windows": results,
        "threshold": threshold(params.alpha, features),
        "prediction_threshold": prediction_threshold(params.alpha),
        "features": features,
        "model_md5": reference.model_md5,
        "rows": dict(rows or {}),
        "live": None if live is None else dict(live),
        "params": params.model_dump(mode="json"),
    }
