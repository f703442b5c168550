"""Model tests of a regressor's minimum functionality."""

from __future__ import annotations

from {{ cookiecutter.package_name }} import task


def test_high_target_centroid_is_predicted_above_the_low_one(model, train_test, target: str):
    """The average example of the top quarter of targets gets a higher prediction than the
    average example of the bottom quarter."""
    train = train_test[0]
    low, high = train[target].quantile([0.25, 0.75])
    features = list(model.feature_names_in_)
    masks = (train[target] <= low, train[target] >= high)
    centroids = [train.loc[mask, features].mean().to_frame().T for mask in masks]
    bottom, top = (float(task.predict(model, centroid)[0]) for centroid in centroids)
    assert top > bottom, f"top-quarter centroid {top:.3f} vs bottom-quarter {bottom:.3f}"
