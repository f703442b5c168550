"""Shared by the test suites: the project root, its params and the task's metric names."""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args

import numpy as np
import pandas as pd

from {{ cookiecutter.package_name }} import task
from {{ cookiecutter.package_name }}.config import load_params
from {{ cookiecutter.package_name }}.paths import PARAMS_FILE

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PARAMS = load_params(PROJECT_ROOT / PARAMS_FILE)
# The registered model the service tests register and serve (in a temporary registry).
SERVICE_MODEL = "service-test"
# What the pipeline, the registry and the monitor need and the serving group (so the image)
# leaves out.
NOT_FOR_SERVING = ("dvc", "evidently", "locust", "matplotlib", "mlflow", "pandas", "pandera")

# One score where higher is better and one error where lower is better, of this task.
HIGHER = next(name for name in get_args(task.MetricName) if name not in task.LOWER_IS_BETTER)
LOWER = sorted(task.LOWER_IS_BETTER)[0]


def json_row(row: dict[str, Any]) -> dict[str, Any]:
    """One row as a client sends it: a missing value (NaN) is null."""
    return json_rows(pd.DataFrame([row]))[0]


def json_rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Table rows as a client sends them: a missing value is null (NaN is not JSON)."""
    return list(df.astype(object).where(df.notna(), None).to_dict(orient="records"))


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Request rows as the model's input table: null becomes NaN."""
    return pd.DataFrame(rows).astype(float)


def arrow_stream(table: Any) -> bytes:
    """A pyarrow table as the body the Arrow endpoint takes: an IPC stream."""
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def served_traffic(folder: Path, X: pd.DataFrame, outputs: Any, classes: Any, model_md5: str,
                   *, batch_rows: int = 50, actual: Any = None) -> list[str]:  # fmt: skip
    """Log rows into `folder` exactly as the service does (its prediction log writer, JSON
    batches of `batch_rows`), with each row's feedback when `actual` is given; the request ids."""
    from {{ cookiecutter.package_name }} import prediction_log
    from {{ cookiecutter.package_name }}.monitoring import shifts

    model = {
        prediction_log.MODEL_NAME: "monitor-test",
        prediction_log.MODEL_VERSION: "1",
        prediction_log.BENTO_MODEL: "monitor-test:1",
        prediction_log.MODEL_MD5: model_md5,
    }
    log = prediction_log.PredictionLog(prediction_log.LogSettings(folder=folder), model)
    columns = task.columns(outputs, classes)
    names = list(columns)
    values = np.column_stack(list(columns.values())).tolist()
    features = json_rows(X)
    truth = None if actual is None else [value.item() if hasattr(value, "item") else value
                                         for value in np.asarray(actual, dtype=object)]  # fmt: skip
    request_ids = []
    for number, part in enumerate(shifts.batches(len(X), batch_rows)):
        request_id = f"test-{number}"
        pairs = [(features[i], dict(zip(names, values[i], strict=True)))
                 for i in range(part.start, part.stop)]  # fmt: skip
        log.predictions(request_id, lambda pairs=pairs: pairs, len(pairs))
        if truth is not None:
            for row, index in enumerate(range(part.start, part.stop)):
                log.feedback(request_id, row, truth[index])
        request_ids.append(request_id)
    log.close()
    return request_ids
