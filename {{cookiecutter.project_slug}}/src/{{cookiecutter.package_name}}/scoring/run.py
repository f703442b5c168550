"""Batch scoring's edges (`make score`): the input files, the model, the Parquet writer.

The input is a CSV or Parquet file, or a folder of them (one format, read in name order), on
disk or at any fsspec URL (s3://, gs://, az://: fsspec comes with DVC, the object stores'
packages with DVC's extras). It is read as a stream of record batches (Parquet row group by
row group, CSV block by block) and re-cut into chunks of `SCORE_CHUNK_ROWS` rows, each validated,
scored and appended to the output Parquet file (`pyarrow.parquet.ParquetWriter`); the next chunk
is decoded in one thread and the last one written in another meanwhile, at most one waiting on
each side: memory depends on the chunk size and the input's row groups, not on its length. A
local output is written beside its name and renamed at the end, so a failed run never leaves a
half-written file under it.

The model is the registry's @champion, or the version in MODEL_VERSION, loaded once
(`tracking`); or, in the service's image, the model packed in the bento (`--packed`), read as
the service reads it (`model_loader`): that path needs the serving packages only.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import queue
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from ..errors import PipelineError
from ..feature_matrix import DataContractError
from ..vocabulary import CHAMPION
from . import batches

# Rows per chunk: large enough that the per-chunk costs (validation, the model's checks, a
# Parquet row group) vanish beside the per-row ones, small enough to keep memory flat
# (`make bench-score` in the template measured it).
DEFAULT_CHUNK_ROWS = 200_000
CHUNK_ROWS_ENV = "SCORE_CHUNK_ROWS"
# A progress line on stderr at most this often on long runs.
PROGRESS_SECONDS = 10.0
# CSV is parsed in blocks of this many bytes (pyarrow's default, 1 MiB, makes tiny batches).
CSV_BLOCK_BYTES = 16 << 20
FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
# pyarrow names a CSV cell it cannot convert by its column's position and its line in the file.
CSV_CONVERSION = re.compile(r"In CSV column #(\d+): Row #(\d+): CSV conversion error to \w+: (.*)")
PARTIAL_SUFFIX = ".partial"


@dataclass(frozen=True)
class Source:
    """The input: its files, in the order their rows are numbered, and their format."""

    filesystem: pafs.FileSystem
    files: list[str]
    format: str


def filesystem(location: str) -> tuple[pafs.FileSystem, str]:
    """A local path, or an fsspec URL (wrapped for pyarrow)."""
    if "://" not in location:
        return pafs.LocalFileSystem(), str(Path(location).resolve())
    import fsspec

    fs, path = fsspec.core.url_to_fs(location)
    return pafs.PyFileSystem(pafs.FSSpecHandler(fs)), path


def source(location: str) -> Source:
    """The files to score: `location` itself, or every CSV/Parquet file under it (hidden and
    `_` files skipped: Spark's and Hadoop's markers)."""
    fs, path = filesystem(location)
    info = fs.get_file_info(path)
    if info.type == pafs.FileType.NotFound:
        raise PipelineError(f"{location} not found")
    if info.type == pafs.FileType.Directory:
        found = fs.get_file_info(pafs.FileSelector(path, recursive=True))
        files = sorted(
            item.path for item in found
            if item.type == pafs.FileType.File and not item.base_name.startswith((".", "_"))
            and Path(item.path).suffix.lower() in FORMATS
        )  # fmt: skip
        if not files:
            raise PipelineError(f"{location} holds no .csv or .parquet file")
    else:
        files = [path]
    kinds = {FORMATS.get(Path(name).suffix.lower()) for name in files}
    if None in kinds:
        raise PipelineError(f"{location}: score reads .csv or .parquet files, not {files[0]}")
    if len(kinds) > 1:
        raise PipelineError(f"{location} mixes CSV and Parquet files: keep one format a folder")
    return Source(fs, files, kinds.pop() or "")


def header(src: Source, name: str) -> list[str]:
    """A file's column names, in order, read without parsing its values."""
    if src.format == "parquet":
        with src.filesystem.open_input_file(name) as handle:
            return list(pq.read_schema(handle).names)
    with src.filesystem.open_input_stream(name) as stream:
        first = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="").readline()
    return next(csv.reader([first]), [])


def batches_of(
    src: Source, name: str, columns: list[str], features: list[str], rows: int
) -> Iterator[pa.RecordBatch]:
    """One file's rows as record batches, only the columns scored: Parquet row group by row
    group, CSV block by block (features parsed as numbers straight away, an id column kept as
    text). Streaming readers, not a dataset scan: a scan reads ahead whole row groups and held
    a 10M-row file in memory."""
    if src.format == "parquet":
        # One row group at a time: asked for all of them at once, the reader buffers every
        # row group's columns ahead (a 4-row-group file took 0.8 GB more than a one-group file).
        parquet = pq.ParquetFile(src.filesystem.open_input_file(name), pre_buffer=False)
        for group in range(parquet.num_row_groups):
            yield from parquet.iter_batches(batch_size=rows, columns=columns, row_groups=[group])
        return
    types = {column: pa.float64() if column in features else pa.string() for column in columns}
    stream = src.filesystem.open_input_stream(name)
    yield from pcsv.open_csv(
        stream,
        read_options=pcsv.ReadOptions(block_size=CSV_BLOCK_BYTES),
        convert_options=pcsv.ConvertOptions(column_types=types, include_columns=columns),
    )


