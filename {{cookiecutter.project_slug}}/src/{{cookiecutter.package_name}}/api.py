"""The HTTP API: its types, limits and OpenAPI description, built from the model's features (pure).

The service validates with these types and serves `openapi(...)` at `/docs.json`; the pipeline's
`api_schema` stage writes the same document to `api_schema.json`, so a change to the API shows
up in git and in the pull-request report. The answer of one row is the task's `Prediction`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    create_model,
    with_config,
)

# pydantic needs typing_extensions' TypedDict before Python 3.12; one import for every version.
from typing_extensions import TypedDict

from . import task
from .task import Prediction

if TYPE_CHECKING:
    import pandas as pd

API_VERSION = "1"
JSON = "application/json"
ARROW_STREAM = "application/vnd.apache.arrow.stream"
DEFAULT_MAX_BATCH_ROWS = 5000
# Columnar batches skip JSON decoding and per-row validation objects, so they can be larger.
DEFAULT_MAX_ARROW_ROWS = 200_000
# An error answer lists at most this many problems: a request with 100k wrong keys must not
# make a response (and a log) a hundred times its own size.
MAX_PROBLEMS = 20
# A feature may be at most this many times larger (in magnitude) than the largest value seen in
# training, rounded up to a power of ten. Beyond that a value is not a measurement the model
# can say anything about, and near the float limit the scaler's arithmetic overflows.
BOUND_MARGIN = 1000
# A power of ten that still leaves the scaler and the model room before float overflow.
MAX_BOUND_EXPONENT = 300
FORBID_EXTRA = ConfigDict(extra="forbid")
# Every answer carries a request id: the client's own when it sends a valid one, else a new one.
# The prediction log records it, and ground truth sent later to /feedback names it.
REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"
RequestId = Annotated[str, Field(pattern=REQUEST_ID_PATTERN)]


def _a_number(value: Any) -> Any:
    """JSON's integers include 3.0, but not "3" or true (which pydantic's lax int takes)."""
    if isinstance(value, str | bool):
        raise ValueError("Input should be a valid integer")
    return value


RowIndex = Annotated[int, Field(ge=0), BeforeValidator(_a_number)]


def magnitude_bound(largest: float) -> float:
    """The bound for a feature whose largest training magnitude is `largest` (1e3 at least)."""
    seen = largest if math.isfinite(largest) else 1.0
    exponent = math.ceil(math.log10(BOUND_MARGIN) + math.log10(max(seen, 1.0)))
    return float(10 ** min(exponent, MAX_BOUND_EXPONENT))


def feature_bounds(X: pd.DataFrame) -> dict[str, float]:
    """Each feature's bound, in column order, from the training features."""
    return {str(name): magnitude_bound(float(m)) for name, m in X.abs().max().items()}


def feature_value(bound: float) -> Any:
    """A finite number within ±bound, or null: a missing value the model's pipeline imputes.

    Leaving a feature out is still an error (a misspelt name must not pass as missing).
    """
    number = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=-bound, le=bound)]
    return number | None


def row_type(bounds: Mapping[str, float]) -> Any:
    """One request row: every feature, a bounded finite number or null, nothing else.

    A TypedDict rather than a model: feature names need not be identifiers, and validating into
    plain dicts is about a third faster on large batches.
    """
    fields = {name: feature_value(bound) for name, bound in bounds.items()}
    # The functional form builds the class at run time, which a type checker cannot follow.
    return with_config(FORBID_EXTRA)(TypedDict("Row", fields))  # type: ignore[operator]


def batch_type(row: Any, max_rows: int) -> Any:
    return Annotated[list[row], Field(min_length=1, max_length=max_rows)]


def predict_request(row: Any) -> type[BaseModel]:
    """The body of `/predict`: one row under `features`, no other field."""
    return create_model("PredictRequest", __config__=FORBID_EXTRA, features=(row, ...))


def batch_request(row: Any, max_rows: int) -> type[BaseModel]:
    """The body of `/predict_batch`: 1 to `max_rows` rows under `rows`, no other field."""
    return create_model(
        "BatchRequest", __config__=FORBID_EXTRA, rows=(batch_type(row, max_rows), ...)
    )


def feedback_request(actual: Any) -> type[BaseModel]:
    """The body of `/feedback`: the request id and row of a prediction, and what really happened
    (`actual`, of the task's `actual_type`), no other field."""
    return create_model(
        "FeedbackRequest",
        __config__=FORBID_EXTRA,
        request_id=(RequestId, ...),
        row=(RowIndex, 0),
        actual=(actual, ...),
    )


