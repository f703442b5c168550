"""ingest: read the configured source, check it against the data contract, write data/raw/."""

from __future__ import annotations

import sys

from .. import data_contract
from ..config import IngestParams, Params
from ..data_io import load_source, write_table
from ..paths import RAW_DATA
from . import run_stage


def run(params: IngestParams) -> None:
    df = data_contract.validate(load_source(params), params.target)
    write_table(df, RAW_DATA)
    print(f"ingest: {len(df)} rows x {df.shape[1] - 1} features -> {RAW_DATA}")


def main(params: Params) -> None:
    run(params.ingest)


if __name__ == "__main__":
    sys.exit(run_stage("ingest", main))
