"""Unit tests of the HTTP API's types, limits and the OpenAPI description they export."""

from __future__ import annotations

import json

import pandas as pd
import pydantic
import pytest

from {{ cookiecutter.package_name }} import task
from {{ cookiecutter.package_name }}.api import (
    MAX_PROBLEMS,
    REQUEST_ID_HEADER,
    ErrorAnswer,
    batch_request,
    batch_type,
    capped,
    default_body_limits,
    described_features,
    feature_bounds,
    feedback_request,
    magnitude_bound,
    openapi,
    predict_request,
    row_type,
)

BOUNDS = {"mean radius": 1e5, "age": 1e3}
FEATURES = list(BOUNDS)
ROW = {"mean radius": 1.0, "age": 2.0}
CLASSES = ["no", "yes"]  # a classifier's; a regression's `actual_type` ignores them


def rejected_locations(adapter: pydantic.TypeAdapter, value) -> set[str]:
    with pytest.raises(pydantic.ValidationError) as error:
        adapter.validate_python(value)
    return {str(part) for item in error.value.errors() for part in item["loc"]}


def test_row_schema_requires_every_feature_within_its_bound_and_nothing_else():
    """A row's schema lists each feature as a required number within ±bound or null, and
    forbids other fields."""
    row = pydantic.TypeAdapter(row_type(BOUNDS)).json_schema()
    assert sorted(row["required"]) == sorted(FEATURES)
    for name, spec in row["properties"].items():
        number, null = spec["anyOf"]
        assert (number["type"], null["type"]) == ("number", "null")
        assert (number["minimum"], number["maximum"]) == (-BOUNDS[name], BOUNDS[name])
    assert row["additionalProperties"] is False


def test_null_is_a_missing_value_and_stays_none():
    """A null feature passes validation as None, for the model's imputer."""
    adapter = pydantic.TypeAdapter(batch_type(row_type(BOUNDS), 10))
    assert adapter.validate_python([{"mean radius": None, "age": 2.0}]) == [
        {"mean radius": None, "age": 2.0}
    ]


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"mean radius": 1.0}, "age"),
        ({**ROW, "colour": 3.0}, "colour"),
        ({**ROW, "age": float("nan")}, "age"),
        ({**ROW, "age": "2"}, "age"),
        ({**ROW, "age": 1e308}, "age"),
        ({**ROW, "mean radius": -1.5e5}, "mean radius"),
    ],
    ids=["missing", "extra", "not-finite", "string", "huge", "below-the-bound"],
)
def test_row_type_names_the_wrong_field(row, field):
    """A wrong row is rejected with the offending field in the error location."""
    adapter = pydantic.TypeAdapter(batch_type(row_type(BOUNDS), 10))
    assert field in rejected_locations(adapter, [row])


@pytest.mark.parametrize(
    "body",
    [{"features": ROW, "bogus": 1}, {"rows": [ROW], "bogus": 1}],
    ids=["single-row", "batch"],
)
def test_request_bodies_forbid_other_top_level_fields(body):
    """A top-level field besides `features` / `rows` is rejected, named."""
    row = row_type(BOUNDS)
    model = predict_request(row) if "features" in body else batch_request(row, 10)
    assert "bogus" in rejected_locations(pydantic.TypeAdapter(model), body)


@pytest.mark.parametrize(
    ("largest", "bound"),
    [(0.0, 1e3), (0.05, 1e3), (1.0, 1e3), (2501.0, 1e7), (1e6, 1e9), (float("nan"), 1e3)],
    ids=["zero", "small", "one", "thousands", "million", "all-missing"],
)
def test_bound_is_a_thousand_times_the_largest_magnitude_rounded_up(largest, bound):
    """A feature's bound: 1000x its largest training magnitude (at least 1), up to a power of 10."""
    assert magnitude_bound(largest) == bound


def test_bounds_never_reach_the_float_limit():
    """Even a feature trained on huge values keeps a bound with room before overflow."""
    assert magnitude_bound(1e307) <= 1e300


def test_bounds_follow_the_training_columns_in_order():
    """`feature_bounds` reads each column's largest magnitude, negative values included."""
    X = pd.DataFrame({"b": [-5000.0, 2.0], "a": [None, 0.5]})
    assert feature_bounds(X) == {"b": 1e7, "a": 1e3}


