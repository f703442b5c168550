"""Data contract: what raw and prepared tables must look like (pure: no I/O)."""

from __future__ import annotations

import functools
import re

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from . import task
from .feature_matrix import DataContractError, finite_or_missing, within_or_missing

MIN_ROWS = 20


# A feature's rules are `feature_matrix`'s element-wise functions on float values (missing = NaN,
# which passes: the model imputes it): pandera applies them to a training table's columns
# (`table_schema`), `feature_matrix.checked` to a batch's whole matrix (`make score`).


def _finite(series: pd.Series) -> pd.Series:
    """Element-wise, so a failure names its rows."""
    return pd.Series(finite_or_missing(series.to_numpy(dtype=float)), index=series.index)


def target_column(target: str) -> pa.Column:
    """Present in every row; a finite number when the task needs one."""
    if task.NUMERIC_TARGET:
        finite = pa.Check(_finite, error="finite")
        return pa.Column(float, nullable=False, coerce=True, name=target, checks=finite)
    return pa.Column(nullable=False, name=target)


def feature_column(
    name: str, *, regex: bool = False, nullable: bool = True, bound: float | None = None
) -> pa.Column:
    """A feature: a finite number (coerced to float), or missing when `nullable`; within
    ±`bound` when one is given (a model's feature bounds, `api.feature_bounds`)."""
    checks = [pa.Check(_finite, error="finite")]
    if bound is not None:
        within = functools.partial(_within, bound=bound)
        checks.append(pa.Check(within, error=f"within ±{bound:g}"))
    return pa.Column(float, nullable=nullable, coerce=True, regex=regex, name=name, checks=checks)


def _within(series: pd.Series, bound: float) -> pd.Series:
    return pd.Series(within_or_missing(series.to_numpy(dtype=float), bound), index=series.index)


def table_schema(target: str, *, allow_missing_features: bool = True) -> pa.DataFrameSchema:
    """Numeric features (any name but the target's) plus the target."""
    features = feature_column(
        rf"^(?!{re.escape(target)}$).+$", regex=True, nullable=allow_missing_features
    )
    return pa.DataFrameSchema(
        {target: target_column(target), features.name: features},
        checks=[
            pa.Check(lambda df: len(df) >= MIN_ROWS, error=f"at least {MIN_ROWS} rows"),
            pa.Check(lambda df: df.shape[1] >= 2, error="at least one feature column"),
        ],
        strict=False,
        name=f"{task.NAME} table",
    )


def describe_failures(failure_cases: pd.DataFrame) -> str:
    grouped = failure_cases.fillna({"column": "<table>"}).groupby(["column", "check"], sort=True)
    return "; ".join(
        f"{column}: {check} ({len(cases)} cases)" for (column, check), cases in grouped
    )


def not_numbers(series: pd.Series) -> pd.Series:
    """The values of a column that are neither a number nor missing."""
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return series.iloc[:0]
    return series[pd.to_numeric(series, errors="coerce").isna() & series.notna()]


def check_numeric(df: pd.DataFrame, target: str) -> None:
    """Name the first column that must be numeric and is not, with a value from it: the
    schema's own report of a failed coercion names a pattern and a dtype, not the column."""
    numeric = [column for column in df.columns if column != target or task.NUMERIC_TARGET]
    for column in numeric:
        bad = not_numbers(df[column])
        if len(bad):
            role = "the target" if column == target else "a feature"
            raise DataContractError(
                f"column {column!r} ({role}) is not numeric: {bad.iloc[0]!r} is not a number "
                f"({len(bad)} such values), the first in row {bad.index[0]}; convert or drop "
                "the column (an empty cell is a missing value)"
            )


def validate(df: pd.DataFrame, target: str) -> pd.DataFrame:
    """Return `df` with features coerced to float, or raise listing every broken rule."""
    if target not in df.columns:
        columns = ", ".join(map(str, df.columns))
        raise DataContractError(f"target column {target!r} not found; columns are: {columns}")
    check_numeric(df, target)
    try:
        # In place: the checked table is the one that is written on (a copy would double the
        # memory of a large table).
        return table_schema(target).validate(df, lazy=True, inplace=True)
    except SchemaErrors as errors:
        raise DataContractError(describe_failures(errors.failure_cases)) from None


def feature_names(df: pd.DataFrame, target: str) -> list[str]:
    return [str(column) for column in df.columns if column != target]


def split_features_target(df: pd.DataFrame, target: str) -> tuple[pd.DataFrame, pd.Series]:
    return df[feature_names(df, target)], df[target]


def summary(df: pd.DataFrame, target: str) -> pd.DataFrame:
    """One row per column: its role, type, share of missing values and range (for people)."""
    numeric = df.select_dtypes("number")
    return pd.DataFrame(
        {
            "role": ["target" if column == target else "feature" for column in df.columns],
            "dtype": df.dtypes.astype(str),
            "missing": df.isna().mean().round(4),
            "min": numeric.min().reindex(df.columns),
            "max": numeric.max().reindex(df.columns),
        },
        index=df.columns,
    )


def target_balance(y: pd.Series) -> pd.Series:
    """Each label's share of the rows, or the quantiles of a numeric target."""
    if task.NUMERIC_TARGET:
        return y.quantile([0.0, 0.25, 0.5, 0.75, 1.0])
    return y.value_counts(normalize=True).round(4)
