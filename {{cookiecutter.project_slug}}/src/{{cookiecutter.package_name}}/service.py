"""HTTP service: the registry's champion behind validated endpoints (BentoML 1.4).

Request schemas are built from the feature list and bounds stored with the model, so every
request is checked against exactly what the model was trained on: each feature present, a finite
number within its bound or null, nothing extra. A violation is a 400 response whose `detail`
names the field; a wrong content type is a 415 and an oversized body a 413, refused before it is
read (`request_guard`). `/docs.json` is `api.openapi`, the document `api_schema.json` holds.

Workers and concurrency are explicit and environment-overridable; see the README's Serving
section for how the defaults were measured.
"""

from __future__ import annotations

import copy
import gc
import json
import logging
import operator
import os
from typing import Any

import anyio
import bentoml
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import task
from .api import (
    ARROW_STREAM,
    DEFAULT_MAX_ARROW_ROWS,
    DEFAULT_MAX_BATCH_ROWS,
    JSON,
    BatchPrediction,
    ModelInfo,
    ModelInfoRequest,
    Prediction,
    batch_request,
    capped,
    default_body_limits,
    openapi,
    predict_request,
    problem,
    row_type,
)
from .config import load_params
from .paths import PARAMS_FILE, SOURCE_ROOT
from .request_guard import Endpoint, QuietClientErrors, RequestGuard
from .vocabulary import (
    LABEL_ALIAS,
    LABEL_DATA_MD5,
    LABEL_GIT_COMMIT,
    LABEL_MODEL,
    LABEL_RUN_ID,
    LABEL_VERSION,
    METADATA_FEATURE_BOUNDS,
    METADATA_FEATURES,
    METADATA_INPUT_EXAMPLE,
)

# The bento and its model are named after the registered model (`registry.model_name`), read
# from the params.yaml packed beside the sources, so renaming the model renames the service.
MODEL_NAME = load_params(SOURCE_ROOT / PARAMS_FILE).registry.model_name
MODEL_TAG = os.environ.get("BENTO_MODEL_TAG") or f"{MODEL_NAME}:latest"
MAX_BATCH_ROWS = int(os.environ.get("MAX_BATCH_ROWS", str(DEFAULT_MAX_BATCH_ROWS)))
MAX_ARROW_ROWS = int(os.environ.get("MAX_ARROW_ROWS", str(DEFAULT_MAX_ARROW_ROWS)))
# Set, it replaces the body limit of both batch endpoints (bytes); by default each has room for
# its largest allowed batch (`api.default_body_limits`).
MAX_BODY_BYTES = os.environ.get("MAX_BODY_BYTES")
# One worker process per core is the usual rule; a single worker with many concurrent requests
# avoids duplicating the model in memory. Both are overridable at deploy time.
WORKERS = int(os.environ.get("SERVICE_WORKERS", "1"))
CONCURRENCY = int(os.environ.get("SERVICE_CONCURRENCY", "64"))
# Adaptive batching (`@bentoml.api(batchable=True)`) is deliberately off. It pays when one model
# call costs far more than its per-row share (GPUs, large networks); here a row costs about a
# microsecond, so waiting to fill a batch only adds latency, and BentoML's batch queue answers
# 503 when it overflows. It would also change the single-row contract (batchable APIs take lists).

# MLflow, scikit-learn and pandas leave millions of long-lived objects; a full garbage collection
# walks all of them, a 200-300 ms pause that was the whole single-row p99 here. They are frozen
# after start-up and the old generation is collected rarely: cycles still get collected, without
# the pauses (measured p99 300 ms -> 55 ms at 32 clients).
GC_THRESHOLDS = (50_000, 50, 1_000)

# Declared at class scope below, so `bentoml build` packs this model into the bento.
MODEL = bentoml.models.BentoModel(MODEL_TAG)
STORED = MODEL.resolve()
FEATURES: list[str] = [str(name) for name in STORED.info.metadata[METADATA_FEATURES]]
BOUNDS: dict[str, float] = dict(STORED.info.metadata[METADATA_FEATURE_BOUNDS])
LABELS: dict[str, str] = dict(STORED.info.labels)

Row = row_type({name: BOUNDS[name] for name in FEATURES})
ROW_VALUES = (
    operator.itemgetter(*FEATURES) if len(FEATURES) > 1 else lambda row: (row[FEATURES[0]],)
)
PredictRequest = predict_request(Row)
BatchRequest = batch_request(Row, MAX_BATCH_ROWS)

