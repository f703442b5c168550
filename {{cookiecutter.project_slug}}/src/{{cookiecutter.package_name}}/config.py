"""Typed view of `params.yaml`: a misspelt key or a wrong value fails on load, naming the key.

The task decides which datasets, estimators and metrics are valid names (`task.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from . import task
from .errors import PipelineError
from .paths import PARAMS_FILE, PREDICTION_LOG_DIR

TABLE_SUFFIXES = (".csv", ".parquet")


class ParamsError(PipelineError):
    """params.yaml does not describe a valid pipeline; the message names the offending keys."""


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IngestParams(Section):
    dataset: task.BundledDataset | None = None
    path: Path | None = None
    target: str = Field(min_length=1)

    @model_validator(mode="after")
    def _exactly_one_source(self) -> IngestParams:
        if (self.dataset is None) == (self.path is None):
            raise ValueError("set exactly one of `dataset` (bundled data) or `path` (your file)")
        if self.path is not None and self.path.suffix.lower() not in TABLE_SUFFIXES:
            raise ValueError(f"`path` must end in one of {', '.join(TABLE_SUFFIXES)}")
        return self


class PrepareParams(Section):
    test_size: float = Field(gt=0, lt=1)
    seed: int
    drop_duplicates: bool = True


class TrainParams(Section):
    experiment: str = Field(min_length=1)
    seed: int
    estimator: task.Estimator
    hyperparameters: dict[str, Any] = Field(default_factory=dict)


class EvaluateParams(Section):
    thresholds: dict[task.MetricName, float] = Field(default_factory=dict)
    directional: dict[str, Literal["increase", "decrease"]] = Field(default_factory=dict)


class RegistryParams(Section):
    model_name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    metric: task.MetricName
    min_improvement: float = Field(ge=0)


class MonitorParams(Section):
    """What `make monitor` reads and how it decides (README: "Monitoring")."""

    logs: Path = PREDICTION_LOG_DIR
    days: int = Field(default=7, gt=0)
    window_rows: int = Field(default=50, gt=0)
    windows: int = Field(default=3, gt=0)
    sustained: int = Field(default=2, gt=0)
    features: list[str] | None = None
    alpha: float = Field(default=0.05, gt=0, lt=1)
    max_metric_drop: float = Field(default=0.05, ge=0)

    @model_validator(mode="after")
    def _sustained_within_windows(self) -> MonitorParams:
        if self.sustained > self.windows:
            raise ValueError(
                f"`sustained` ({self.sustained}) counts drifting windows among the newest "
                f"`windows` ({self.windows}): set it to at most {self.windows}"
            )
        if self.features is not None and not self.features:
            raise ValueError("`features: []` tests no feature: list some, or null for all")
        return self


class Params(Section):
    ingest: IngestParams
    prepare: PrepareParams
    train: TrainParams
    evaluate: EvaluateParams
    registry: RegistryParams
    # Optional so a project made before monitoring existed still loads; the defaults apply.
    monitor: MonitorParams = Field(default_factory=MonitorParams)


def parse_params(raw: Any, source: str = str(PARAMS_FILE)) -> Params:
    try:
        return Params.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in issue['loc']) or '<top>'}: {issue['msg']}"
            for issue in error.errors()
        )
        raise ParamsError(f"{source}: {problems}") from None


def check_directional(directional: Mapping[str, str], features: list[str]) -> None:
    """The behaviour tests' features must be columns of the data: dataset-specific settings are
    checked when the data is read, not when a test fails much later."""
    unknown = [name for name in directional if name not in features]
    if unknown:
        raise ParamsError(
            f"evaluate.directional.{unknown[0]}: not a feature of the data (features: "
            f"{', '.join(features)}); name one of them, or set `directional: " + "{}`"
        )


def load_params(path: Path = PARAMS_FILE) -> Params:
    if not path.is_file():
        raise ParamsError(f"{path} not found: run from the project root")
    return parse_params(yaml.safe_load(path.read_text(encoding="utf-8")), str(path))
