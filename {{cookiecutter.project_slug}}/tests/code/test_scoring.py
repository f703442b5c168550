"""Batch scoring (`make score`): the pure core on the fixture model, and its file edges on
temporary files (no MLflow: the model is handed over loaded)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from {{ cookiecutter.package_name }} import task
from {{ cookiecutter.package_name }}.api import feature_bounds
from {{ cookiecutter.package_name }}.data_contract import DataContractError
from {{ cookiecutter.package_name }}.errors import PipelineError
from {{ cookiecutter.package_name }}.registry import bento_store
from {{ cookiecutter.package_name }}.scoring import batches, run

SCORED_AT = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def scorer(model, holdout) -> batches.Model:
    X, _ = holdout
    return batches.Model("scoring-test", "7", "run-7", model, list(X.columns), feature_bounds(X))


@pytest.fixture(scope="module")
def rows(holdout) -> pd.DataFrame:
    """The held-out features with an id column, as a file would hold them."""
    X, _ = holdout
    return X.reset_index(drop=True).assign(id=[f"row-{i}" for i in range(len(X))])


def chunks(frame: pd.DataFrame, size: int) -> list[pa.Table]:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return list(batches.rechunked(table.to_batches(max_chunksize=size), size))


def scored(scorer, frame: pd.DataFrame, size: int, id_column: str | None = "id") -> pd.DataFrame:
    tables = batches.scored(chunks(frame, size), scorer, SCORED_AT, id_column)
    return pa.concat_tables(tables).to_pandas()


def test_rechunked_cuts_equal_chunks_whatever_the_batches():
    """Batches of any sizes become chunks of exactly the requested rows, the last one shorter."""
    table = pa.table({"x": np.arange(25.0)})
    cut = batches.rechunked([table.slice(0, 3), table.slice(3, 15), table.slice(18)], 10)
    assert [chunk.num_rows for chunk in cut] == [10, 10, 5]


def test_chunked_scores_equal_one_shot_scores(scorer, rows):
    """Scoring in many small chunks gives the rows one chunk of everything gives (to the last
    bits only: BLAS sums a matrix product of another height in another order)."""
    chunked, whole = scored(scorer, rows, 17), scored(scorer, rows, len(rows))
    pd.testing.assert_frame_equal(chunked, whole, check_exact=False, rtol=1e-12, atol=0)


def test_output_holds_id_answers_model_version_run_id_and_time(scorer, rows):
    """The id column first, the task's answer columns, then the model's version, run id, time."""
    output = scored(scorer, rows, len(rows))
    X = rows.drop(columns="id")
    answers = task.answer_columns(task.predict(scorer.fitted, X), task.classes(scorer.fitted))
    assert list(output.columns) == ["id", *answers, "model_version", "run_id", "scored_at"]
    assert list(output.columns) == batches.output_names(scorer, "id")
    for name, values in answers.items():
        assert output[name].tolist() == list(values)
    assert set(output["model_version"]) == {"7"}
    assert set(output["run_id"]) == {"run-7"}
    assert set(output["scored_at"]) == {pd.Timestamp(SCORED_AT)}


def test_id_column_is_passed_through_in_input_order(scorer, rows):
    """Each output row carries its input row's id."""
    assert scored(scorer, rows, 40)["id"].tolist() == rows["id"].tolist()


def test_no_id_column_leaves_it_out(scorer, rows):
    """Without an id column, the output has the answers and the model's columns only."""
    assert "id" not in scored(scorer, rows, 30, id_column=None).columns


def test_bad_value_is_named_by_its_row_in_the_whole_input_and_its_column(scorer, rows):
    """A value breaking the contract in a later chunk names its input row, not the chunk's."""
    column = scorer.features[1]
    broken = rows.copy()
    broken.loc[12, column] = np.inf
    with pytest.raises(DataContractError, match=rf"^row 12, column '{column}': inf is not finite"):
        scored(scorer, broken, 10)


def test_text_value_is_named_by_row_and_column(scorer, rows):
    """A value that is no number names its row, its column and the value."""
    column = scorer.features[0]
    broken = rows.astype({column: str})
    broken.loc[3, column] = "heavy"
    with pytest.raises(DataContractError, match=rf"^row 3, column '{column}': 'heavy' is not a"):
        scored(scorer, broken, 100)


def test_value_beyond_the_models_bound_is_refused(scorer, rows):
    """The service's feature bounds hold in batch too."""
    column = scorer.features[0]
    broken = rows.copy()
    broken.loc[4, column] = scorer.bounds[column] * 10
    with pytest.raises(DataContractError, match=rf"^row 4, column '{column}': .* is not within"):
        scored(scorer, broken, 100)


def test_missing_values_are_scored(scorer, rows):
    """A missing feature value is imputed by the model, as in training and in the service."""
    gappy = rows.copy()
    gappy.loc[::4, scorer.features[0]] = np.nan
    assert scored(scorer, gappy, 40).notna().all().all()


def test_id_column_named_like_an_output_column_is_refused(scorer):
    """An id column that would collide with an output column stops the run in one line."""
    with pytest.raises(PipelineError, match="the id column 'model_version'"):
        batches.output_names(scorer, "model_version")


def test_score_writes_a_folder_of_csv_files_into_one_parquet_file(scorer, rows, tmp_path):
    """A folder of CSV files is scored in name order, in chunks, into one Parquet file."""
    folder = tmp_path / "input"
    folder.mkdir()
    rows.iloc[:60].to_csv(folder / "part-1.csv", index=False)
    rows.iloc[60:].to_csv(folder / "part-2.csv", index=False)
    (folder / "_SUCCESS").write_text("")
    output = tmp_path / "out" / "scores.parquet"
    done = run.score(scorer, str(folder), str(output), "id", rows=40)
    assert done["rows"] == len(rows)
    written = pq.read_table(output).to_pandas()
    assert written["id"].tolist() == rows["id"].tolist()
    assert pq.read_schema(output).metadata[b"model_version"] == b"7"


