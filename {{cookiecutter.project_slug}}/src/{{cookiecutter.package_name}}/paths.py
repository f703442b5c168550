"""Every file the pipeline, the registry steps and the reports read or write.

Relative to the project root, where DVC runs each stage; `dvc.yaml` names the same paths and a
test checks that the two agree.
"""

from __future__ import annotations

from pathlib import Path

PARAMS_FILE = Path("params.yaml")
DVC_LOCK = Path("dvc.lock")
PYPROJECT = Path("pyproject.toml")
UV_LOCK = Path("uv.lock")

EXTERNAL_DATA = Path("data/external")  # your own source files (tracked with `dvc add`)
RAW_DATA = Path("data/raw/dataset.parquet")
TRAIN_DATA = Path("data/prepared/train.parquet")
TEST_DATA = Path("data/prepared/test.parquet")
API_SCHEMA_FILE = Path("api_schema.json")
MODEL_FILE = Path("models/model.joblib")
METRICS_FILE = Path("metrics.json")
PLOTS_DIR = Path("plots")
# What production is compared with: training features and test-set outputs of this model.
REFERENCE_FILE = Path("data/reference/reference.parquet")
# The service's prediction log (git- and DVC-ignored: it holds raw features).
PREDICTION_LOG_DIR = Path("logs")
MONITOR_DIR = Path("build/monitor")

# What the DVC stages write, in pipeline order.
PIPELINE_OUTPUTS = (
    RAW_DATA, TRAIN_DATA, TEST_DATA, API_SCHEMA_FILE, MODEL_FILE, METRICS_FILE, PLOTS_DIR,
    REFERENCE_FILE,
)  # fmt: skip

# The folder this package was loaded from: the project in development, the bento's source
# folder when served, so the service finds params.yaml wherever it runs.
SOURCE_ROOT = Path(__file__).resolve().parents[2]
# Inside a BentoML store model imported from MLflow (`bentoml.mlflow.import_model`): the MLflow
# model folder, with its `MLmodel` file.
BENTO_MLFLOW_FOLDER = "mlflow_model"
MLMODEL_FILE = "MLmodel"