class FeedbackAnswer(BaseModel):
    """Whether the ground truth was queued for the log (false: logging is off or overloaded)."""

    request_id: str
    row: int
    recorded: bool


class ModelInfoRequest(BaseModel):
    """The body of `/model_info`: empty, or an empty object."""

    model_config = FORBID_EXTRA


class BatchPrediction(BaseModel):
    """One prediction per row, in request order.

    An object rather than a bare list: BentoML serializes a model with pydantic-core in one
    pass, a bare list through Python's json module (measured 4.5 ms against 1.1 ms per
    1000 rows here), and an envelope leaves room for fields later without breaking clients.
    """

    predictions: list[Prediction]


class ModelInfo(BaseModel):
    name: str
    version: str
    alias: str
    run_id: str
    git_commit: str
    data_md5: str
    bento_model: str
    features: list[str]
    max_batch_rows: int


class Problem(BaseModel):
    """One thing wrong with a request: where (`loc`, e.g. `["features", "age"]`), what, why."""

    loc: list[str | int]
    type: str
    msg: str


class ErrorAnswer(BaseModel):
    """Every 4xx answer: a summary and the problems, each naming its field."""

    error: str
    detail: list[Problem] = Field(max_length=MAX_PROBLEMS)


def capped(error: str, problems: list[Any]) -> dict[str, Any]:
    """An error answer listing at most `MAX_PROBLEMS` problems; the summary says how many."""
    if len(problems) <= MAX_PROBLEMS:
        return {"error": error, "detail": problems}
    summary = f"{len(problems)} problems in the request; the first {MAX_PROBLEMS} are listed"
    return {"error": summary, "detail": problems[:MAX_PROBLEMS]}


def problem(loc: list[str | int], kind: str, msg: str) -> dict[str, Any]:
    return {"loc": loc, "type": kind, "msg": msg}


# The largest JSON text one feature value takes at full precision, with its name's quotes,
# separators and pretty-printing indentation.
VALUE_BYTES = 40
ROUND_TO = 64 * 1024


