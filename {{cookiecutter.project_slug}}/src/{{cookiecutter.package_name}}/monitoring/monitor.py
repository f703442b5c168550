"""`make monitor`: read the reference and the logs, decide (`drift`), write the report.

Arrow keeps the whole log columnar; only the tested windows and the labelled rows become pandas
tables. MLflow is the command line's last step (`cli.monitor`), after the report exists.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..config import Params
from ..data_io import read_json
from ..paths import METRICS_FILE, MONITOR_DIR, REFERENCE_FILE
from . import drift, logs, report
from .reference import OUTPUT_PREFIX, Reference
from .reference import read as read_reference


def served_by(table: pa.Table, model_md5: str) -> np.ndarray:
    """Which logged rows the reference's model answered (another model's rows are counted,
    never compared with this reference)."""
    return np.asarray(pc.fill_null(pc.equal(table[logs.MODEL_MD5], model_md5), False))


def row_counts(table: pa.Table, served: np.ndarray) -> dict[str, Any]:
    versions = pc.value_counts(pc.fill_null(table[logs.MODEL_VERSION], "unknown"))
    return {
        "logged": table.num_rows,
        "reference_model": int(served.sum()),
        "other_models": int(table.num_rows - served.sum()),
        "by_model_version": {
            str(item["values"]): int(item["counts"]) for item in versions.to_pylist()
        },
    }


def labelled_rows(
    table: pa.Table, served: np.ndarray, truth: Any, outputs: list[str]
) -> tuple[np.ndarray, list[Any]]:
    """The outputs and ground truth of the reference model's rows that have a label."""
    columns = [logs.REQUEST_ID, logs.ROW, *(f"{OUTPUT_PREFIX}{name}" for name in outputs)]
    # Columns first, rows second: filtering copies, and only these columns are needed.
    mine = table.select(columns).filter(pa.array(served))
    labels = pa.table({
        logs.REQUEST_ID: pa.array(truth[logs.REQUEST_ID].astype(str), pa.string()),
        logs.ROW: pa.array(truth[logs.ROW].astype("int64"), pa.int64()),
        # Text here; `task.truth_values` turns it back into classes or numbers.
        logs.ACTUAL: pa.array(truth[logs.ACTUAL].astype(str), pa.string()),
    })  # fmt: skip
    joined = mine.join(labels, keys=[logs.REQUEST_ID, logs.ROW], join_type="inner")
    frame = joined.to_pandas()
    return drift.outputs_of(frame, outputs), frame[logs.ACTUAL].tolist()


def served_model(table: pa.Table, served: np.ndarray) -> dict[str, str]:
    """Name and version of the reference model as the newest of its log records says."""
    if not served.any():
        return {}
    mine = table.select([logs.TIMESTAMP, logs.MODEL_NAME, logs.MODEL_VERSION])
    mine = mine.filter(pa.array(served))
    newest = int(np.argmax(np.asarray(mine[logs.TIMESTAMP].cast(pa.int64()))))
    return {
        key: str(mine[key][newest].as_py() or "") for key in (logs.MODEL_NAME, logs.MODEL_VERSION)
    }


def run(
    params: Params,
    *,
    labels: Path | None = None,
    now: dt.datetime | None = None,
    out: Path = MONITOR_DIR,
    reference_file: Path = REFERENCE_FILE,
    metrics_file: Path = METRICS_FILE,
    images: bool = True,
) -> dict[str, Any]:
    """The monitor's summary (also written to `out` with the report; `images=False` leaves
    out the PNGs, most of the time a small log takes)."""
    settings = params.monitor
    now = now or dt.datetime.now(dt.UTC)
    reference: Reference = read_reference(reference_file)
    drift.monitored_features(reference, settings.features)  # a wrong name fails before reading
    outputs = list(reference.outputs)
    table = logs.read_predictions(settings.logs, reference.features, outputs, settings.days, now)
    served = served_by(table, reference.model_md5)
    stamps = np.asarray(table[logs.TIMESTAMP].cast(pa.int64()).fill_null(0))
    positions = drift.window_positions(stamps, served, settings.window_rows, settings.windows)
    windows = [table.take(pa.array(where)).to_pandas() for where in positions]

    truth = logs.ground_truth(
        logs.read_feedback(settings.logs, settings.days, now),
        None if labels is None else logs.read_labels(labels),
    )
    live = None
    if len(truth):
        labelled, actual = labelled_rows(table, served, truth, outputs)
        test_scores = read_json(metrics_file)
        live = drift.live_scores(
            labelled, actual, reference.classes, test_scores, params.registry.metric, settings
        )

    summary = drift.summarize(
        reference, windows, settings, live=live, rows=row_counts(table, served)
    )
    for result, window in zip(summary["windows"], windows, strict=True):
        result["newest"] = str(window[logs.TIMESTAMP].max())
        result["oldest"] = str(window[logs.TIMESTAMP].min())
    summary["model"] = {"md5": reference.model_md5, **served_model(table, served)}
    summary["generated"] = now.isoformat()
    summary["logs"] = str(settings.logs)
    report.write(summary, reference, windows, out, images=images)
    return summary
