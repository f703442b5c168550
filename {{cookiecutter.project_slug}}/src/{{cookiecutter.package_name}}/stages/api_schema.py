"""api_schema: write the HTTP API's JSON schema for the features the model is trained on."""

from __future__ import annotations

import sys
from typing import Any

from ..api import api_schema
from ..config import Params
from ..data_io import table_columns, write_json
from ..paths import API_SCHEMA_FILE, TRAIN_DATA
from . import run_stage


def run(target: str) -> dict[str, Any]:
    features = [name for name in table_columns(TRAIN_DATA) if name != target]
    schema = api_schema(features)
    write_json(schema, API_SCHEMA_FILE)
    print(f"api_schema: {len(schema)} endpoints -> {API_SCHEMA_FILE}")
    return schema


def main(params: Params) -> None:
    run(params.ingest.target)


if __name__ == "__main__":
    sys.exit(run_stage("api_schema", main))
