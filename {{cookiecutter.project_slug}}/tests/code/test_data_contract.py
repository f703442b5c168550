"""Unit tests of the data contract."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.data_contract import DataContractError, feature_names, validate

ROWS = 30


def table(**overrides) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    columns = {
        "size": rng.normal(size=ROWS),
        "weight": rng.normal(size=ROWS),
        "label": np.arange(ROWS) % 2,  # a valid target for every task
    }
    columns.update(overrides)
    return pd.DataFrame(columns)


def test_valid_table_passes_with_float_features():
    """Integer features are accepted and coerced to float."""
    validated = validate(table(size=np.arange(ROWS)), "label")
    assert validated["size"].dtype == np.float64


def test_missing_feature_values_are_allowed():
    """Missing feature values pass: the model pipeline imputes them."""
    values = np.ones(ROWS)
    values[::3] = np.nan
    assert validate(table(size=values), "label")["size"].isna().sum() == len(values[::3])


def test_text_feature_is_named():
    """A non-numeric feature is reported by column name."""
    with pytest.raises(DataContractError, match="weight"):
        validate(table(weight=["heavy"] * ROWS), "label")


def test_text_feature_shows_its_first_bad_value_without_schema_jargon():
    """Numbers stored as text pass; the first value that is no number is quoted, with a count."""
    values = ["1.5"] * (ROWS - 2) + ["heavy", "n/a"]
    with pytest.raises(DataContractError) as raised:
        validate(table(weight=values), "label")
    message = str(raised.value)
    assert message.startswith("column 'weight' (a feature) is not numeric: 'heavy' is not a number")
    assert "(2 such values)" in message
    assert "(?!" not in message
    assert "float64" not in message


def test_infinite_feature_is_named():
    """An infinite feature value is reported with the failing check."""
    values = np.ones(ROWS)
    values[0] = np.inf
    with pytest.raises(DataContractError, match=r"size: finite"):
        validate(table(size=values), "label")


def test_missing_target_value_is_rejected():
    """A row without a target fails the contract."""
    labels = table()["label"].astype(float)
    labels.iloc[0] = np.nan
    with pytest.raises(DataContractError, match="label"):
        validate(table(label=labels), "label")


def test_missing_target_column_lists_the_columns():
    """A wrong target name shows which columns exist."""
    with pytest.raises(DataContractError, match="columns are: size, weight, label"):
        validate(table(), "price")


def test_too_few_rows_are_rejected():
    """A tiny table fails the row-count rule."""
    with pytest.raises(DataContractError, match="at least"):
        validate(table().head(5), "label")


def test_feature_names_exclude_the_target():
    """Features are every column but the target, in order."""
    assert feature_names(table(), "label") == ["size", "weight"]
