"""Reading the service's prediction log, its feedback records and batch users' labels files.

The log is JSON lines (`prediction_log`): `<logs>/predictions/<YYYY-MM-DD>/*.jsonl`, feedback in
`<logs>/feedback/<YYYY-MM-DD>/*.jsonl`. Only the date folders of the last `days` days are read,
each file with Arrow's JSON reader against a schema made from the reference (a million rows
in seconds, features as float columns, never a Python dict per row). A file being written may
end in half a line: everything after its last newline is skipped.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj
import pyarrow.parquet as pq

from ..errors import PipelineError
from .reference import OUTPUT_PREFIX

PREDICTIONS, FEEDBACK = "predictions", "feedback"
REQUEST_ID, ROW, TIMESTAMP, ACTUAL = "request_id", "row", "timestamp", "actual"
MODEL_NAME, MODEL_VERSION, MODEL_MD5 = "model_name", "model_version", "model_md5"
FEATURES, OUTPUTS = "features", "outputs"
LABEL_SUFFIXES = (".csv", ".parquet")
TIME = pa.timestamp("us", tz="UTC")
# Arrow parses a file in blocks of this size, in parallel: 4 MiB reads 1M rows (1.1 GB) about a
# fifth faster here than the 1 MiB default (a rotated file is 16 MiB: four blocks).
BLOCK_BYTES = 4 * 2**20


def prediction_schema(features: Sequence[str], outputs: Sequence[str]) -> pa.Schema:
    """What the monitor reads of a prediction record; other keys are ignored."""
    return pa.schema([
        (REQUEST_ID, pa.string()), (ROW, pa.int64()), (TIMESTAMP, TIME),
        (MODEL_NAME, pa.string()), (MODEL_VERSION, pa.string()), (MODEL_MD5, pa.string()),
        (FEATURES, pa.struct([(name, pa.float64()) for name in features])),
        (OUTPUTS, pa.struct([(name, pa.float64()) for name in outputs])),
    ])  # fmt: skip


def complete_lines(path: Path) -> bytes:
    """The file's bytes up to its last newline: a half-written last line is left out."""
    data = path.read_bytes()
    return data[: data.rfind(b"\n") + 1]


def dated_files(folder: Path, days: int, now: dt.datetime) -> Iterator[Path]:
    """The .jsonl files in the date folders of the last `days` days (UTC), oldest first."""
    if not folder.is_dir():
        return
    first = (now - dt.timedelta(days=days)).date().isoformat()
    for day in sorted(folder.iterdir()):
        if day.is_dir() and day.name >= first:
            yield from sorted(day.glob("*.jsonl"))


def read_lines(files: Iterator[Path], schema: pa.Schema | None) -> pa.Table | None:
    tables = []
    options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    reading = pj.ReadOptions(block_size=BLOCK_BYTES)
    for path in files:
        data = complete_lines(path)
        if not data.strip():
            continue
        try:
            table = pj.read_json(io.BytesIO(data), read_options=reading, parse_options=options)
        except pa.ArrowInvalid as error:
            raise PipelineError(
                f"{path} is not a prediction log file (JSON lines): {error}"
            ) from None
        tables.append(table)
    if not tables:
        return None
    return pa.concat_tables(tables, promote_options="permissive")


def since(table: pa.Table, days: int, now: dt.datetime) -> pa.Table:
    start = pa.scalar(now - dt.timedelta(days=days), type=TIME)
    recent = pc.fill_null(pc.greater_equal(table[TIMESTAMP], start), False)
    # Filtering copies every column: only done when some rows are older (the oldest day folder).
    return table if pc.all(recent).as_py() else table.filter(recent)


