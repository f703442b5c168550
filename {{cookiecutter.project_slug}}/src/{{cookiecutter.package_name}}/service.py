"""HTTP service: the registry's champion behind validated endpoints (BentoML 1.4).

Request schemas are built from the feature list and bounds stored with the model, so every
request is checked against exactly what the model was trained on: each feature present, a finite
number within its bound or null, nothing extra. A violation is a 400 response whose `detail`
names the field; a wrong content type is a 415 and an oversized body a 413, refused before it is
read (`request_guard`). `/docs.json` is `api.openapi`, the document `api_schema.json` holds.

Every answered row is logged (`prediction_log`, off the request path) under the request's id,
which the answer carries in `X-Request-ID`; `/feedback` records the actual outcome for it later.
`/metrics` counts predictions per model version and class (regression: a histogram of the
predicted values) and the log records written and dropped.

Workers and concurrency are explicit and environment-overridable; see the README's Serving
section for how the defaults were measured.
"""

from __future__ import annotations

import functools
import gc
import importlib.abc
import importlib.util
import json
import logging
import operator
import os
import sys
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import bentoml
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import model_loader, prediction_log, task
from .api import (
    ARROW_STREAM,
    DEFAULT_MAX_ARROW_ROWS,
    DEFAULT_MAX_BATCH_ROWS,
    JSON,
    BatchPrediction,
    FeedbackAnswer,
    ModelInfo,
    ModelInfoRequest,
    Prediction,
    batch_request,
    capped,
    default_body_limits,
    feedback_request,
    openapi,
    predict_request,
    problem,
    row_type,
)
from .config import load_params
from .feature_matrix import positional
from .paths import BENTO_MLFLOW_FOLDER, PARAMS_FILE, SOURCE_ROOT
from .request_guard import REQUEST_ID, Endpoint, QuietClientErrors, RequestGuard
from .vocabulary import (
    LABEL_ALIAS,
    LABEL_DATA_MD5,
    LABEL_GIT_COMMIT,
    LABEL_MODEL,
    LABEL_MODEL_MD5,
    LABEL_RUN_ID,
    LABEL_VERSION,
    METADATA_CLASSES,
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
# PREDICTION_LOG_* (README: "Prediction log and feedback"); a wrong value stops the start-up.
try:
    LOG_SETTINGS = prediction_log.settings_from(os.environ)
except prediction_log.SettingsError as error:
    raise SystemExit(f"prediction log: {error}") from None
# Adaptive batching (`@bentoml.api(batchable=True)`) is deliberately off. It pays when one model
# call costs far more than its per-row share (GPUs, large networks); here a row costs about a
# microsecond, so waiting to fill a batch only adds latency, and BentoML's batch queue answers
# 503 when it overflows. It would also change the single-row contract (batchable APIs take lists).

# MLflow, scikit-learn and pandas leave millions of long-lived objects; a full garbage collection
# walks all of them, a 200-300 ms pause that was the whole single-row p99 here. They are frozen
# after start-up and the old generation is collected rarely: cycles still get collected, without
# the pauses (measured p99 300 ms -> 55 ms at 32 clients).
GC_THRESHOLDS = (50_000, 50, 1_000)


class AbsentPandas(importlib.abc.MetaPathFinder):
    """Fails `import pandas` at once where pandas is not installed (the serving image).

    scikit-learn's imputer runs `from pandas import NA` on every call, inside a
    `suppress(ImportError)`; Python does not remember a failed import, so each call searched the
    whole module path again: a third of a one-row prediction (measured 1,000 -> 1,500
    predictions/s in process). Nothing else changes: the import fails as it would anyway.
    """

    @staticmethod
    def find_spec(name: str, path: object = None, target: object = None) -> None:
        if name.partition(".")[0] == "pandas":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


if importlib.util.find_spec("pandas") is None:
    sys.meta_path.insert(0, AbsentPandas())

# Declared at class scope below, so `bentoml build` packs this model into the bento.
MODEL = bentoml.models.BentoModel(MODEL_TAG)
STORED = MODEL.resolve()
FEATURES: list[str] = [str(name) for name in STORED.info.metadata[METADATA_FEATURES]]
BOUNDS: dict[str, float] = dict(STORED.info.metadata[METADATA_FEATURE_BOUNDS])
LABELS: dict[str, str] = dict(STORED.info.labels)
# What every log record says about the model that answered (a model imported before the md5
# label existed logs an empty md5).
LOGGED_MODEL = {
    prediction_log.MODEL_NAME: LABELS.get(LABEL_MODEL, MODEL_NAME),
    prediction_log.MODEL_VERSION: LABELS.get(LABEL_VERSION, ""),
    prediction_log.BENTO_MODEL: str(STORED.tag),
    prediction_log.MODEL_MD5: LABELS.get(LABEL_MODEL_MD5, ""),
}


def stored_classes() -> list[Any] | None:
    """The model's classes (None for a regressor), from the store's metadata; a model imported
    before they were stored there is loaded to find them."""
    if METADATA_CLASSES in STORED.info.metadata:
        # Empty for a regressor: a classifier knows two classes at least.
        return list(STORED.info.metadata[METADATA_CLASSES]) or None
    found = task.classes(model_loader.load(Path(STORED.path_of(BENTO_MLFLOW_FOLDER))))
    return None if found is None else found.tolist()


CLASSES = stored_classes()

Row = row_type({name: BOUNDS[name] for name in FEATURES})
ROW_VALUES = (
    operator.itemgetter(*FEATURES) if len(FEATURES) > 1 else lambda row: (row[FEATURES[0]],)
)
PredictRequest = predict_request(Row)
BatchRequest = batch_request(Row, MAX_BATCH_ROWS)
FeedbackRequest = feedback_request(task.actual_type(CLASSES))

BODY_LIMITS = default_body_limits(FEATURES, MAX_BATCH_ROWS, MAX_ARROW_ROWS)
if MAX_BODY_BYTES:
    BODY_LIMITS.update(
        {"/predict_batch": int(MAX_BODY_BYTES), "/arrow/predict_batch": int(MAX_BODY_BYTES)}
    )
ENDPOINTS = {
    path: Endpoint(ARROW_STREAM if path.startswith("/arrow/") else JSON, limit)
    for path, limit in BODY_LIMITS.items()
}
DOCS = openapi(MODEL_NAME, {name: BOUNDS[name] for name in FEATURES}, CLASSES, MAX_BATCH_ROWS,
               MAX_ARROW_ROWS, BODY_LIMITS)  # fmt: skip
# BentoML logs each rejected request at ERROR with a traceback; see `QuietClientErrors`.
logging.getLogger("bentoml._internal.server.http_app").addFilter(QuietClientErrors())


# Buckets of the `predicted_value` histogram: 1-2-5 steps over twelve orders of magnitude, both
# signs, so any target's scale is covered without knowing it in advance.
VALUE_BUCKETS = sorted(
    {sign * step * 10.0**exponent for sign in (-1, 1) for step in (1, 2, 5)
     for exponent in range(-3, 9)} | {0.0}
)  # fmt: skip


@dataclass(frozen=True)
class LiveMetrics:
    """The service's own Prometheus metrics (BentoML adds request counts and latencies)."""

    predictions: Any  # rows predicted, by model version and predicted class
    histogram: Any  # predicted values, by model version (regression)
    written: Any  # prediction log records written
    dropped: Any  # prediction log records dropped: buffer full or disk failing


@functools.cache
def live_metrics() -> LiveMetrics:
    """Created once per process, in the worker: BentoML's metrics API builds them only once the
    worker has set up Prometheus' multi-process mode (one registry per name, hence the cache)."""
    with warnings.catch_warnings():
        # bentoml.metrics says it is deprecated in favour of prometheus_client, yet importing
        # prometheus_client in a service module is what breaks the multi-process mode.
        warnings.simplefilter("ignore", DeprecationWarning)
        counter, histogram = bentoml.metrics.Counter, bentoml.metrics.Histogram
    return LiveMetrics(
        predictions=counter(
            "predictions", "Rows predicted, by model version and predicted class "
            "(regression: label=value)", ["model_version", "label"]),
        histogram=histogram("predicted_value", "Predicted values (regression)", ["model_version"],
                         buckets=VALUE_BUCKETS),
        written=counter("prediction_log_records", "Prediction log records written"),
        dropped=counter("prediction_log_dropped",
                        "Prediction log records dropped (buffer full or disk failing)"),
    )  # fmt: skip


def observe_all(histogram: Any, values: np.ndarray) -> None:
    """Observe many values at once: their bucket counts and sum, in one increment per bucket.

    One `observe` per row costs a few microseconds in multi-process mode (200k rows: most of a
    second); this uses prometheus_client's histogram fields, and falls back to `observe`.
    """
    bounds, buckets, total = (getattr(histogram, name, None)
                              for name in ("_upper_bounds", "_buckets", "_sum"))  # fmt: skip
    if bounds is None or buckets is None or total is None:
        for value in values.tolist():
            histogram.observe(value)
        return
    # The first bucket whose upper bound is >= the value, as `observe` picks it.
    counts = np.bincount(np.searchsorted(bounds, values, side="left"), minlength=len(bounds))
    for index in np.flatnonzero(counts).tolist():
        buckets[index].inc(int(counts[index]))
    total.inc(float(values.sum()))


def log_rows(
    features: Callable[[], list[Mapping[str, Any]]], values: np.ndarray, classes: Any
) -> prediction_log.Rows:
    """The (features, outputs) of each answered row, built when the log's thread asks."""

    def rows() -> Any:
        columns = task.columns(values, classes)
        names = list(columns)
        outputs = np.column_stack(list(columns.values())).tolist()
        return zip(features(), (dict(zip(names, row, strict=True)) for row in outputs),
                   strict=True)  # fmt: skip

    return rows


def to_array(rows: list[Any]) -> np.ndarray:
    """Validated rows as a float matrix in training column order, a null as NaN (the model's
    imputer fills it in).

    Column-major, like a DataFrame's values, so the floating-point sums run in the same order
    and predictions equal the MLflow model's on a DataFrame bit for bit.
    """
    matrix = np.array(list(map(ROW_VALUES, rows)), dtype=float).reshape(-1, len(FEATURES))
    return np.asfortranarray(matrix)


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
    # One copy, straight into the column-major float block the model sums over (stacking the
    # columns, converting and reordering made three: an eighth of a 100k-row request). A null
    # becomes NaN, which the model's imputer fills in.
    X = np.empty((table.num_rows, len(FEATURES)), order="F")
    for position, name in enumerate(FEATURES):
        X[:, position] = table.column(name).to_numpy(zero_copy_only=False)
    # Large batches run in a worker thread so they do not hold up single-row requests.
    values = await anyio.to_thread.run_sync(service.scored, X)
    service.logged(lambda: table.select(FEATURES).to_pylist(), values)
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
        fitted = model_loader.load(Path(self.model_ref.path_of(BENTO_MLFLOW_FOLDER)))
        self.model = positional(fitted)
        self.classes = task.classes(fitted)
        example = STORED.info.metadata[METADATA_INPUT_EXAMPLE]
        self.example = np.array([[row[name] for name in FEATURES] for row in example], dtype=float)
        metrics = live_metrics()
        version = LOGGED_MODEL[prediction_log.MODEL_VERSION]
        self.counted = {str(label): metrics.predictions.labels(version, str(label))
                        for label in task.live_counts(task.predict(self.model, self.example),
                                                      self.classes)}  # fmt: skip
        # Made on the first value observed: a classifier observes none and shows no histogram.
        self.predicted_values: Any = None
        self.log = prediction_log.PredictionLog(
            LOG_SETTINGS, LOGGED_MODEL, written=metrics.written.inc, dropped=metrics.dropped.inc
        )
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)

    def answers(self, rows: list[Any]) -> list[dict[str, Any]]:
        """Plain dicts, validated into `Prediction`s by pydantic-core in one call; the rows and
        their answers are counted and logged."""
        values = self.scored(to_array(rows))
        self.logged(lambda: rows, values)
        return task.records(values, self.classes)

    def scored(self, X: np.ndarray) -> np.ndarray:
        """The model's outputs for X, counted on /metrics."""
        values = self.predict_values(X)
        version = LOGGED_MODEL[prediction_log.MODEL_VERSION]
        for label, count in task.live_counts(values, self.classes).items():
            counter = self.counted.get(label)
            if counter is None:
                counter = self.counted[label] = live_metrics().predictions.labels(version, label)
            counter.inc(count)
        observed = task.live_values(values)
        if len(observed) and self.predicted_values is None:
            self.predicted_values = live_metrics().histogram.labels(version)
        if len(observed):
            observe_all(self.predicted_values, observed)
        return values

    def logged(self, features: Callable[[], list[Mapping[str, Any]]], values: np.ndarray) -> None:
        """Queue the answered rows for the prediction log (if this request is sampled)."""
        if self.log.sampled():
            rows = log_rows(features, values, self.classes)
            self.log.predictions(REQUEST_ID.get(), rows, len(values))

    # The endpoints are `async` on purpose: a one-row prediction takes well under a millisecond,
    # far less than handing it to a worker thread and back; measured about twice the requests
    # per second at 32 clients (see `make loadtest`). `Row` and `Batch` are built at import from
    # the model's features, which a type checker cannot see: hence the ignores.
    # The request models forbid fields besides `features` / `rows`, which BentoML's own
    # signature-derived ones would ignore.
    @bentoml.api(input_spec=PredictRequest)
    async def predict(self, features: Row) -> Prediction:  # type: ignore[valid-type]
        return Prediction.model_validate(self.answers([features])[0])

    @bentoml.api(input_spec=BatchRequest)
    async def predict_batch(self, rows: list[Row]) -> BatchPrediction:  # type: ignore[valid-type]
        return BatchPrediction.model_validate({"predictions": self.answers(rows)})

    @bentoml.api(input_spec=FeedbackRequest)
    async def feedback(self, request_id: str, row: int, actual: Any) -> FeedbackAnswer:
        """Ground truth for one answered row, joined to its prediction by request id and row."""
        recorded = self.log.feedback(request_id, row, actual)
        return FeedbackAnswer(request_id=request_id, row=row, recorded=recorded)

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

    @bentoml.on_shutdown
    def close_log(self) -> None:
        """Write what the prediction log still holds before the worker exits."""
        self.log.close()


# `bentoml.service` returns a Service that a type checker sees as the decorated class.
ModelService.add_asgi_middleware(  # type: ignore[attr-defined]
    RequestGuard, endpoints=ENDPOINTS, docs=json.dumps(DOCS).encode()
)