def read(
    src: Source, columns: list[str], features: list[str], rows: int
) -> Iterator[pa.RecordBatch]:
    """The input's rows as record batches, file after file, only the columns scored."""
    first_row = 0
    for name in src.files:
        file_first_row = first_row
        # The file's own columns, in order (a CSV conversion error names a column by position).
        names = header(src, name)
        missing = [column for column in columns if column not in names]
        if missing:
            raise DataContractError(
                f"{name}: column {missing[0]!r} not found ({len(missing)} missing of the model's "
                f"features and the id column); columns are: {', '.join(names)}"
            )
        try:
            for batch in batches_of(src, name, columns, features, rows):
                first_row += batch.num_rows
                yield batch
        except pa.ArrowInvalid as error:
            if src.format == "csv" and not CSV_CONVERSION.search(str(error)):
                error = located_in_csv(src, name, columns, features, error)
            raise conversion_error(error, name, names, file_first_row) from None


def located_in_csv(
    src: Source, name: str, columns: list[str], features: list[str], error: pa.ArrowInvalid
) -> pa.ArrowInvalid:
    """The same conversion error with its line: the streaming reader leaves the line out, a
    dataset scan of the file names it (read again only on this failure path)."""
    import pyarrow.dataset as ds

    types = {column: pa.float64() if column in features else pa.string() for column in columns}
    fmt = ds.CsvFileFormat(convert_options=pcsv.ConvertOptions(column_types=types))
    try:
        dataset = ds.dataset(name, format=fmt, filesystem=src.filesystem)
        for _ in dataset.to_batches(columns=columns):
            pass
    except pa.ArrowInvalid as located:
        return located
    return error


