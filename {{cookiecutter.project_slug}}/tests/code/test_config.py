"""Unit tests of the typed parameters: typos and impossible values fail with the key's name."""

from __future__ import annotations

import copy
from typing import get_args

import pytest
import yaml

from {{ cookiecutter.package_name }} import task
from {{ cookiecutter.package_name }}.config import (
    ParamsError,
    check_directional,
    load_params,
    parse_params,
)
from tests.helpers import PROJECT_ROOT

RAW = yaml.safe_load((PROJECT_ROOT / "params.yaml").read_text(encoding="utf-8"))


def with_change(section: str, key: str, value) -> dict:
    raw = copy.deepcopy(RAW)
    raw[section][key] = value
    return raw


def test_shipped_params_are_valid():
    """The params.yaml the project ships parses into the typed config."""
    shipped = load_params(PROJECT_ROOT / "params.yaml")
    assert shipped.prepare.test_size == RAW["prepare"]["test_size"]


def test_misspelt_key_is_named():
    """An unknown key is reported with its full path."""
    with pytest.raises(ParamsError, match=r"prepare\.tset_size: Extra inputs are not permitted"):
        parse_params(with_change("prepare", "tset_size", 0.3))


def test_out_of_range_value_is_named():
    """A test share outside (0, 1) is reported with its key."""
    with pytest.raises(ParamsError, match=r"prepare\.test_size"):
        parse_params(with_change("prepare", "test_size", 1.5))


def test_unknown_estimator_is_named():
    """Only the estimators the project knows are accepted."""
    with pytest.raises(ParamsError, match=r"train\.estimator"):
        parse_params(with_change("train", "estimator", "deep_magic"))


def test_dataset_and_path_together_are_rejected():
    """The source is either a bundled dataset or a file, not both."""
    bundled = get_args(task.BundledDataset)[0]
    raw = with_change("ingest", "dataset", bundled)
    raw["ingest"]["path"] = "data/external/mine.csv"
    with pytest.raises(ParamsError, match="exactly one of"):
        parse_params(raw)


def test_directional_feature_missing_from_the_data_is_named_with_the_features():
    """A behaviour test on a column the data lacks fails in one line naming the key and the
    columns there are."""
    with pytest.raises(ParamsError) as error:
        check_directional({"age": "increase", "radius": "decrease"}, ["radius", "texture"])
    message = str(error.value)
    assert message.startswith("evaluate.directional.age: not a feature of the data")
    assert "features: radius, texture" in message
    assert "\n" not in message


def test_no_directional_tests_fit_any_data():
    """`directional: {}` is valid for every dataset."""
    check_directional({}, ["anything"])


def test_file_source_must_be_csv_or_parquet():
    """A file source with another extension is rejected."""
    raw = with_change("ingest", "dataset", None)
    raw["ingest"]["path"] = "data/external/mine.xlsx"
    with pytest.raises(ParamsError, match=r"\.csv, \.parquet"):
        parse_params(raw)


def test_missing_params_file_says_where_to_run(tmp_path):
    """Running outside the project root explains itself."""
    with pytest.raises(ParamsError, match="run from the project root"):
        load_params(tmp_path / "params.yaml")


def test_misspelt_monitor_key_is_named():
    """A typo in `monitor:` fails naming the key."""
    with pytest.raises(ParamsError, match=r"monitor\.window_row: Extra inputs are not permitted"):
        parse_params(with_change("monitor", "window_row", 10))


def test_sustained_beyond_the_windows_is_rejected():
    """k of n needs k <= n."""
    raw = with_change("monitor", "windows", 2)
    raw["monitor"]["sustained"] = 3
    with pytest.raises(ParamsError, match=r"monitor: .*at most 2"):
        parse_params(raw)


@pytest.mark.parametrize(("key", "value"), [("alpha", 1.5), ("alpha", 0), ("window_rows", 0),
                                            ("days", -1), ("max_metric_drop", -0.1)])  # fmt: skip
def test_impossible_monitor_values_are_named(key: str, value):
    """Sizes are positive, alpha lies in (0, 1), a drop is not negative."""
    with pytest.raises(ParamsError, match=rf"monitor\.{key}"):
        parse_params(with_change("monitor", key, value))
