"""contract: write the HTTP API's JSON schema for the features the model is trained on."""

from __future__ import annotations

import json

from ..api import api_schema
from ..config import Params
from ..data_io import TRAIN_DATA, read_table
from ..schema import feature_names
from . import API_SCHEMA_FILE


def run(target: str) -> dict:
    schema = api_schema(feature_names(read_table(TRAIN_DATA), target))
    text = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    API_SCHEMA_FILE.write_text(text, encoding="utf-8")
    print(f"contract: {len(schema)} endpoints -> {API_SCHEMA_FILE}")
    return schema


def main(params: Params) -> None:
    run(params.ingest.target)