def ahead(batches: Iterator[pa.Table], depth: int = 1) -> Iterator[pa.Table]:
    """The same items, each produced in a thread of its own while the previous one is used:
    decoding the next chunk (Arrow releases the GIL) overlaps scoring this one. At most
    `depth` items wait; an error is raised where the item would have been."""
    waiting: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in batches:
                while not stop.is_set():
                    try:
                        waiting.put((True, item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
        except BaseException as error:  # handed to the consumer
            waiting.put((False, error))
            return
        waiting.put((False, None))

    thread = threading.Thread(target=produce, name="score-reader", daemon=True)
    thread.start()
    try:
        while True:
            ok, item = waiting.get()
            if not ok:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        stop.set()


def conversion_error(
    error: pa.ArrowInvalid, name: str, header: list[str], first_row: int
) -> PipelineError:
    """A CSV cell that is no number, named as the contract names it: row (in the whole
    input) and column."""
    found = CSV_CONVERSION.search(str(error))
    if found is None:
        # Arrow's messages may append whole columns: the first line says what is wrong.
        first_line = str(error).strip().splitlines()[0]
        return PipelineError(f"{name} is not a readable table: {first_line}")
    column, line, problem = int(found[1]), int(found[2]), found[3]
    # pyarrow counts lines from 1, the header included.
    row = first_row + line - 2
    return DataContractError(
        f"row {row}, column {header[column]!r}: not a number ({problem}; {name} line {line})"
    )


def load_registered(model_name: str, version: str | None) -> batches.Model:
    """The registered version (the champion when `version` is None), loaded once."""
    from .. import tracking

    tracking.configure(create=False)
    if version is None:
        version = tracking.version_with_alias(model_name, CHAMPION)
        if version is None:
            raise PipelineError(
                f"no @{CHAMPION} for model {model_name!r}: run `make register` first, or set "
                "MODEL_VERSION to a registered version"
            )
    else:
        tracking.aliases_of(model_name, version)  # a version that does not exist: one line
    run = tracking.run_of_version(model_name, version)
    with tempfile.TemporaryDirectory() as scratch:
        local = tracking.download_model(model_name, version, Path(scratch))
        features, _ = tracking.input_example(local)
        return batches.Model(
            name=model_name,
            version=version,
            run_id=run.run_id,
            fitted=tracking.load_model(str(local)),
            features=features,
            bounds=tracking.feature_bounds_of(local),
        )


def load_packed(model_name: str) -> batches.Model:
    """The model packed in the bento this runs from (the service's image): no registry, and
    only the service's packages (no MLflow, pandas or pandera in the image). The features and
    bounds are the ones the bento's model was imported with, the estimator the one the
    service loads (`model_loader`)."""
    from .. import model_loader
    from ..registry import bento_store

    packed = bento_store.packed_model(model_name)
    return batches.Model(
        name=model_name,
        version=packed.version,
        run_id=packed.run_id,
        fitted=model_loader.load(packed.folder),
        features=packed.features,
        bounds=packed.bounds,
    )


class Output:
    """The output Parquet file, written table by table; renamed into place when complete."""

    def __init__(self, location: str) -> None:
        self.location = location
        self.fs, self.path = filesystem(location)
        self.local = isinstance(self.fs, pafs.LocalFileSystem)
        if self.local:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.target = f"{self.path}{PARTIAL_SUFFIX}" if self.local else self.path
        self.writer: pq.ParquetWriter | None = None

    def write(self, table: pa.Table, metadata: dict[str, str]) -> None:
        if self.writer is None:
            schema = table.schema.with_metadata(metadata)
            self.writer = pq.ParquetWriter(self.target, schema, filesystem=self.fs)
        self.writer.write_table(table.cast(self.writer.schema))

    def close(self, *, complete: bool) -> None:
        if self.writer is not None:
            self.writer.close()
        if complete and self.local:
            os.replace(self.target, self.path)
        elif not complete and self.writer is not None:
            self.fs.delete_file(self.target)


class Behind:
    """Writes the output in a thread of its own, one table behind the scoring: Parquet's
    encoding and compression release the GIL, so they overlap the next chunk's reading and
    prediction. At most `depth` tables wait (memory stays bounded); a failed write is raised
    in the scoring thread at the next table or at the end."""

    def __init__(self, output: Output, metadata: dict[str, str], depth: int = 2) -> None:
        self.output, self.metadata = output, metadata
        self.queue: queue.Queue[pa.Table | None] = queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._drain, name="score-writer", daemon=True)
        self.thread.start()

    def _drain(self) -> None:
        while (table := self.queue.get()) is not None:
            if self.error is None:
                try:
                    self.output.write(table, self.metadata)
                except BaseException as error:  # handed to the scoring thread
                    self.error = error

    def write(self, table: pa.Table) -> None:
        self._raise()
        self.queue.put(table)

    def finish(self) -> None:
        """Wait for every queued table to be written."""
        self.queue.put(None)
        self.thread.join()
        self._raise()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error


def chunk_rows() -> int:
    setting = os.environ.get(CHUNK_ROWS_ENV, "").strip() or str(DEFAULT_CHUNK_ROWS)
    if not setting.isdigit() or int(setting) < 1:
        raise PipelineError(f"{CHUNK_ROWS_ENV}={setting!r}: set it to a number of rows above 0")
    return int(setting)


def progress(every: float = PROGRESS_SECONDS) -> Callable[[int], None]:
    """A callback printing rows done and the rate to stderr, at most every `every` seconds."""
    started = last = time.monotonic()

    def report(rows: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= every:
            last = now
            rate = rows / max(now - started, 1e-9)
            print(f"score: {rows:,} rows scored ({rate:,.0f} rows/s)", file=sys.stderr, flush=True)

    return report


def score(
    model: batches.Model,
    input_location: str,
    output_location: str,
    id_column: str | None = None,
    rows: int = DEFAULT_CHUNK_ROWS,
    report: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Score every input row into the output file; what was done, for the summary line."""
    src = source(input_location)
    batches.output_names(model, id_column)  # an id column named like an output: stop first
    scored_at = dt.datetime.now(dt.UTC)
    metadata = {
        batches.MODEL_VERSION: model.version,
        batches.RUN_ID: model.run_id,
        "model_name": model.name,
        batches.SCORED_AT: scored_at.isoformat(),
    }
    columns = batches.input_columns(model, id_column)
    chunks = ahead(batches.rechunked(read(src, columns, model.features, rows), rows))
    output, done, started = Output(output_location), 0, time.monotonic()
    writer = Behind(output, metadata)
    try:
        try:
            for table in batches.scored(chunks, model, scored_at, id_column):
                writer.write(table)
                done += table.num_rows
                if report:
                    report(done)
        finally:
            writer.finish()
        if done == 0:
            raise PipelineError(f"{input_location} holds no rows to score")
    except BaseException:
        output.close(complete=False)
        raise
    output.close(complete=True)
    seconds = time.monotonic() - started
    return {"rows": done, "files": len(src.files), "seconds": seconds}


def main(model_name: str, input_location: str, output_location: str, id_column: str | None,
         *, packed: bool = False) -> None:  # fmt: skip
    version = os.environ.get("MODEL_VERSION", "").strip() or None
    if version is not None and not version.isdigit():
        raise PipelineError(f"set MODEL_VERSION to a registered version number, not {version!r}")
    if packed and version is not None:
        raise PipelineError("--packed scores the bento's own model: unset MODEL_VERSION")
    rows = chunk_rows()
    source(input_location)  # a missing input fails before the model is loaded
    model = load_packed(model_name) if packed else load_registered(model_name, version)
    done = score(model, input_location, output_location, id_column, rows, progress())
    which = "packed in the bento" if packed else "MODEL_VERSION" if version else f"@{CHAMPION}"
    rate = done["rows"] / max(done["seconds"], 1e-9)
    print(
        f"score: {done['rows']:,} rows from {done['files']} file(s) -> {output_location} by "
        f"{model_name} v{model.version} ({which}) in {done['seconds']:.1f} s ({rate:,.0f} rows/s)"
    )
