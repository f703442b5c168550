"""The Python floor: a bare Starlette app on uvicorn calling the same scikit-learn model.

No validation beyond what JSON parsing does: what a hand-written endpoint costs at the least.
Usage: python floor_app.py MODEL_URI PORT  (run inside the baked project's environment)
"""

from __future__ import annotations

import json
import sys

import mlflow.sklearn
import pandas as pd
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

MODEL = mlflow.sklearn.load_model(sys.argv[1])
FEATURES = list(MODEL.feature_names_in_)
CLASSES = [str(c) for c in MODEL.classes_]


def answer(rows: list[dict[str, float]]) -> list[dict[str, object]]:
    frame = pd.DataFrame([[row[f] for f in FEATURES] for row in rows], columns=FEATURES)
    return [
        {
            "label": CLASSES[int(p.argmax())],
            "probabilities": dict(zip(CLASSES, p.tolist(), strict=True)),
        }
        for p in MODEL.predict_proba(frame)
    ]


async def predict(request: Request) -> Response:
    body = json.loads(await request.body())
    return Response(json.dumps(answer([body["features"]])[0]), media_type="application/json")


async def predict_batch(request: Request) -> Response:
    body = json.loads(await request.body())
    predictions = {"predictions": answer(body["rows"])}
    return Response(json.dumps(predictions), media_type="application/json")


app = Starlette(
    routes=[
        Route("/predict", predict, methods=["POST"]),
        Route("/predict_batch", predict_batch, methods=["POST"]),
    ]
)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
