"""DVC stage entry points: each reads its own params section, does I/O and calls the core."""

from pathlib import Path

MODEL_FILE = Path("models/model.joblib")
METRICS_FILE = Path("metrics.json")
PLOTS_DIR = Path("plots")
API_SCHEMA_FILE = Path("api_schema.json")
# Rows of training data logged with the model: its input example and the service's golden payload.
INPUT_EXAMPLE_ROWS = 5