def test_csv_cell_that_is_no_number_names_its_row_across_files(scorer, rows, tmp_path):
    """A bad cell in the second file is named by its row in the whole input, and no output
    file is left behind."""
    column = scorer.features[2]
    broken = rows.astype({column: object})
    broken.loc[70, column] = "n/a?"
    broken.iloc[:60].to_csv(tmp_path / "a.csv", index=False)
    broken.iloc[60:].to_csv(tmp_path / "b.csv", index=False)
    output = tmp_path / "scores.parquet"
    with pytest.raises(DataContractError, match=rf"^row 70, column '{column}': not a number"):
        run.score(scorer, str(tmp_path), str(output), rows=40)
    assert list(tmp_path.glob("scores.parquet*")) == []


def test_missing_input_and_missing_feature_fail_in_one_line(scorer, rows, tmp_path):
    """A missing input and a file without a feature column are expected failures."""
    with pytest.raises(PipelineError, match="not found"):
        run.score(scorer, str(tmp_path / "nope.parquet"), str(tmp_path / "out.parquet"))
    rows.drop(columns=scorer.features[0]).to_parquet(tmp_path / "in.parquet")
    with pytest.raises(DataContractError, match=f"column '{scorer.features[0]}' not found"):
        run.score(scorer, str(tmp_path / "in.parquet"), str(tmp_path / "out.parquet"))


def packed_bento(root, metadata: str) -> Path:
    """A bento's model folder holding only its model.yaml, with these metadata lines."""
    stored = root / "models" / "m" / "abc"
    (stored / "mlflow_model").mkdir(parents=True)
    labels = "labels:\n  mlflow_version: '4'\n  mlflow_run_id: r4\n"
    (stored / "model.yaml").write_text(f"name: m\ncreation_time: '2026-01-01'\n{labels}{metadata}")
    return stored


def test_packed_model_is_read_from_the_bentos_files(tmp_path):
    """The bento's model folder, version, run id, features and bounds come from its model.yaml
    (the service's image has no MLflow to read them from the model folder)."""
    metadata = "metadata:\n  features: [b, a]\n  feature_bounds: {a: 2.5, b: 10}\n"
    stored = packed_bento(tmp_path, metadata)
    packed = bento_store.packed_model("m", str(tmp_path))
    assert (packed.folder, packed.version, packed.run_id) == (stored / "mlflow_model", "4", "r4")
    assert (packed.features, packed.bounds) == (["b", "a"], {"a": 2.5, "b": 10.0})


def test_packed_model_without_features_is_refused_in_one_line(tmp_path):
    """A model imported without the feature list in its metadata says to rebuild the image."""
    packed_bento(tmp_path, "metadata: {}\n")
    with pytest.raises(PipelineError, match=r"no 'features' in the model's metadata.*make build"):
        bento_store.packed_model("m", str(tmp_path))


def test_model_gets_one_column_major_float_matrix_and_no_column_names(scorer, rows):
    """The model scores a Fortran-ordered float64 matrix, as pandas lays out a table, with a
    copy that checks no column names (scikit-learn would warn on an array otherwise); the
    fitted pipeline itself keeps them."""
    table = pa.Table.from_pandas(rows, preserve_index=False)
    X = batches.validated(table, scorer, batches.contract(scorer), 0)
    assert (X.dtype, X.flags.f_contiguous) == (np.float64, True)
    assert not hasattr(scorer.predictor, "feature_names_in_")
    assert list(scorer.fitted.feature_names_in_) == scorer.features


def test_text_column_of_numbers_is_scored_as_numbers(scorer, rows):
    """A Parquet column of numbers stored as text (a missing value as null) is scored as the
    same numbers are."""
    column = scorer.features[0]
    gappy = rows.copy()
    gappy.loc[::5, column] = np.nan
    as_text = gappy.astype({column: object})
    as_text[column] = [None if np.isnan(v) else repr(float(v)) for v in gappy[column]]
    pd.testing.assert_frame_equal(scored(scorer, as_text, 50), scored(scorer, gappy, 50))


def test_integer_and_boolean_columns_are_scored_as_floats(scorer, rows):
    """Integer and boolean columns are converted as pandas converts them."""
    first, second = scorer.features[:2]
    exact = rows.assign(**{first: rows[first].round().astype("Int64"), second: rows[second] > 0})
    floats = exact.astype({first: float, second: float})
    pd.testing.assert_frame_equal(scored(scorer, exact, 50), scored(scorer, floats, 50))


def test_feature_column_missing_from_a_chunk_is_named(scorer, rows):
    """A chunk without a feature column names it and lists the chunk's columns."""
    missing = scorer.features[-1]
    with pytest.raises(DataContractError, match=rf"^feature column '{missing}' not found \(1 "):
        scored(scorer, rows.drop(columns=missing), 100)


def test_column_of_another_type_is_named_by_its_first_value(scorer, rows):
    """A column of dates is no number: its first value's row and column are named."""
    column = scorer.features[0]
    dated = rows.assign(**{column: pd.Timestamp("2026-01-01")})
    with pytest.raises(DataContractError, match=rf"^row 0, column '{column}': .* is not a number"):
        scored(scorer, dated, 100)
