"""API contract, in-process: every endpoint, and every way a request can be wrong."""

from __future__ import annotations

import json

import numpy as np
import pytest

from {{ cookiecutter.package_name }} import task
from {{ cookiecutter.package_name }}.vocabulary import CHAMPION
from tests.helpers import SERVICE_MODEL, arrow_stream, frame, json_rows


def expected(model, rows: list[dict[str, float | None]]) -> list[dict]:
    """The task's answers for the model's own outputs on these rows."""
    return task.records(task.predict(model, frame(rows)), task.classes(model))


def test_predict_matches_the_model(client, model, example_row):
    """A single prediction is the task's answer for the model's own output on the same row."""
    response = client.post("/predict", json={"features": example_row})
    assert response.status_code == 200, response.text
    assert response.json() == expected(model, [example_row])[0]


def test_predict_batch_matches_the_model_row_by_row(client, model, holdout):
    """A batch gets one prediction per row, in order, equal to the model's."""
    rows = json_rows(holdout[0].head(25))
    response = client.post("/predict_batch", json={"rows": rows})
    assert response.status_code == 200, response.text
    assert response.json()["predictions"] == expected(model, rows)


def test_model_info_names_version_alias_and_features(client, holdout):
    """Model info says which registry version is served and what it expects."""
    info = client.post("/model_info", json={}).json()
    assert (info["name"], info["version"], info["alias"]) == (SERVICE_MODEL, "1", CHAMPION)
    assert info["features"] == list(holdout[0].columns)
    assert info["run_id"]


def test_readiness_runs_the_model(client, service, monkeypatch):
    """/readyz is 200 while the model answers and 503 when it cannot score the example."""
    assert client.get("/readyz").status_code == 200
    broken = lambda self, X: np.array([np.nan])  # noqa: E731
    monkeypatch.setattr(service.ModelService.inner, "predict_values", broken)
    assert client.get("/readyz").status_code == 503


def with_value(row: dict, feature: str, value) -> dict:
    return {**row, feature: value}


def without(row: dict, feature: str) -> dict:
    return {k: v for k, v in row.items() if k != feature}


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("string-for-number", "features.{first}"),
        ("boolean-for-number", "features.{first}"),
        ("missing-field", "features.{first}"),
        ("extra-field", "features.surprise"),
        ("no-features-object", "features"),
    ],
)
def test_bad_single_row_is_400_naming_the_field(client, example_row, case, field):
    """Each malformed row is rejected with 400 and the offending field's location."""
    first = next(iter(example_row))
    body = {
        "string-for-number": {"features": with_value(example_row, first, "1.5")},
        "boolean-for-number": {"features": with_value(example_row, first, True)},
        "missing-field": {"features": without(example_row, first)},
        "extra-field": {"features": with_value(example_row, "surprise", 1.0)},
        "no-features-object": {},
    }[case]
    response = client.post("/predict", json=body)
    assert response.status_code == 400, response.text
    locations = {".".join(map(str, d["loc"])) for d in response.json()["detail"]}
    assert field.format(first=first) in locations


def test_null_feature_is_a_missing_value_the_model_imputes(client, model, example_row):
    """`null` is a missing value: accepted, imputed by the model, answered with finite numbers."""
    row = with_value(example_row, next(iter(example_row)), None)
    response = client.post("/predict", json={"features": row})
    assert response.status_code == 200, response.text
    assert response.json() == expected(model, [row])[0]
    assert np.isfinite(task.answer_values(response.json())).all()


def test_published_description_is_the_apis_for_the_served_model(client, service, holdout, model):
    """/docs.json is `api.openapi` for the model's features and the bounds logged with it: the
    document the `api_schema` stage writes to api_schema.json for the same training data."""
    from {{ cookiecutter.package_name }}.api import feature_bounds, openapi

    assert client.get("/docs.json").json() == openapi(
        service.MODEL_NAME, feature_bounds(holdout[0]), task.classes(model)
    )