BODY_LIMITS = default_body_limits(FEATURES, MAX_BATCH_ROWS, MAX_ARROW_ROWS)
if MAX_BODY_BYTES:
    BODY_LIMITS.update(
        {"/predict_batch": int(MAX_BODY_BYTES), "/arrow/predict_batch": int(MAX_BODY_BYTES)}
    )
ENDPOINTS = {
    path: Endpoint(ARROW_STREAM if path.startswith("/arrow/") else JSON, limit)
    for path, limit in BODY_LIMITS.items()
}
DOCS = openapi(MODEL_NAME, {name: BOUNDS[name] for name in FEATURES}, MAX_BATCH_ROWS,
               MAX_ARROW_ROWS, BODY_LIMITS)  # fmt: skip
# BentoML logs each rejected request at ERROR with a traceback; see `QuietClientErrors`.
logging.getLogger("bentoml._internal.server.http_app").addFilter(QuietClientErrors())


def to_array(rows: list[Any]) -> np.ndarray:
    """Validated rows as a float matrix in training column order, a null as NaN (the model's
    imputer fills it in).

    Column-major, like a DataFrame's values, so the floating-point sums run in the same order
    and predictions equal the MLflow model's on a DataFrame bit for bit.
    """
    matrix = np.array(list(map(ROW_VALUES, rows)), dtype=float).reshape(-1, len(FEATURES))
    return np.asfortranarray(matrix)


def positional(model: Any) -> Any:
    """A copy of the fitted model that takes plain arrays in training column order.

    The request schemas already guarantee names and order, and scikit-learn's per-call check of
    DataFrame column names costs more than the prediction itself (about 0.8 ms against 0.3 ms
    for one row here). The arithmetic is unchanged, so predictions are identical.
    """
    fast = copy.deepcopy(model)
    for step in getattr(fast, "named_steps", {"model": fast}).values():
        if "feature_names_in_" in vars(step):
            del step.feature_names_in_
    return fast


def all_finite(column: pa.ChunkedArray) -> bool:
    """No NaN or infinity; nulls are missing values (the model imputes them) and pass."""
    return bool(pc.all(pc.is_finite(column), min_count=0).as_py())


def within(column: pa.ChunkedArray, bound: float) -> bool:
    """Every value within ±bound (nulls pass); integers are compared as floats."""
    as_float = column.cast(pa.float64(), safe=False)
    largest = pc.max(pc.abs(as_float)).as_py()
    return largest is None or largest <= bound


def column_problems(name: str, column: pa.ChunkedArray) -> list[dict[str, Any]]:
    """What is wrong with one feature column: its type, a non-finite value, its bound."""
    if not (pa.types.is_floating(column.type) or pa.types.is_integer(column.type)):
        msg = f"Input should be a number column, not {column.type}"
        return [problem(["body", name], "float_type", msg)]
    if pa.types.is_floating(column.type) and not all_finite(column):
        return [problem(["body", name], "finite_number", "Input should be a finite number or null")]
    if not within(column, BOUNDS[name]):
        msg = f"Input should be between -{BOUNDS[name]:g} and {BOUNDS[name]:g}"
        return [problem(["body", name], "bounded_number", msg)]
    return []


def arrow_problems(table: pa.Table) -> list[dict[str, Any]]:
    """Validation errors for a columnar batch, shaped like the JSON endpoints' `detail`."""
    problems: list[dict[str, Any]] = []
    if not 1 <= table.num_rows <= MAX_ARROW_ROWS:
        kind = "too_long" if table.num_rows else "too_short"
        msg = f"a batch holds 1 to {MAX_ARROW_ROWS} rows, not {table.num_rows}"
        problems.append(problem(["body"], kind, msg))
    names = table.column_names
    for name in sorted({name for name in names if names.count(name) > 1}):
        problems.append(problem(["body", name], "duplicate", "the column appears more than once"))
    if problems:
        return problems
    for name in FEATURES:
        if name not in names:
            problems.append(problem(["body", name], "missing", "Field required"))
        else:
            problems.extend(column_problems(name, table.column(name)))
    for name in sorted(set(names) - set(FEATURES)):
        problems.append(
            problem(["body", name], "extra_forbidden", "Extra inputs are not permitted")
        )
    return problems


