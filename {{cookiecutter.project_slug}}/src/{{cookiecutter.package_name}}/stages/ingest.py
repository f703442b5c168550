"""ingest: read the configured source, check it against the data contract and the
dataset-specific settings of params.yaml, write data/raw/."""

from __future__ import annotations

import sys
from collections.abc import Mapping

from .. import data_contract
from ..config import IngestParams, Params, check_directional
from ..data_io import load_source, write_table
from ..paths import RAW_DATA
from . import run_stage


def run(params: IngestParams, directional: Mapping[str, str]) -> None:
    df = data_contract.validate(load_source(params), params.target)
    check_directional(directional, data_contract.feature_names(df, params.target))
    write_table(df, RAW_DATA)
    print(f"ingest: {len(df)} rows x {df.shape[1] - 1} features -> {RAW_DATA}")


def main(params: Params) -> None:
    run(params.ingest, params.evaluate.directional)


if __name__ == "__main__":
    sys.exit(run_stage("ingest", main))
