"""Release metadata: the container image's OCI labels (the standard ones plus the model's
lineage, read from the BentoML store), one `key=value` per line for `make image`."""

from __future__ import annotations

from . import git
from .config import load_params
from .registry.bento_store import latest_labels
from .reports.facts import project_metadata
from .vocabulary import LABEL_DATA_MD5, LABEL_MODEL, LABEL_RUN_ID, LABEL_VERSION

# Besides the OCI standard keys: which model, version, run and data the image serves.
MODEL_LABEL = "io.mlflow.model"
MODEL_VERSION_LABEL = "io.mlflow.model-version"
RUN_ID_LABEL = "io.mlflow.run-id"
DATA_MD5_LABEL = "io.dvc.data-md5"


def oci_labels() -> dict[str, str]:
    lineage = latest_labels(load_params().registry.model_name)
    project = project_metadata()
    labels = {
        "org.opencontainers.image.title": project["name"],
        "org.opencontainers.image.revision": git.run("rev-parse", "HEAD").strip(),
        "org.opencontainers.image.version": f"model-{lineage[LABEL_VERSION]}",
        "org.opencontainers.image.source": project.get("urls", {}).get("Repository", ""),
        "org.opencontainers.image.licenses": project.get("license", ""),
        MODEL_LABEL: lineage[LABEL_MODEL],
        MODEL_VERSION_LABEL: lineage[LABEL_VERSION],
        RUN_ID_LABEL: lineage[LABEL_RUN_ID],
        DATA_MD5_LABEL: lineage[LABEL_DATA_MD5],
    }
    # One `key=value` per line for the shell: values with spaces would split.
    return {key: value for key, value in labels.items() if value and " " not in value}
