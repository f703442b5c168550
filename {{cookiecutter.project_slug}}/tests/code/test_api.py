"""Unit tests of the HTTP API's types and the contract they export."""

from __future__ import annotations

import json

import pydantic
import pytest

from {{ cookiecutter.package_name }}.api import api_schema, batch_type, row_type
from {{ cookiecutter.package_name }}.data_io import TRAIN_DATA, write_table
from {{ cookiecutter.package_name }}.stages import API_SCHEMA_FILE, contract

FEATURES = ["mean radius", "age"]


def test_schema_requires_every_feature_and_nothing_else():
    """A row's schema lists each feature as a required number and forbids other fields."""
    row = api_schema(FEATURES)["/predict"]["request"]["features"]
    assert sorted(row["required"]) == sorted(FEATURES)
    assert {spec["type"] for spec in row["properties"].values()} == {"number"}
    assert row["additionalProperties"] is False


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


def test_contract_stage_writes_the_schema_of_the_training_features(
    tmp_path, monkeypatch, train_test, target
):
    """`contract` exports the schema for exactly the training table's features."""
    monkeypatch.chdir(tmp_path)
    write_table(train_test[0], TRAIN_DATA)
    contract.run(target)
    written = json.loads(API_SCHEMA_FILE.read_text(encoding="utf-8"))
    features = [column for column in train_test[0].columns if column != target]
    assert written == json.loads(json.dumps(api_schema(features)))
