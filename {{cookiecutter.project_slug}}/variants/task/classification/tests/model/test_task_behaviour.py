"""Model tests of a classifier's minimum functionality."""

from __future__ import annotations

from {{ cookiecutter.package_name }} import task


def test_class_centroids_get_their_own_class(model, train_test, target: str):
    """The average example of each class is classified as that class."""
    centroids = train_test[0].groupby(target).mean(numeric_only=True)
    outputs = task.predict(model, centroids[model.feature_names_in_])
    assert list(task.predicted_labels(outputs, task.classes(model))) == list(centroids.index)
