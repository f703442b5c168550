"""Reading the configured source and the pipeline's files (file-system edge)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .config import IngestParams
from .errors import PipelineError


class DataError(PipelineError):
    """The configured data cannot be read or lacks what params.yaml says it has."""


def load_bundled(name: str, target: str) -> pd.DataFrame:
    """A scikit-learn dataset shipped inside the package: no download, ever. Where the dataset
    names its classes (breast_cancer: malignant/benign), the target holds the names, not codes."""
    from sklearn import datasets

    bunch = getattr(datasets, f"load_{name}")(as_frame=True)
    frame = bunch.frame.rename(columns={"target": target})
    if "target_names" in bunch:
        frame[target] = np.asarray(bunch.target_names, dtype=object)[frame[target].to_numpy()]
    return frame


def read_table(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(f"{path} not found")
    if path.suffix.lower() == ".csv":
        try:
            return pd.read_csv(path)
        except pd.errors.EmptyDataError:
            empty = f"{path} is empty (no header row, no data): export the table again"
            raise DataError(empty) from None
        except pd.errors.ParserError as error:
            raise DataError(f"{path} is not a readable CSV table: {error}".strip()) from None
    try:
        table = pq.read_table(path, memory_map=True)
    except pa.ArrowInvalid as error:
        raise DataError(f"{path} is not a readable Parquet table: {error}") from None
    # Arrow's columns are freed as they become pandas' (half the peak), and Arrow's allocator
    # hands the decoding buffers back: otherwise a 250 MB table keeps about 800 MB resident.
    df = table.to_pandas(split_blocks=True, self_destruct=True)
    del table
    pa.default_memory_pool().release_unused()
    return df


def load_source(params: IngestParams) -> pd.DataFrame:
    if params.path is not None:
        df = read_table(params.path)
    else:
        df = load_bundled(str(params.dataset), params.target)
    if params.target not in df.columns:
        columns = ", ".join(map(str, df.columns))
        raise DataError(f"target column {params.target!r} not found; columns are: {columns}")
    return df


def write_table(df: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_parquet(path, index=False)


def read_json(path: Path) -> Any:
    """A pipeline output; missing means the pipeline has not run here yet."""
    if not path.is_file():
        raise DataError(f"{path} is missing: run `make repro` first")
    return json.loads(path.read_text(encoding="utf-8"))


def write_json(data: Any, path: Path) -> None:
    """Sorted keys and a final newline: the same data always gives the same bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def md5(path: Path) -> str:
    """The content hash DVC 3 records for a file in dvc.lock."""
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
