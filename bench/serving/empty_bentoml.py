"""The HTTP limit on BentoML: one async endpoint that returns a constant, on one worker.

What a request costs BentoML with no work: its HTTP server, JSON parsing and the validation of a
`dict` body, the route to an `async` API and the JSON answer. `make bench` copies this file into
a temporary folder and serves it there: `bentoml serve empty_bentoml:Empty` (the baked project's
environment, so the same BentoML as the service).
"""

from __future__ import annotations

from typing import Any

import bentoml

# Shaped like the service's single-row answer, so the response bytes are alike.
ANSWER = {"label": "1", "probabilities": {"0": 0.5, "1": 0.5}}


@bentoml.service(name="empty", workers=1)
class Empty:
    @bentoml.api
    async def predict(self, features: dict[str, Any]) -> dict[str, Any]:
        return ANSWER
