"""prepare: validate the raw table and split it (seeded) into train and test tables."""

from __future__ import annotations

import sys

from .. import data_contract
from ..config import Params, PrepareParams
from ..data_io import read_table, write_table
from ..paths import RAW_DATA, TEST_DATA, TRAIN_DATA
from ..split import split
from . import run_stage


def run(params: PrepareParams, target: str) -> None:
    raw = data_contract.validate(read_table(RAW_DATA), target)
    train, test = split(raw, target, params)
    for df, path in ((train, TRAIN_DATA), (test, TEST_DATA)):
        write_table(data_contract.validate(df, target), path)
    print(f"prepare: {len(train)} train rows -> {TRAIN_DATA}, {len(test)} test rows -> {TEST_DATA}")


def main(params: Params) -> None:
    run(params.prepare, params.ingest.target)


if __name__ == "__main__":
    sys.exit(run_stage("prepare", main))
