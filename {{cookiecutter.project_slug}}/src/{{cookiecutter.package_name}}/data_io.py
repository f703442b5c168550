"""Reading the configured source and the pipeline's tables (file-system edge)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from .config import IngestParams, PipelineError

RAW_DATA = Path("data/raw/dataset.parquet")
TRAIN_DATA = Path("data/prepared/train.parquet")
TEST_DATA = Path("data/prepared/test.parquet")


class DataError(PipelineError):
    """The configured data cannot be read or lacks what params.yaml says it has."""


def load_bundled(name: str, target: str) -> pd.DataFrame:
    """A scikit-learn dataset shipped inside the package: no download, ever."""
    from sklearn import datasets

    bunch = getattr(datasets, f"load_{name}")(as_frame=True)
    return bunch.frame.rename(columns={"target": target})


def read_table(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(f"{path} not found")
    if path.suffix.lower() == ".csv":
        return pd.read_csv(path)
    return pd.read_parquet(path)


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


def md5(path: Path) -> str:
    """The content hash DVC 3 records for a file in dvc.lock."""
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
