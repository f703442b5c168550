"""Unit tests of the classification task: scores, plot data and the shape of answers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from {{ cookiecutter.package_name }} import task

CLASSES = np.array([0, 1])
PROBABILITIES = np.array([[0.9, 0.1], [0.2, 0.8], [0.1, 0.9], [0.7, 0.3]])


def test_perfect_predictions_score_perfectly():
    """Perfect labels and confident probabilities give accuracy 1 and ROC AUC 1."""
    y = np.array([0, 1, 1, 0])
    result = task.scores(y, PROBABILITIES, CLASSES)
    assert (result["accuracy"], result["roc_auc"]) == (1.0, 1.0)


def test_roc_rows_run_from_origin_to_corner():
    """ROC points start at (0, 0) and end at (1, 1)."""
    probabilities = np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.1, 0.9]])
    rows = task.roc_rows(np.array([0, 1, 0, 1]), probabilities, CLASSES)
    assert (rows[0]["fpr"], rows[0]["tpr"], rows[-1]["fpr"], rows[-1]["tpr"]) == (0, 0, 1, 1)


def test_confusion_rows_count_each_cell():
    """One row per (actual, predicted) pair of classes with its count, labels as text: the
    matrix, however many rows were scored."""
    assert task.confusion_rows([0, 1, 1], [1, 1, 1], CLASSES) == [
        {"actual": "0", "predicted": "0", "count": 0},
        {"actual": "0", "predicted": "1", "count": 1},
        {"actual": "1", "predicted": "0", "count": 0},
        {"actual": "1", "predicted": "1", "count": 2},
    ]


def test_roc_rows_are_thinned_to_a_bounded_curve():
    """A large test set's curve keeps at most MAX_CURVE_POINTS points, ends included."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 20_000)
    positive = np.clip(y * 0.3 + rng.random(20_000) * 0.7, 0, 1)
    rows = task.roc_rows(y, np.column_stack([1 - positive, positive]), CLASSES)
    assert len(rows) <= task.MAX_CURVE_POINTS
    assert (rows[0]["fpr"], rows[0]["tpr"], rows[-1]["fpr"], rows[-1]["tpr"]) == (0, 0, 1, 1)


def test_answer_is_the_most_probable_class_with_every_probability():
    """Each record's label is the class with the highest probability; the first wins a tie."""
    outputs = np.array([[0.2, 0.8], [0.5, 0.5]])
    assert task.records(outputs, np.array(["benign", "malignant"])) == [
        {"label": "malignant", "probabilities": {"benign": 0.2, "malignant": 0.8}},
        {"label": "benign", "probabilities": {"benign": 0.5, "malignant": 0.5}},
    ]


def test_numeric_labels_stay_numbers_in_answers():
    """Integer classes are answered as integers, their probabilities keyed by their text."""
    (answer,) = task.records(np.array([[0.3, 0.7]]), CLASSES)
    assert answer["label"] == 1
    assert type(answer["label"]) is int
    assert task.answer_values(answer) == [0.3, 0.7]


def test_arrow_columns_are_named_after_the_classes():
    """The columnar answer holds one probability column per class."""
    columns = task.columns(PROBABILITIES, CLASSES)
    assert list(columns) == ["0", "1"]
    np.testing.assert_array_equal(columns["1"], PROBABILITIES[:, 1])


def test_disagreement_counts_flipped_labels():
    """Only rows whose most probable class changed count, as a share of all rows."""
    nudged = np.array([[0.6, 0.4], [0.2, 0.8], [0.1, 0.9], [0.7, 0.3]])
    assert task.disagreement(PROBABILITIES, nudged, None) == 0.0
    flipped = PROBABILITIES.copy()
    flipped[:2] = flipped[:2, ::-1]
    assert task.disagreement(PROBABILITIES, flipped, None) == 0.5


def test_rare_classes_are_not_stratified():
    """A class with a single row cannot be split in two: the split is then random."""
    assert task.stratify(pd.Series([0, 0, 1, 1, 2])) is None
    assert task.stratify(pd.Series([0, 0, 1, 1])) is not None
