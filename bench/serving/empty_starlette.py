"""The bare HTTP limit: an empty Starlette handler on uvicorn, run as the floor app is.

It reads the body and answers a constant (no parsing, no model): what one request costs a bare
Python ASGI server. Usage: python empty_starlette.py PORT  (in the baked project's environment)
"""

from __future__ import annotations

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

# Shaped like the service's single-row answer, so the response bytes are alike.
ANSWER = b'{"label": "1", "probabilities": {"0": 0.5, "1": 0.5}}'


async def predict(request: Request) -> Response:
    await request.body()
    return Response(ANSWER, media_type="application/json")


app = Starlette(routes=[Route("/predict", predict, methods=["POST"])])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