def _round_up(size: int) -> int:
    return -(-size // ROUND_TO) * ROUND_TO


def json_body_limit(features: list[str], rows: int) -> int:
    """Bytes a JSON body of `rows` full-precision, pretty-printed rows fits in, twice over."""
    row = sum(len(json.dumps(name)) + VALUE_BYTES for name in features) + 16
    return _round_up(2 * rows * row + 1024)


def arrow_body_limit(features: list[str], rows: int) -> int:
    """Bytes an Arrow stream of `rows` rows of 8-byte numbers fits in, twice over."""
    return _round_up(2 * rows * len(features) * 9 + len(features) * 1024)


def _components(schemas: dict[str, Any], annotation: Any, name: str) -> dict[str, str]:
    """Add `annotation`'s JSON schema to the OpenAPI components; return a reference to it."""
    schema = TypeAdapter(annotation).json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(schema.pop("$defs", {}))
    schemas[name] = schema
    return {"$ref": f"#/components/schemas/{name}"}


# Every answer's request id (see REQUEST_ID_HEADER).
ANSWER_HEADERS = {
    REQUEST_ID_HEADER: {
        "description": "The request's id: the one sent, or a new one",
        "required": True,
        "schema": {"type": "string", "pattern": REQUEST_ID_PATTERN},
    }
}
REQUEST_ID_PARAMETER = {
    "name": REQUEST_ID_HEADER,
    "in": "header",
    "required": False,
    "description": "Your id for the request (kept in the prediction log); one is made if absent",
    "schema": {"type": "string", "pattern": REQUEST_ID_PATTERN},
}


def _json(ref: dict[str, str], description: str) -> dict[str, Any]:
    return {"description": description, "headers": ANSWER_HEADERS,
            "content": {JSON: {"schema": ref}}}  # fmt: skip


def _binary(description: str) -> dict[str, Any]:
    schema = {"type": "string", "format": "binary"}
    return {"description": description, "headers": ANSWER_HEADERS,
            "content": {ARROW_STREAM: {"schema": schema}}}  # fmt: skip


def _text(description: str) -> dict[str, Any]:
    return {"description": description, "headers": ANSWER_HEADERS,
            "content": {"text/plain": {"schema": {"type": "string"}}}}  # fmt: skip


def openapi(
    title: str,
    bounds: Mapping[str, float],
    classes: Sequence[Any] | None,
    max_batch_rows: int = DEFAULT_MAX_BATCH_ROWS,
    max_arrow_rows: int = DEFAULT_MAX_ARROW_ROWS,
    body_limits: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """The OpenAPI 3.1 description of every endpoint the service answers, and of every answer.

    `classes` are the model's (None for a regressor): what `/feedback` accepts as `actual`.
    """
    features = list(bounds)
    limits = dict(body_limits or default_body_limits(features, max_batch_rows, max_arrow_rows))
    schemas: dict[str, Any] = {}
    row = row_type(bounds)
    error = _components(schemas, ErrorAnswer, "ErrorAnswer")
    refs = {
        "/predict": (_components(schemas, predict_request(row), "PredictRequest"),
                     _components(schemas, Prediction, "Prediction")),
        "/predict_batch": (_components(schemas, batch_request(row, max_batch_rows), "BatchRequest"),
                           _components(schemas, BatchPrediction, "BatchPrediction")),
        "/model_info": (_components(schemas, ModelInfoRequest, "ModelInfoRequest"),
                        _components(schemas, ModelInfo, "ModelInfo")),
        "/feedback": (_components(schemas, feedback_request(task.actual_type(classes)),
                                  "FeedbackRequest"),
                      _components(schemas, FeedbackAnswer, "FeedbackAnswer")),
    }  # fmt: skip
    rejected = {
        "400": _json(error, f"The request is invalid; at most {MAX_PROBLEMS} problems are listed"),
        "415": _json(error, "The body is not of the documented content type"),
    }
    summaries = {
        "/predict": "One row's prediction",
        "/predict_batch": f"Predictions for 1 to {max_batch_rows} rows, in order",
        "/model_info": "The served model: registry version, lineage, features, limits",
        "/feedback": "Record what really happened for a prediction (request id and row)",
    }
    paths: dict[str, Any] = {}
    for path, (request, answer) in refs.items():
        paths[path] = {"post": {
            "operationId": path.strip("/"),
            "summary": summaries[path],
            "parameters": [REQUEST_ID_PARAMETER],
            "requestBody": {"required": path != "/model_info",
                            "content": {JSON: {"schema": request}}},
            "responses": {
                "200": _json(answer, "The answer"),
                **rejected,
                "413": _json(error, f"The body is larger than {limits[path]} bytes"),
            },
        }}  # fmt: skip
    arrow = "/arrow/predict_batch"
    paths[arrow] = {"post": {
        "operationId": "arrow_predict_batch",
        "summary": f"Columnar predictions for 1 to {max_arrow_rows} rows",
        "parameters": [REQUEST_ID_PARAMETER],
        "description": (
            "An Arrow IPC stream with one float or integer column per feature (nulls allowed, "
            "the same bounds as `Row`), nothing else; answered with an Arrow IPC stream: "
            f"{task.ARROW_RESPONSE}."
        ),
        "requestBody": {"required": True, "content": {
            ARROW_STREAM: {"schema": {"type": "string", "format": "binary"}}}},
        "responses": {
            "200": _binary(task.ARROW_RESPONSE),
            **rejected,
            "413": _json(error, f"The body is larger than {limits[arrow]} bytes"),
        },
    }}  # fmt: skip
    probes = {
        "/livez": "The process is alive",
        "/healthz": "The process is alive (older name of /livez)",
        "/readyz": "The model is loaded and scores its input example",
        "/metrics": "Prometheus metrics",
    }
    for path, summary in probes.items():
        responses = {"200": _text(summary), "400": _json(error, "The X-Request-ID is invalid")}
        if path == "/readyz":
            responses["503"] = _text("Not ready yet")
        paths[path] = {"get": {"operationId": path.strip("/"), "summary": summary,
                               "parameters": [REQUEST_ID_PARAMETER],
                               "responses": responses}}  # fmt: skip
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": API_VERSION},
        "paths": paths,
        "components": {"schemas": dict(sorted(schemas.items()))},
    }


def default_body_limits(
    features: list[str], max_batch_rows: int, max_arrow_rows: int
) -> dict[str, int]:
    """The body size each endpoint accepts: room for its largest allowed request."""
    return {
        "/predict": json_body_limit(features, 1),
        "/predict_batch": json_body_limit(features, max_batch_rows),
        "/model_info": json_body_limit([], 1),
        "/feedback": json_body_limit([], 1),
        "/arrow/predict_batch": arrow_body_limit(features, max_arrow_rows),
    }


def described_features(document: Mapping[str, Any]) -> list[str]:
    """The features an OpenAPI description (e.g. `api_schema.json`) asks for, in order."""
    return list(document["components"]["schemas"]["Row"]["properties"])
