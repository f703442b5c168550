"""`make traffic`: send the held-out test split (optionally shifted) to a running service.

Batches go to /predict_batch, each with an `X-Request-ID` chosen here, so that FEEDBACK=1 can
then POST every row's actual value to /feedback (HTTP edge: the standard library only).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from typing import Any

import pandas as pd

from ..errors import PipelineError
from . import shifts

BATCH_ROWS = 50
TIMEOUT_SECONDS = 30.0


def json_rows(X: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as a client sends them: a missing value is null."""
    return list(X.astype(object).where(X.notna(), None).to_dict(orient="records"))


def plain(value: Any) -> Any:
    """A NumPy scalar as the JSON value it stands for."""
    return value.item() if hasattr(value, "item") else value


def post(url: str, body: Any, request_id: str) -> Any:
    request = urllib.request.Request(  # noqa: S310 (the URL is the user's own service)
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "X-Request-ID": request_id},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
            return json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        detail = error.read()[:300].decode(errors="replace")
        raise PipelineError(f"POST {url} answered HTTP {error.code}: {detail}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise PipelineError(
            f"no service answers at {url} ({reason}): start it (`make serve`)"
        ) from None


def send(
    url: str, X: pd.DataFrame, y: pd.Series, *, feedback: bool, batch_rows: int = BATCH_ROWS
) -> dict[str, int]:
    """Send every row once (in batches); with `feedback`, then each row's actual value."""
    base = url.rstrip("/")
    run = uuid.uuid4().hex[:12]
    sent = answered = 0
    for number, part in enumerate(shifts.batches(len(X), batch_rows)):
        request_id = f"traffic-{run}-{number}"
        post(f"{base}/predict_batch", {"rows": json_rows(X.iloc[part])}, request_id)
        sent += part.stop - part.start
        if feedback:
            for row, actual in enumerate(y.iloc[part].tolist()):
                body = {"request_id": request_id, "row": row, "actual": plain(actual)}
                post(f"{base}/feedback", body, request_id)
                answered += 1
    return {"rows": sent, "feedback": answered}
