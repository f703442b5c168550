"""`make logs-pull` / `make logs-push`: the prediction log folder to and from where production
ships it, any fsspec URL (s3://, gs://, az://, a local path; fsspec comes with DVC, the
object stores' packages with DVC's extras)."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import PipelineError

URL_ENV = "PREDICTION_LOGS_URL"


def logs_url() -> str:
    url = os.environ.get(URL_ENV, "").strip()
    if not url:
        raise PipelineError(
            f"set {URL_ENV} to where production ships its prediction logs "
            "(e.g. s3://bucket/prediction-logs or a local folder)"
        )
    return url


def pull(url: str, folder: Path) -> int:
    """Copy every file under `url` into `folder` (same relative paths); the count copied."""
    import fsspec

    fs, root = fsspec.core.url_to_fs(url)
    if not fs.exists(root):
        raise PipelineError(f"{url} does not exist: nothing to pull")
    files = [path for path in fs.find(root) if not fs.isdir(path)]
    for path in files:
        target = folder / Path(path).relative_to(Path(root))
        target.parent.mkdir(parents=True, exist_ok=True)
        fs.get_file(path, str(target))
    return len(files)


def push(folder: Path, url: str) -> int:
    """Copy every file under `folder` to `url` (same relative paths); the count copied."""
    import fsspec

    if not folder.is_dir():
        raise PipelineError(f"no prediction log folder {folder}: nothing to push")
    fs, root = fsspec.core.url_to_fs(url)
    files = [path for path in sorted(folder.rglob("*")) if path.is_file()]
    for path in files:
        target = f"{root.rstrip('/')}/{path.relative_to(folder).as_posix()}"
        fs.makedirs(target.rpartition("/")[0], exist_ok=True)
        fs.put_file(str(path), target)
    return len(files)