def test_published_description_marks_every_feature_nullable(client, service):
    """The served description says every feature is required and may be null."""
    published = client.get("/docs.json").json()["components"]["schemas"]["Row"]
    assert published["required"] == service.FEATURES
    for name in service.FEATURES:
        assert {"type": "null"} in published["properties"][name]["anyOf"], name


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_number_is_400_naming_the_field(client, example_row, literal):
    """NaN and infinities (which Python's JSON accepts) are refused, naming the field."""
    first = next(iter(example_row))
    key = json.dumps(first) + ": "
    body = json.dumps({"features": example_row}).replace(
        key + json.dumps(example_row[first]), key + literal
    )
    response = client.post("/predict", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert any(d["loc"] == ["features", first] for d in response.json()["detail"])


def test_non_json_body_is_400(client):
    """A body that is not JSON gets a 400, not a server error."""
    response = client.post(
        "/predict", content=b"mean radius=1", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["detail"][0]["type"] == "json_invalid"


def test_empty_batch_is_400(client):
    """A batch needs at least one row."""
    response = client.post("/predict_batch", json={"rows": []})
    assert response.status_code == 400
    assert response.json()["detail"][0]["loc"] == ["rows"]


def test_oversized_batch_is_400_with_the_limit(client, service, example_row):
    """More rows than MAX_BATCH_ROWS is refused, saying the limit."""
    rows = [example_row] * (service.MAX_BATCH_ROWS + 1)
    response = client.post("/predict_batch", json={"rows": rows})
    assert response.status_code == 400
    detail = response.json()["detail"][0]
    assert (detail["loc"], detail["type"]) == (["rows"], "too_long")
    assert str(service.MAX_BATCH_ROWS) in detail["msg"]


def test_bad_row_in_a_batch_is_named_by_index(client, example_row):
    """In a batch, the error names the row index and the field."""
    first = next(iter(example_row))
    rows = [example_row, with_value(example_row, first, "oops")]
    response = client.post("/predict_batch", json={"rows": rows})
    assert response.status_code == 400
    assert ["rows", 1, first] in [d["loc"] for d in response.json()["detail"]]


def post_arrow(client, body: bytes):
    headers = {"content-type": "application/vnd.apache.arrow.stream"}
    return client.post("/arrow/predict_batch", content=body, headers=headers)


def test_arrow_batch_matches_the_model(client, model, holdout):
    """A columnar (Arrow IPC) batch gets the model's predictions back as Arrow columns."""
    import pyarrow as pa

    rows = holdout[0].head(40)
    response = post_arrow(client, arrow_stream(pa.Table.from_pandas(rows, preserve_index=False)))
    assert response.status_code == 200, response.text
    got = pa.ipc.open_stream(response.content).read_all()
    outputs = task.predict(model, rows)
    want = task.columns(outputs, task.classes(model))
    assert got.column_names == list(want)
    for name, values in want.items():
        np.testing.assert_array_equal(got.column(name).to_numpy(), values)


def test_arrow_nulls_are_missing_values_the_model_imputes(client, model, holdout):
    """Null cells of a columnar batch are imputed like JSON nulls; the answer stays finite."""
    import pyarrow as pa

    rows = holdout[0].head(5).copy()
    first = rows.columns[0]
    rows[first] = np.nan  # pandas' NaN becomes an Arrow null
    table = pa.Table.from_pandas(rows, preserve_index=False)
    assert table.column(first).null_count == len(rows)
    response = post_arrow(client, arrow_stream(table))
    assert response.status_code == 200, response.text
    got = pa.ipc.open_stream(response.content).read_all()
    want = task.columns(task.predict(model, rows), task.classes(model))
    for name, values in want.items():
        np.testing.assert_array_equal(got.column(name).to_numpy(), values)


@pytest.mark.parametrize("problem", ["missing-column", "text-column", "nan-value", "extra-column"])
def test_bad_arrow_batch_is_400_naming_the_column(client, holdout, problem):
    """A columnar batch with a missing, non-numeric, non-finite or extra column is a 400."""
    import pyarrow as pa

    rows = holdout[0].head(5).copy()
    first = rows.columns[0]
    if problem == "missing-column":
        rows = rows.drop(columns=first)
    elif problem == "text-column":
        rows[first] = "text"
    elif problem == "extra-column":
        rows["surprise"], first = 1.0, "surprise"
    table = pa.Table.from_pandas(rows.fillna(0.0), preserve_index=False)
    if problem == "nan-value":  # a NaN value, not a null: not a number the model can use
        values = pa.array([np.nan, *[0.0] * (len(rows) - 1)], from_pandas=False)
        table = table.set_column(0, first, values)
    response = post_arrow(client, arrow_stream(table))
    assert response.status_code == 400
    assert ["body", first] in [d["loc"] for d in response.json()["detail"]]


def test_non_arrow_body_is_400(client):
    """A body that is not an Arrow stream gets a 400, not a server error."""
    response = post_arrow(client, b"not arrow")
    assert response.status_code == 400
    assert response.json()["detail"][0]["type"] == "arrow_invalid"


def test_bulk_histogram_observation_equals_one_observation_per_value(service):
    """`observe_all` (a batch's predicted values at once) leaves the histogram exactly as one
    `observe` per value would."""
    from prometheus_client import CollectorRegistry, Histogram

    registry = CollectorRegistry()
    one, bulk = (
        Histogram(name, name, buckets=service.VALUE_BUCKETS, registry=registry)
        for name in ("one", "bulk")
    )
    values = np.array([-3e9, -1.0, 0.0, 0.001, 0.0015, 1.0, 7.5, 199.9, 200.0, 1e12])
    for value in values:
        one.observe(value)
    service.observe_all(bulk, values)

    def samples(name: str) -> list:
        return [
            (sample.name.removeprefix(name), sample.labels, sample.value)
            for family in registry.collect() if family.name == name
            for sample in family.samples if not sample.name.endswith("_created")
        ]  # fmt: skip

    assert samples("one") == samples("bulk")
