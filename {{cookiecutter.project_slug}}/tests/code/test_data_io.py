"""Unit tests of the data edge: bundled data, your own files and content hashes."""

from __future__ import annotations

import hashlib
from typing import get_args

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }} import task
from {{ cookiecutter.package_name }}.config import IngestParams
from {{ cookiecutter.package_name }}.data_io import (
    DataError,
    load_source,
    md5,
    read_json,
    read_table,
    write_json,
    write_table,
)


@pytest.mark.parametrize("name", get_args(task.BundledDataset))
def test_bundled_dataset_names_its_target_and_keeps_class_names(name: str):
    """A bundled dataset's target column carries the configured name; where the dataset names
    its classes, the target holds those names, not integer codes."""
    from sklearn import datasets

    df = load_source(IngestParams(dataset=name, target="outcome"))
    bunch = getattr(datasets, f"load_{name}")()
    if "target_names" in bunch:
        assert set(df["outcome"]) == {str(label) for label in bunch.target_names}
    else:
        assert df["outcome"].dtype.kind == "f"


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_own_file_with_another_target_loads(tmp_path, suffix):
    """A CSV or Parquet file with any target column name is a valid source."""
    df = pd.DataFrame({"a": np.arange(5.0), "price": np.arange(5.0) * 2})
    path = tmp_path / f"houses{suffix}"
    df.to_csv(path, index=False) if suffix == ".csv" else df.to_parquet(path, index=False)
    loaded = load_source(IngestParams(path=path, target="price"))
    pd.testing.assert_frame_equal(loaded, df)


def test_wrong_target_lists_the_columns(tmp_path):
    """A target absent from the file is reported with the columns that exist."""
    path = tmp_path / "houses.csv"
    pd.DataFrame({"a": [1.0], "b": [2.0]}).to_csv(path, index=False)
    with pytest.raises(DataError, match="columns are: a, b"):
        load_source(IngestParams(path=path, target="price"))


def test_missing_file_is_reported(tmp_path):
    """A path that does not exist is named in the error."""
    with pytest.raises(DataError, match=r"missing\.csv not found"):
        read_table(tmp_path / "missing.csv")


def test_written_table_reads_back_identically(tmp_path):
    """Tables round-trip through Parquet unchanged, creating folders as needed."""
    df = pd.DataFrame({"a": [1.5, 2.5], "b": ["x", "y"]})
    write_table(df, tmp_path / "deep" / "t.parquet")
    pd.testing.assert_frame_equal(read_table(tmp_path / "deep" / "t.parquet"), df)


def test_md5_matches_hashlib(tmp_path):
    """The content hash is the plain md5 that DVC 3 records."""
    path = tmp_path / "f.bin"
    path.write_bytes(b"abc" * 1000)
    assert md5(path) == hashlib.md5(b"abc" * 1000, usedforsecurity=False).hexdigest()


def test_missing_pipeline_output_says_to_run_the_pipeline(tmp_path):
    """Reading an output the pipeline has not written yet tells what to run."""
    with pytest.raises(DataError, match=r"metrics\.json is missing: run `make repro` first"):
        read_json(tmp_path / "metrics.json")


def test_json_outputs_are_byte_stable(tmp_path):
    """The same data always gives the same bytes (sorted keys), so dvc.lock can reproduce."""
    write_json({"b": 1, "a": [1.5]}, tmp_path / "one.json")
    write_json({"a": [1.5], "b": 1}, tmp_path / "two.json")
    assert (tmp_path / "one.json").read_bytes() == (tmp_path / "two.json").read_bytes()
    assert read_json(tmp_path / "one.json") == {"a": [1.5], "b": 1}


def test_empty_csv_is_reported_in_one_line(tmp_path):
    """A 0-byte CSV is named as empty, not a pandas parser error."""
    path = tmp_path / "customers.csv"
    path.write_bytes(b"")
    with pytest.raises(DataError, match=r"customers\.csv is empty"):
        read_table(path)


def test_unreadable_parquet_is_reported(tmp_path):
    """A file that is not Parquet inside is named as unreadable."""
    path = tmp_path / "customers.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(DataError, match=r"customers\.parquet is not a readable Parquet table"):
        read_table(path)