def test_batch_body_limit_fits_the_largest_allowed_batch():
    """The largest allowed batch, every value at full precision and pretty-printed, fits."""
    rows = 50
    body = {"rows": [{name: -1.2345678901234567e-300 for name in FEATURES}] * rows}
    limit = default_body_limits(FEATURES, rows, 10)["/predict_batch"]
    assert len(json.dumps(body, indent=2).encode()) <= limit


def test_error_answers_list_at_most_max_problems_and_count_all():
    """An error answer lists the first MAX_PROBLEMS problems and says how many there were."""
    problem = {"loc": ["features", "bogus"], "type": "extra_forbidden", "msg": "x"}
    problems = [problem] * 500
    answer = capped("500 validation errors", problems)
    assert len(answer["detail"]) == MAX_PROBLEMS
    assert "500" in answer["error"]
    ErrorAnswer.model_validate(answer)


def test_description_covers_every_endpoint_the_service_answers():
    """The OpenAPI description has every prediction endpoint, model info and the probes."""
    paths = openapi("model", BOUNDS, CLASSES)["paths"]
    assert set(paths) == {
        "/predict", "/predict_batch", "/model_info", "/arrow/predict_batch", "/feedback",
        "/livez", "/healthz", "/readyz", "/metrics",
    }  # fmt: skip


@pytest.mark.parametrize("path", ["/predict", "/predict_batch", "/arrow/predict_batch"])
def test_prediction_bodies_are_required_and_refusals_documented(path):
    """A prediction request must carry a body; 400, 413 and 415 answers are described."""
    operation = openapi("model", BOUNDS, CLASSES)["paths"][path]["post"]
    assert operation["requestBody"]["required"] is True
    assert {"200", "400", "413", "415"} <= set(operation["responses"])


def test_answers_are_described_by_the_tasks_prediction():
    """Single and batch answers refer to the task's `Prediction`, whose label type is exact."""
    document = openapi("model", BOUNDS, CLASSES)
    schemas = document["components"]["schemas"]
    prediction = task.Prediction.model_json_schema()
    assert schemas["Prediction"]["properties"] == prediction["properties"]
    items = schemas["BatchPrediction"]["properties"]["predictions"]["items"]
    assert items == {"$ref": "#/components/schemas/Prediction"}


def test_batch_request_carries_its_size_limits():
    """A batch holds 1 to max_batch_rows rows."""
    schemas = openapi("model", BOUNDS, CLASSES, max_batch_rows=7)["components"]["schemas"]
    request = schemas["BatchRequest"]
    rows = request["properties"]["rows"]
    assert (rows["minItems"], rows["maxItems"]) == (1, 7)


def test_described_features_are_the_rows_in_order():
    """The features can be read back from a description (the model card does)."""
    assert described_features(openapi("model", BOUNDS, CLASSES)) == FEATURES


def test_every_operation_takes_a_request_id_and_every_answer_returns_one():
    """Each operation documents the optional X-Request-ID header and each answer carries it."""
    for path, operations in openapi("model", BOUNDS, CLASSES)["paths"].items():
        for operation in operations.values():
            assert [p["name"] for p in operation["parameters"]] == [REQUEST_ID_HEADER], path
            for status, answer in operation["responses"].items():
                assert answer["headers"][REQUEST_ID_HEADER]["required"] is True, (path, status)


def actual_errors(adapter: pydantic.TypeAdapter, value) -> bool:
    try:
        adapter.validate_python(value)
    except pydantic.ValidationError:
        return True
    return False


def test_feedback_takes_a_request_id_a_row_and_the_tasks_actual():
    """/feedback's body: a request id, a row (default 0) and an actual of the task's type."""
    actual = pydantic.TypeAdapter(task.actual_type(CLASSES))
    good = next(value for value in [*CLASSES, 1.5] if not actual_errors(actual, value))
    body = pydantic.TypeAdapter(feedback_request(task.actual_type(CLASSES))).validate_python(
        {"request_id": "abc-1", "actual": good}
    )
    assert (body.request_id, body.row, body.actual) == ("abc-1", 0, good)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"request_id": "a b", "actual": 0}, "request_id"),
        ({"request_id": "a", "row": -1, "actual": 0}, "row"),
        ({"request_id": "a", "actual": "not a class"}, "actual"),
        ({"request_id": "a", "actual": 0, "extra": 1}, "extra"),
        ({"actual": 0}, "request_id"),
    ],
)
def test_bad_feedback_is_refused_naming_the_field(body, field):
    """A malformed feedback body fails validation at the offending field."""
    adapter = pydantic.TypeAdapter(feedback_request(task.actual_type(CLASSES)))
    assert field in rejected_locations(adapter, body)
