"""Shared by the test suites: the project root, its params and the task's metric names."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

from {{ cookiecutter.package_name }} import task
from {{ cookiecutter.package_name }}.config import load_params
from {{ cookiecutter.package_name }}.paths import PARAMS_FILE

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PARAMS = load_params(PROJECT_ROOT / PARAMS_FILE)
# The registered model the service tests register and serve (in a temporary registry).
SERVICE_MODEL = "service-test"

# One score where higher is better and one error where lower is better, of this task.
HIGHER = next(name for name in get_args(task.MetricName) if name not in task.LOWER_IS_BETTER)
LOWER = sorted(task.LOWER_IS_BETTER)[0]