async def predict_arrow(request: Request) -> Response:
    """Columnar batch: an Arrow IPC stream of feature columns in, one of predictions out."""
    try:
        table = pa.ipc.open_stream(await request.body()).read_all()
    except (pa.ArrowException, OSError):
        detail = [problem(["body"], "arrow_invalid", "body is not an Arrow IPC stream")]
        return JSONResponse(capped("invalid Arrow stream", detail), status_code=400)
    if problems := arrow_problems(table):
        return JSONResponse(capped("invalid batch", problems), status_code=400)
    service = bentoml.get_current_service()
    columns = [table.column(name).to_numpy(zero_copy_only=False) for name in FEATURES]
    # A null becomes NaN, which the model's imputer fills in.
    X = np.asfortranarray(np.column_stack(columns).astype(float))
    # Large batches run in a worker thread so they do not hold up single-row requests.
    values = await anyio.to_thread.run_sync(service.predict_values, X)
    sink = pa.BufferOutputStream()
    result = pa.table(task.columns(values, service.classes))
    with pa.ipc.new_stream(sink, result.schema) as writer:
        writer.write_table(result)
    return Response(sink.getvalue().to_pybytes(), media_type=ARROW_STREAM)


columnar = Starlette(routes=[Route("/predict_batch", predict_arrow, methods=["POST"])])


@bentoml.asgi_app(columnar, path="/arrow")
@bentoml.service(
    name=MODEL_NAME,
    description="The registry's champion model: single and batch predictions, model info.",
    workers=WORKERS,
    traffic={"timeout": 30, "concurrency": CONCURRENCY},
)
class ModelService:
    """Predictions of the MLflow champion, validated against the model's feature schema."""

    model_ref = MODEL

    def __init__(self) -> None:
        from . import tracking

        fitted = tracking.load_model(self.model_ref.path_of("mlflow_model"))
        self.model = positional(fitted)
        self.classes = task.classes(fitted)
        example = pd.DataFrame(STORED.info.metadata[METADATA_INPUT_EXAMPLE], columns=FEATURES)
        self.example = example.to_numpy(dtype=float)
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)

    def predictions(self, X: np.ndarray) -> list[dict[str, Any]]:
        """Plain dicts, validated into `Prediction`s by pydantic-core in one call."""
        return task.records(self.predict_values(X), self.classes)

    # The endpoints are `async` on purpose: a one-row prediction takes well under a millisecond,
    # far less than handing it to a worker thread and back; measured about twice the requests
    # per second at 32 clients (see `make loadtest`). `Row` and `Batch` are built at import from
    # the model's features, which a type checker cannot see: hence the ignores.
    # The request models forbid fields besides `features` / `rows`, which BentoML's own
    # signature-derived ones would ignore.
    @bentoml.api(input_spec=PredictRequest)
    async def predict(self, features: Row) -> Prediction:  # type: ignore[valid-type]
        return Prediction.model_validate(self.predictions(to_array([features]))[0])

    @bentoml.api(input_spec=BatchRequest)
    async def predict_batch(self, rows: list[Row]) -> BatchPrediction:  # type: ignore[valid-type]
        return BatchPrediction.model_validate({"predictions": self.predictions(to_array(rows))})

    @bentoml.api(input_spec=ModelInfoRequest)
    def model_info(self) -> ModelInfo:
        return ModelInfo(
            name=LABELS[LABEL_MODEL],
            version=LABELS[LABEL_VERSION],
            alias=LABELS[LABEL_ALIAS],
            run_id=LABELS[LABEL_RUN_ID],
            git_commit=LABELS[LABEL_GIT_COMMIT],
            data_md5=LABELS[LABEL_DATA_MD5],
            bento_model=str(STORED.tag),
            features=FEATURES,
            max_batch_rows=MAX_BATCH_ROWS,
        )

    def __is_ready__(self) -> bool:
        """Ready means the model answers: it must score the logged input example."""
        return bool(np.isfinite(self.predict_values(self.example)).all())

    def predict_values(self, X: np.ndarray) -> np.ndarray:
        return task.predict(self.model, X)


# `bentoml.service` returns a Service that a type checker sees as the decorated class.
ModelService.add_asgi_middleware(  # type: ignore[attr-defined]
    RequestGuard, endpoints=ENDPOINTS, docs=json.dumps(DOCS).encode()
)
