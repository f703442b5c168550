"""Batch scoring's pure core: chunks of input rows -> validated features -> predictions tables.

Every chunk is checked against the data contract with the training features' rule (and the
model's feature bounds, as the service checks them), its rows numbered as in the whole input,
so an error names the row and the column wherever the chunk came from. The answer columns are
the task's (`task.answer_columns`); every row also carries the model version, the run id and
the time of the run, and the id column passed through when one is named.

Arrow and NumPy only, no pandas: the service's image scores with it too (`score --packed`). The
model gets the features as one column-major float matrix, laid out as a DataFrame's values are
(`feature_matrix`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from .. import feature_matrix, task
from ..errors import PipelineError

# The columns every scored row carries besides the answer (and the id column, first).
MODEL_VERSION = "model_version"
RUN_ID = "run_id"
SCORED_AT = "scored_at"


@dataclass(frozen=True)
class Model:
    """A registered version, loaded: what scoring needs of it, as plain values."""

    name: str
    version: str
    run_id: str
    fitted: Any  # the scikit-learn pipeline
    features: list[str]  # in training order
    bounds: dict[str, float] | None  # None: logged before the bounds were
    # The fitted pipeline's copy that scores the feature matrix (`feature_matrix.positional`).
    predictor: Any = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "predictor", feature_matrix.positional(self.fitted))


def answer_names(model: Model) -> list[str]:
    """The task's answer columns for this model, in order (from a one-row answer)."""
    example = np.zeros((1, len(model.features)))
    outputs = task.predict(model.predictor, example)
    return list(task.answer_columns(outputs, task.classes(model.fitted)))


def output_names(model: Model, id_column: str | None) -> list[str]:
    """The output's columns; PipelineError when the id column's name is one of them."""
    names = [*answer_names(model), MODEL_VERSION, RUN_ID, SCORED_AT]
    if id_column in names:
        raise PipelineError(
            f"the id column {id_column!r} has the name of an output column ({', '.join(names)}): "
            "rename it in the input"
        )
    return [id_column, *names] if id_column else names


def input_columns(model: Model, id_column: str | None) -> list[str]:
    """The columns read from the input: the features, then the id column."""
    extra = [id_column] if id_column and id_column not in model.features else []
    return [*model.features, *extra]


def contract(model: Model) -> dict[str, float | None]:
    """Each feature's bound (None: a model logged before the bounds were), in training order."""
    bounds = model.bounds or {}
    return {name: bounds.get(name) for name in model.features}


def rechunked(batches: Iterable[pa.RecordBatch | pa.Table], rows: int) -> Iterator[pa.Table]:
    """The same rows as tables of exactly `rows` rows (the last one shorter): files' own row
    groups and CSV blocks vary in size, the cost per chunk should not."""
    pending: list[pa.Table] = []
    held = 0
    for batch in batches:
        table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
        pending.append(table)
        held += table.num_rows
        while held >= rows:
            joined = pa.concat_tables(pending)
            yield joined.slice(0, rows)
            rest = joined.slice(rows)
            pending, held = ([rest] if rest.num_rows else []), rest.num_rows
    if held:
        yield pa.concat_tables(pending)


def validated(
    chunk: pa.Table, model: Model, bounds: dict[str, float | None], first_row: int
) -> np.ndarray:
    """The chunk's features as floats in training order, rows numbered from `first_row`; a
    DataContractError names the first row and column that break the contract."""
    feature_matrix.require_columns(model.features, chunk.column_names)
    # One copy, straight from Arrow's buffers into one column-major float block, as pandas lays
    # out a table it reads: the model takes it without copying again and sums in the same order
    # as on a DataFrame of these rows (the same outputs, bit for bit).
    values = np.empty((chunk.num_rows, len(model.features)), order="F")
    for position, name in enumerate(model.features):
        fill(values[:, position], chunk.column(name), name, first_row)
    return feature_matrix.checked(values, bounds, first_row)


def fill(into: np.ndarray, column: pa.ChunkedArray, name: str, first_row: int) -> None:
    """One feature column as floats (a null as NaN) into `into`; a DataContractError names
    the first value that is no number. Numbers and booleans are converted as pandas converts
    them; text holding numbers too (Python's `float`), row by row."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        column, kind = column.cast(kind.value_type), kind.value_type
    checks = (pa.types.is_integer, pa.types.is_floating, pa.types.is_boolean,
              pa.types.is_decimal, pa.types.is_null)  # fmt: skip
    if any(check(kind) for check in checks):
        # Unchecked: an integer above 2**53 becomes the nearest float, as in pandas.
        as_float = column if kind == pa.float64() else column.cast(pa.float64(), safe=False)
        start = 0
        for piece in as_float.chunks:
            into[start : start + len(piece)] = piece.to_numpy(zero_copy_only=False)
            start += len(piece)
        return
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        present = column.drop_null()
        if len(present):
            first = int(np.flatnonzero(column.is_valid().to_numpy(zero_copy_only=False))[0])
            value = present[0].as_py()
            raise feature_matrix.not_a_number(first_row + first, name, value, len(present))
        into[:] = math.nan
        return
    bad: list[tuple[int, str]] = []
    for row, text in enumerate(column.to_pylist()):
        try:
            into[row] = math.nan if text is None else float(text)
        except ValueError:
            bad.append((row, text))
    if bad:
        row, text = bad[0]
        raise feature_matrix.not_a_number(first_row + row, name, text, len(bad))


def constant(value: Any, rows: int, kind: pa.DataType) -> pa.Array:
    """One value on every row (Parquet's dictionary and run-length encoding store it once)."""
    return pa.repeat(pa.scalar(value, type=kind), rows)


def predictions(
    chunk: pa.Table,
    model: Model,
    bounds: dict[str, float | None],
    first_row: int,
    scored_at: dt.datetime,
    id_column: str | None = None,
) -> pa.Table:
    """One chunk scored: [id,] the task's answer columns, model version, run id, time."""
    X = validated(chunk, model, bounds, first_row)
    outputs = task.predict(model.predictor, X)
    columns: dict[str, Any] = {}
    if id_column:
        columns[id_column] = chunk.column(id_column)
    columns.update(task.answer_columns(outputs, task.classes(model.fitted)))
    rows = chunk.num_rows
    columns[MODEL_VERSION] = constant(model.version, rows, pa.string())
    columns[RUN_ID] = constant(model.run_id, rows, pa.string())
    columns[SCORED_AT] = constant(scored_at, rows, pa.timestamp("us", tz="UTC"))
    return pa.table(columns)


def scored(
    chunks: Iterable[pa.Table],
    model: Model,
    scored_at: dt.datetime,
    id_column: str | None = None,
) -> Iterator[pa.Table]:
    """Every chunk's predictions, in input order; rows numbered across all chunks."""
    bounds, first_row = contract(model), 0
    for chunk in chunks:
        yield predictions(chunk, model, bounds, first_row, scored_at, id_column)
        first_row += chunk.num_rows
