"""Hostile requests, in-process: each is refused with a 4xx that says why, never a 5xx.

Content types and body sizes are refused before the body is read (415, 413); values beyond a
feature's bound, unknown fields and malformed Arrow streams are 400s naming the field; an error
answer lists a bounded number of problems, and is logged as one quiet line.
"""

from __future__ import annotations

import json
import logging

import pytest

from {{ cookiecutter.package_name }}.api import MAX_PROBLEMS
from tests.helpers import arrow_stream

JSON_ENDPOINTS = ["/predict", "/predict_batch", "/model_info"]
ARROW = "application/vnd.apache.arrow.stream"


def body_for(path: str, row: dict) -> dict:
    return {"/predict": {"features": row}, "/predict_batch": {"rows": [row]}}.get(path, {})


def locations(response) -> list[list]:
    return [d["loc"] for d in response.json()["detail"]]


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "multipart/form-data", "multipart/form-data; boundary=xx",
     "application/x-www-form-urlencoded", "application/xml", ARROW, None],
    ids=["text", "multipart-no-boundary", "multipart", "form", "xml", "arrow", "undeclared"],
)  # fmt: skip
def test_json_endpoint_refuses_other_content_types_with_415(
    client, example_row, path, content_type
):
    """A JSON endpoint answers 415 to a body declared as anything but application/json."""
    headers = {"content-type": content_type} if content_type else {}
    body = json.dumps(body_for(path, example_row) or {"x": 1}).encode()
    response = client.post(path, content=body, headers=headers)
    assert response.status_code == 415, response.text
    assert locations(response) == [["header", "content-type"]]


def test_json_with_a_charset_is_json(client, example_row):
    """Media type parameters (`; charset=utf-8`) do not change the type."""
    body = json.dumps({"features": example_row}).encode()
    headers = {"content-type": "application/json; charset=utf-8"}
    assert client.post("/predict", content=body, headers=headers).status_code == 200


def test_arrow_endpoint_refuses_json_with_415(client, example_row):
    """The columnar endpoint takes Arrow streams only."""
    response = client.post("/arrow/predict_batch", json={"rows": [example_row]})
    assert response.status_code == 415, response.text


@pytest.mark.parametrize("path", ["/predict", "/predict_batch", "/arrow/predict_batch"])
def test_body_over_the_limit_is_413_before_it_is_read(client, service, path):
    """A declared length beyond the endpoint's limit is refused with 413, saying the limit."""
    limit = service.BODY_LIMITS[path]
    kind = ARROW if path.startswith("/arrow/") else "application/json"
    response = client.post(path, content=b" " * (limit + 1), headers={"content-type": kind})
    assert response.status_code == 413, response.text
    assert str(limit) in response.json()["detail"][0]["msg"]


def test_chunked_body_over_the_limit_is_413(client, service):
    """A body without a declared length is cut off at the limit."""
    limit = service.BODY_LIMITS["/predict"]
    chunks = (b" " * 4096 for _ in range(limit // 4096 + 2))
    headers = {"content-type": "application/json"}
    response = client.post("/predict", content=chunks, headers=headers)
    assert response.status_code == 413, response.text


def test_chunked_body_within_the_limit_is_answered(client, example_row):
    """A chunked body under the limit is read and answered as usual."""
    body = json.dumps({"features": example_row}).encode()
    chunks = (body[i : i + 64] for i in range(0, len(body), 64))
    response = client.post("/predict", content=chunks, headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
def test_unknown_top_level_field_is_400_naming_it(client, example_row, path):
    """No field besides `features` / `rows` (none at all for model info) is accepted."""
    response = client.post(path, json={**body_for(path, example_row), "bogus": 1})
    assert response.status_code == 400, response.text
    assert ["bogus"] in locations(response)


@pytest.mark.parametrize("value", [1e308, -1.7e308, 1e200], ids=["max", "min", "far"])
def test_huge_value_is_400_naming_the_field(client, service, example_row, value):
    """A finite value beyond the feature's bound is a 400 naming it, not an overflow."""
    first = service.FEATURES[0]
    response = client.post("/predict", json={"features": {**example_row, first: value}})
    assert response.status_code == 400, response.text
    assert ["features", first] in locations(response)


def test_value_at_the_bound_is_answered(client, service, example_row):
    """Every feature at its bound at once is still a 200 with finite numbers."""
    row = {name: service.BOUNDS[name] for name in service.FEATURES}
    response = client.post("/predict", json={"features": row})
    assert response.status_code == 200, response.text


def test_every_feature_huge_lists_at_most_max_problems(client, service):
    """Thousands of wrong fields give a short answer: MAX_PROBLEMS problems and the count."""
    rows = [{name: 1.7e308 for name in service.FEATURES}] * 200
    response = client.post("/predict_batch", json={"rows": rows})
    assert response.status_code == 400, response.text
    answer = response.json()
    assert len(answer["detail"]) == MAX_PROBLEMS
    assert str(200 * len(service.FEATURES)) in answer["error"]


def test_many_extra_keys_give_a_small_answer(client, example_row):
    """A batch row with 10,000 unknown keys is answered in a few kilobytes."""
    row = {**example_row, **{f"k{i}": 0 for i in range(10_000)}}
    response = client.post("/predict_batch", json={"rows": [row]})
    assert response.status_code == 400, response.text
    assert len(response.content) < 8 * 1024


def test_rejected_request_is_logged_as_one_info_line(client, caplog):
    """A client error is logged at INFO without a traceback; the server log stays small."""
    with caplog.at_level(logging.INFO):
        client.post("/predict", json={"features": {}})
    records = [r for r in caplog.records if r.name == "bentoml._internal.server.http_app"]
    assert records, "the rejection was not logged"
    assert all(r.levelno == logging.INFO and r.exc_info is None for r in records)


def test_arrow_duplicate_column_is_400_naming_it(client, holdout):
    """An Arrow stream naming a column twice is a 400 naming the column, not a crash."""
    import pyarrow as pa

    rows = holdout[0].head(3).fillna(0.0)
    table = pa.Table.from_pandas(rows, preserve_index=False)
    first = table.column_names[0]
    table = table.append_column(first, table.column(0))
    response = client.post("/arrow/predict_batch", content=arrow_stream(table),
                           headers={"content-type": ARROW})  # fmt: skip
    assert response.status_code == 400, response.text
    assert ["body", first] in locations(response)


@pytest.mark.parametrize("value", [1e308, 2**62], ids=["float", "integer"])
def test_arrow_huge_value_is_400_naming_the_column(client, holdout, value):
    """The columnar endpoint holds values to the same bounds as the JSON ones."""
    import pyarrow as pa

    rows = holdout[0].head(3).fillna(0.0)
    table = pa.Table.from_pandas(rows, preserve_index=False)
    first = table.column_names[0]
    kind = pa.int64() if isinstance(value, int) else pa.float64()
    table = table.set_column(0, first, pa.array([value, 0, 0], type=kind))
    response = client.post("/arrow/predict_batch", content=arrow_stream(table),
                           headers={"content-type": ARROW})  # fmt: skip
    assert response.status_code == 400, response.text
    assert ["body", first] in locations(response)
