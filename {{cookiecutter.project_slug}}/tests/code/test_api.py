"""Unit tests of the HTTP API's types and the contract they export."""

from __future__ import annotations

import pydantic
import pytest

from {{ cookiecutter.package_name }} import task
from {{ cookiecutter.package_name }}.api import api_schema, batch_type, row_type

FEATURES = ["mean radius", "age"]


def test_schema_requires_every_feature_and_nothing_else():
    """A row's schema lists each feature as a required number or null (a missing value) and
    forbids other fields."""
    row = api_schema(FEATURES)["/predict"]["request"]["features"]
    assert sorted(row["required"]) == sorted(FEATURES)
    for spec in row["properties"].values():
        assert [option["type"] for option in spec["anyOf"]] == ["number", "null"]
    assert row["additionalProperties"] is False


def test_null_is_a_missing_value_and_stays_none():
    """A null feature passes validation as None, for the model's imputer."""
    adapter = pydantic.TypeAdapter(batch_type(row_type(FEATURES), 10))
    assert adapter.validate_python([{"mean radius": None, "age": 2.0}]) == [
        {"mean radius": None, "age": 2.0}
    ]


def test_batch_schema_carries_its_size_limits():
    """A batch holds 1 to max_batch_rows rows."""
    rows = api_schema(FEATURES, max_batch_rows=7)["/predict_batch"]["request"]["rows"]
    assert (rows["minItems"], rows["maxItems"]) == (1, 7)


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"mean radius": 1.0}, "age"),
        ({"mean radius": 1.0, "age": 2.0, "colour": 3.0}, "colour"),
        ({"mean radius": 1.0, "age": float("nan")}, "age"),
        ({"mean radius": 1.0, "age": "2"}, "age"),
    ],
    ids=["missing", "extra", "not-finite", "string"],
)
def test_row_type_names_the_wrong_field(row, field):
    """A wrong row is rejected with the offending field in the error location."""
    adapter = pydantic.TypeAdapter(batch_type(row_type(FEATURES), 10))
    with pytest.raises(pydantic.ValidationError) as error:
        adapter.validate_python([row])
    assert field in {str(part) for item in error.value.errors() for part in item["loc"]}


def test_answer_schema_is_the_tasks_prediction():
    """Single and batch answers are described by the task's `Prediction`."""
    schema = api_schema(FEATURES)
    assert schema["/predict"]["response"] == task.Prediction.model_json_schema()
    items = schema["/predict_batch"]["response"]["properties"]["predictions"]["items"]
    assert items == {"$ref": "#/$defs/Prediction"}