def read_predictions(
    logs: Path, features: Sequence[str], outputs: Sequence[str], days: int, now: dt.datetime
) -> pa.Table:
    """The logged predictions of the last `days` days: one row per record, the features under
    their own names and the outputs as `output.<name>` (Arrow: still columnar, small)."""
    folder = logs / PREDICTIONS
    if not logs.is_dir():
        raise PipelineError(
            f"no prediction log folder {logs}: the service writes it (PREDICTION_LOG_DIR); "
            "copy production's logs here (`make logs-pull`) or set monitor.logs in params.yaml"
        )
    table = read_lines(dated_files(folder, days, now), prediction_schema(features, outputs))
    if table is None:
        return empty_predictions(features, outputs)
    table = since(table, days, now)
    flat = table.flatten()
    renamed = [
        name.removeprefix(f"{FEATURES}.")
        if name.startswith(f"{FEATURES}.")
        else OUTPUT_PREFIX + name.removeprefix(f"{OUTPUTS}.")
        if name.startswith(f"{OUTPUTS}.")
        else name
        for name in flat.column_names
    ]
    return flat.rename_columns(renamed)


def empty_predictions(features: Sequence[str], outputs: Sequence[str]) -> pa.Table:
    schema = prediction_schema(features, outputs)
    return (
        pa.Table.from_batches([], schema=schema)
        .flatten()
        .rename_columns(
            [field.name for field in schema if field.name not in (FEATURES, OUTPUTS)]
            + list(features)
            + [f"{OUTPUT_PREFIX}{name}" for name in outputs]
        )
    )


def no_truth() -> pd.DataFrame:
    return pd.DataFrame({REQUEST_ID: pd.Series(dtype=str), ROW: pd.Series(dtype="int64"),
                         ACTUAL: pd.Series(dtype=object)})  # fmt: skip


def read_feedback(logs: Path, days: int, now: dt.datetime) -> pd.DataFrame:
    """Feedback records (request_id, row, actual) of the last `days` days; the latest record
    of a row wins (a corrected label replaces the first one)."""
    frames = []
    for path in dated_files(logs / FEEDBACK, days, now):
        # `actual` is a class label or a number: its type is inferred, file by file.
        table = read_lines(iter([path]), None)
        if table is None or not {REQUEST_ID, ACTUAL} <= set(table.column_names):
            continue
        names = table.column_names
        frames.append(pd.DataFrame({
            REQUEST_ID: table[REQUEST_ID].to_pandas().astype(str),
            ROW: table[ROW].to_pandas() if ROW in names else 0,
            ACTUAL: table[ACTUAL].to_pandas().astype(object),
            TIMESTAMP: table[TIMESTAMP].cast(pa.string()).to_pandas() if TIMESTAMP in names else "",
        }))  # fmt: skip
    if not frames:
        return no_truth()
    frame = pd.concat(frames, ignore_index=True).sort_values(TIMESTAMP, kind="stable")
    return frame.drop_duplicates([REQUEST_ID, ROW], keep="last")[[REQUEST_ID, ROW, ACTUAL]]


def read_labels(path: Path) -> pd.DataFrame:
    """A batch user's labels file: `request_id`, `actual` and optionally `row` (default 0)."""
    if not path.is_file():
        raise PipelineError(f"labels file {path} not found")
    if path.suffix.lower() not in LABEL_SUFFIXES:
        raise PipelineError(f"labels file {path}: use a .csv or .parquet file")
    if path.suffix.lower() == ".csv":
        frame = pd.read_csv(path, dtype={REQUEST_ID: str})
    else:
        frame = pq.read_table(path).to_pandas()
    missing = [name for name in (REQUEST_ID, ACTUAL) if name not in frame.columns]
    if missing:
        raise PipelineError(
            f"labels file {path} lacks the column(s) {', '.join(missing)} "
            f"(it has: {', '.join(map(str, frame.columns))})"
        )
    if ROW not in frame.columns:
        frame[ROW] = 0
    frame = frame.astype({REQUEST_ID: str, ROW: "int64"})
    frame[ACTUAL] = frame[ACTUAL].astype(object)
    return frame.drop_duplicates([REQUEST_ID, ROW], keep="last")[[REQUEST_ID, ROW, ACTUAL]]


def ground_truth(feedback: pd.DataFrame, labels: pd.DataFrame | None) -> pd.DataFrame:
    """Feedback records and a labels file together; the labels file wins on the same row."""
    parts = [part for part in (feedback, labels) if part is not None and len(part)]
    if not parts:
        return no_truth()
    frame = pd.concat(parts, ignore_index=True)
    return frame.drop_duplicates([REQUEST_ID, ROW], keep="last").reset_index(drop=True)
