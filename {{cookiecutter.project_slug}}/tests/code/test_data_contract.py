"""Unit tests of the data contract."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest
from pandera.errors import SchemaError

from {{ cookiecutter.package_name }} import feature_matrix
from {{ cookiecutter.package_name }}.data_contract import (
    DataContractError,
    feature_column,
    feature_names,
    validate,
)

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


@pytest.mark.parametrize(
    ("value", "passes"),
    [(np.nan, True), (-2.0, True), (2.0, True), (np.inf, False), (-np.inf, False), (2.5, False)],
)
def test_training_schema_and_batch_check_apply_the_same_rules(value: float, passes: bool):
    """A feature value passes the training table's schema exactly when it passes a scored
    batch's matrix check: missing passes, an infinity or a value beyond the bound does not."""
    frame = pd.DataFrame({"size": [0.0, value]})
    schema = pa.DataFrameSchema({"size": feature_column("size", bound=2.0)})
    try:
        schema.validate(frame)
        schema_passes = True
    except SchemaError:
        schema_passes = False
    try:
        feature_matrix.checked(np.asfortranarray(frame.to_numpy(dtype=float)), {"size": 2.0})
        matrix_passes = True
    except DataContractError:
        matrix_passes = False
    assert (schema_passes, matrix_passes) == (passes, passes)


def test_batch_check_names_the_row_in_the_whole_input_the_column_and_the_rule():
    """Rows are numbered from the chunk's first row; the bound is quoted."""
    values = np.asfortranarray([[0.0, 1.0], [0.0, np.inf], [9.0, 1.0]])
    bounds = {"size": 5.0, "weight": None}
    with pytest.raises(DataContractError, match=r"^row 101, column 'weight': inf is not finite"):
        feature_matrix.checked(values, bounds, first_row=100)
    with pytest.raises(DataContractError, match=r"^row 2, column 'size': 9.0 is not within ±5"):
        feature_matrix.checked(values[[0, 2]], bounds, first_row=1)


def test_batch_check_returns_the_matrix_itself():
    """A valid matrix is returned as it is, no copy (missing values included)."""
    values = np.asfortranarray([[0.0, np.nan], [1.0, 2.0]])
    assert feature_matrix.checked(values, {"size": 1.0, "weight": None}) is values
