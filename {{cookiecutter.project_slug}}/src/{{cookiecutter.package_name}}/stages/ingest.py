"""ingest: read the configured source, check it against the data contract, write data/raw/."""

from __future__ import annotations

from .. import schema
from ..config import IngestParams, Params
from ..data_io import RAW_DATA, load_source, write_table


def run(params: IngestParams) -> None:
    df = schema.validate(load_source(params), params.target)
    write_table(df, RAW_DATA)
    print(f"ingest: {len(df)} rows x {df.shape[1] - 1} features -> {RAW_DATA}")


def main(params: Params) -> None:
    run(params.ingest)
