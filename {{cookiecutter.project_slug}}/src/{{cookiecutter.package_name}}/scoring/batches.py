"""Batch scoring's pure core: chunks of input rows -> validated features -> predictions tables.

Every chunk is checked against the data contract with the training features' rule (and the
model's feature bounds, as the service checks them), its rows numbered as in the whole input,
so an error names the row and the column wherever the chunk came from. The answer columns are
the task's (`task.answer_columns`); every row also carries the model version, the run id and
the time of the run, and the id column passed through when one is named.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .. import data_contract, task
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


def answer_names(model: Model) -> list[str]:
    """The task's answer columns for this model, in order (from a one-row answer)."""
    example = np.zeros((1, len(model.features)))
    frame = pd.DataFrame(example, columns=model.features)
    return list(task.answer_columns(task.predict(model.fitted, frame), task.classes(model.fitted)))


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
) -> pd.DataFrame:
    """The chunk's features as floats in training order, rows numbered from `first_row`; a
    DataContractError names the first row and column that break the contract."""
    # Arrow's float columns become pandas' without a copy; the contract makes the one copy,
    # into one column-major float block as pandas lays out a table it reads: the model takes
    # it without copying again (a frame of separate columns it would copy, twice) and sums in
    # the same order as on any DataFrame of these rows.
    frame = chunk.select(model.features).to_pandas(split_blocks=True)
    frame.index = pd.RangeIndex(first_row, first_row + chunk.num_rows)
    values = data_contract.validate_features(frame, bounds)
    return pd.DataFrame(values, index=frame.index, columns=model.features, copy=False)


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
    outputs = task.predict(model.fitted, X)
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
