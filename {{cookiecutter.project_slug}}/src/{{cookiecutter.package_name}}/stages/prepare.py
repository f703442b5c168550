"""prepare: validate the raw table and split it (seeded) into train and test tables."""

from __future__ import annotations

from .. import schema
from ..config import Params, PrepareParams
from ..data_io import RAW_DATA, TEST_DATA, TRAIN_DATA, read_table, write_table
from ..features import split


def run(params: PrepareParams, target: str) -> None:
    raw = schema.validate(read_table(RAW_DATA), target)
    train, test = split(raw, target, params)
    for df, path in ((train, TRAIN_DATA), (test, TEST_DATA)):
        write_table(schema.validate(df, target), path)
    print(f"prepare: {len(train)} train rows -> {TRAIN_DATA}, {len(test)} test rows -> {TEST_DATA}")


def main(params: Params) -> None:
    run(params.prepare, params.ingest.target)
