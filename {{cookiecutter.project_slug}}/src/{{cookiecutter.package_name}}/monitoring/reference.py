"""The reference profile: what production is compared with, written by the evaluate stage.

One Parquet table: every feature of the training rows (`split` = train) and of the test rows
(`split` = test) with the model's outputs on them (`output.<name>`, null on training rows) and
the target (`actual`). Its schema metadata ties it to the model file (md5) that made it, so
the monitor compares production only with the reference of the model that served it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import PipelineError

SPLIT, TRAIN, TEST = "split", "train", "test"
OUTPUT_PREFIX = "output."
ACTUAL = "actual"
METADATA_KEY = b"reference"


@dataclass(frozen=True)
class Reference:
    train: pd.DataFrame  # features of the training rows
    test: pd.DataFrame  # features of the test rows
    outputs: dict[str, np.ndarray]  # the model's outputs on the test rows, by output name
    actual: np.ndarray  # the test rows' target
    model_md5: str
    target: str
    classes: np.ndarray | None

    @property
    def features(self) -> list[str]:
        return [str(name) for name in self.train.columns]


def build(
    train: pd.DataFrame,
    test: pd.DataFrame,
    target: str,
    outputs: Mapping[str, np.ndarray],
    *,
    model_md5: str,
    classes: np.ndarray | None,
) -> pa.Table:
    """The reference table of a model from its train and test tables (features + target)."""
    parts = []
    for name, table in ((TRAIN, train), (TEST, test)):
        part = table.drop(columns=[target]).astype(float)
        part[SPLIT] = name
        part[ACTUAL] = table[target].to_numpy()
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True)
    for name, values in outputs.items():
        frame[f"{OUTPUT_PREFIX}{name}"] = np.concatenate(
            [np.full(len(train), np.nan), np.asarray(values, dtype=float)]
        )
    table = pa.Table.from_pandas(frame, preserve_index=False)
    known = None if classes is None else np.asarray(classes).tolist()
    meta = {"model_md5": model_md5, "target": target, "classes": known}
    return table.replace_schema_metadata({METADATA_KEY: json.dumps(meta).encode()})


def write(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


def read(path: Path) -> Reference:
    if not path.is_file():
        raise PipelineError(
            f"no reference profile at {path}: run `make repro` (evaluate writes it)"
        )
    table = pq.read_table(path)
    meta: dict[str, Any] = json.loads((table.schema.metadata or {}).get(METADATA_KEY, b"{}"))
    if "model_md5" not in meta:
        raise PipelineError(f"{path} holds no reference metadata: run `make repro` again")
    frame = table.to_pandas()
    output_names = [c for c in frame.columns if str(c).startswith(OUTPUT_PREFIX)]
    features = [c for c in frame.columns if c not in {SPLIT, ACTUAL, *output_names}]
    test_rows = frame[SPLIT] == TEST
    classes = meta.get("classes")
    return Reference(
        train=frame.loc[~test_rows, features].reset_index(drop=True),
        test=frame.loc[test_rows, features].reset_index(drop=True),
        outputs={
            str(name).removeprefix(OUTPUT_PREFIX): frame.loc[test_rows, name].to_numpy()
            for name in output_names
        },
        actual=frame.loc[test_rows, ACTUAL].to_numpy(),
        model_md5=str(meta["model_md5"]),
        target=str(meta.get("target", "")),
        classes=None if classes is None else np.asarray(classes),
    )
